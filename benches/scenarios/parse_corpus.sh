# shellcheck shell=bash
# Scenario 7: every Dockerfile of the real-world corpus (testdata/corpus/realworld), parsed and
# planned in process (benches/parse_plan.rs), and through the CLI with one
# process per file as a user runs it (`strata parse`, `strata check`).

corpus_files() {
    find "$1" -type f \( -iname '*dockerfile*' -o -iname '*containerfile*' \) -print0
}

# build_parse_plan: sets PARSE_PLAN to the in-process bench binary, built
# with cargo (release profile). Under `cargo test` cargo holds the build
# lock, so it is not built there.
build_parse_plan() {
    PARSE_PLAN=
    if [ -n "${CARGO:-}" ]; then
        WHY="n/a (not built under cargo test)"
        return 1
    fi
    log "building benches/parse_plan.rs (release)"
    PARSE_PLAN=$(cd "$REPO_DIR" && cargo bench --bench parse_plan --no-run --message-format=json 2>>"$LOG" |
        jq -r 'select(.reason == "compiler-artifact" and .target.name == "parse_plan") | .executable // empty' |
        tail -n 1)
    if [ -z "$PARSE_PLAN" ] || [ ! -x "$PARSE_PLAN" ]; then
        WHY="n/a (parse_plan did not build)"
        return 1
    fi
}

# record_corpus_timing SCENARIO LABEL JSON: rows from a {total_ms, median_ms} report.
record_corpus_timing() {
    local s=$1 label=$2 out=$3
    if [ "$(jq '.failed == .files' <<<"$out")" = true ]; then
        record "$s" "$label: total" strata "n/a (every file rejected)" ms
        record "$s" "$label: per-file median" strata "n/a (every file rejected)" ms
    else
        record "$s" "$label: total" strata "$(jq '.total_ms' <<<"$out")" ms
        record "$s" "$label: per-file median" strata "$(jq '.median_ms' <<<"$out")" ms
    fi
}

scenario_parse_corpus() {
    local s="7. parse corpus" corpus=$REPO_DIR/testdata/corpus/realworld out cmd files
    if [ ! -d "$corpus" ]; then
        record "$s" "all files" strata "n/a (no corpus at $corpus)" ms
        return 0
    fi
    WHY=
    if build_parse_plan; then
        log "scenario $s: parse + plan in process"
        out=$("$PARSE_PLAN" --runs "$RUNS" "$corpus" 2>>"$LOG")
        record_corpus_timing "$s" "parse + plan, in process" "$out"
    else
        record "$s" "parse + plan, in process: total" strata "$WHY" ms
    fi
    for cmd in parse check; do
        WHY=
        if [ -x "$STRATA" ] && strata_has "$cmd"; then
            log "scenario $s: strata $cmd, one process per file"
            out=$(corpus_files "$corpus" | python3 "$BENCH_DIR/tools/time_each.py" --runs "$RUNS" -- "$STRATA" "$cmd" 2>>"$LOG")
            record_corpus_timing "$s" "strata $cmd, a process per file" "$out"
        else
            record "$s" "strata $cmd, a process per file: total" strata "${WHY:-n/a (no strata binary)}" ms
        fi
    done
    files=$(corpus_files "$corpus" | tr -cd '\0' | wc -c)
    note "$s" "$files files; check also plans and lints; a process per file includes process start; no peer has a parse-only command"
}
