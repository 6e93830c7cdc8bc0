# shellcheck shell=bash
# Scenario 7: parse + plan of every Dockerfile of the shared real-world corpus
# with `strata parse`, one process per file as a user would run it.

scenario_parse_corpus() {
    local s="7. parse corpus" corpus=${STRATA_SHARED:-$REPO_DIR/../shared}/corpus/realworld
    if [ ! -d "$corpus" ]; then
        record "$s" "all files" strata "n/a (no corpus at $corpus)" ms
        return 0
    fi
    WHY=
    if ! [ -x "$STRATA" ] || ! strata_has parse; then
        record "$s" "total" strata "${WHY:-n/a (no strata binary)}" ms
        record "$s" "per-file median" strata "${WHY:-n/a (no strata binary)}" ms
        return 0
    fi
    local out
    log "scenario $s: $STRATA parse, each of $(find "$corpus" -type f | wc -l) files $RUNS time(s)"
    out=$(find "$corpus" -type f -print0 | python3 "$BENCH_DIR/tools/time_each.py" --runs "$RUNS" -- "$STRATA" parse 2>>"$LOG")
    if [ "$(jq '.failed == .files' <<<"$out")" = true ]; then
        record "$s" "total" strata "n/a (strata parse rejected every file)" ms
        record "$s" "per-file median" strata "n/a (strata parse rejected every file)" ms
    else
        record "$s" "total" strata "$(jq '.total_ms' <<<"$out")" ms
        record "$s" "per-file median" strata "$(jq '.median_ms' <<<"$out")" ms
    fi
    note "$s" "$(jq -r '"\(.files) files, \(.failed) rejected by strata parse; no peer has a parse-only command"' <<<"$out")"
}
