# shellcheck shell=bash
# Logging, result records and the hyperfine wrapper every scenario uses.
# Sourced by bench.sh; expects WORK, RESULTS, RUNS and LOG to be set.

log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

die() {
    log "error: $*"
    exit 1
}

# record SCENARIO CASE TOOL VALUE UNIT: one line of the results table.
# VALUE is a number, or "n/a (why)" when the tool could not be measured.
record() {
    printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$RESULTS"
}

# note SCENARIO TEXT: a line printed under the scenario's table.
note() {
    printf '%s\t\t@note\t%s\t\n' "$1" "$2" >>"$RESULTS"
}

# measure SCENARIO CASE TOOL [--prepare CMD] [--warmup N] [--no-shell] -- CMD
# Times CMD with hyperfine and records the median in ms. A failing command is
# recorded as n/a, its output kept in the log, and the suite goes on: one
# broken tool must not hide the figures of the others.
measure() {
    local scenario=$1 case=$2 tool=$3
    shift 3
    local opts=() cmd
    while [ $# -gt 0 ]; do
        case $1 in
        --prepare) opts+=(--prepare "$2"); shift 2 ;;
        --warmup) opts+=(--warmup "$2"); shift 2 ;;
        --no-shell) opts+=(-N); shift ;;
        --) cmd=$2; shift 2 ;;
        *) die "measure: unknown option $1" ;;
        esac
    done
    local json="$WORK/hyperfine.json"
    log "scenario $scenario, $case, $tool: $cmd"
    if hyperfine --runs "$RUNS" --style none --export-json "$json" "${opts[@]}" -- "$cmd" >>"$LOG" 2>&1; then
        record "$scenario" "$case" "$tool" "$(jq '.results[0].median * 1000' "$json")" ms
    else
        log "  failed; its output is in $LOG"
        { echo "--- rerun of the failed command: $cmd"; sh -c "$cmd" 2>&1 | tail -n 30; } >>"$LOG" || true
        record "$scenario" "$case" "$tool" "n/a (failed)" ms
    fi
}

# median_of NUMBER...: prints the median (mean of the middle two when even).
median_of() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) exit 1
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# unmount_under DIR: unmounts everything mounted at or below DIR, deepest
# first, so a killed tool never leaves mounts behind.
unmount_under() {
    local dir=$1 target
    [ -d "$dir" ] || return 0
    findmnt -rn -o TARGET | awk -v d="$dir" 'index($0, d) == 1' | sort -r | while read -r target; do
        umount -l "$target" 2>/dev/null || true
    done
}

# total SCENARIO: the report adds a row summing the scenario's cases.
total() {
    printf '%s\t\t@total\t\t\n' "$1" >>"$RESULTS"
}

# throughput SCENARIO CASE BYTES: the report adds a GB/s row for CASE.
throughput() {
    printf '%s\t%s\t@throughput\t%s\t\n' "$1" "$2" "$3" >>"$RESULTS"
}
