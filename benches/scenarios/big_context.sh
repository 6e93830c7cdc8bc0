# shellcheck shell=bash
# Scenario 3: a large context (20,000 files, 1 GiB) copied into an image, the
# first build (every file hashed and copied) against an unchanged rebuild
# (every file only checked).

scenario_big_context() {
    local s="3. large context" ctx=$WORK/bigctx df=$WORK/bigctx.Dockerfile bytes t
    bytes=$(bytes_of "$CTX_BYTES")
    log "generating a context of $CTX_FILES files, $CTX_BYTES"
    python3 "$BENCH_DIR/tools/gen_tree.py" "$ctx" --files "$CTX_FILES" --bytes "$bytes"
    # The Dockerfile stays outside: the context is exactly the generated tree.
    printf 'FROM bench-busybox\nCOPY . /ctx/\n' >"$df"
    for t in "${TOOLS[@]}"; do
        measure_build "$s" "first build" "$t" cold "$df" "$ctx" bench-bigctx
        measure_build "$s" "unchanged rebuild" "$t" warm "$df" "$ctx" bench-bigctx
    done
    throughput "$s" "first build" "$bytes"
    context_hashing "$s" "$ctx" "$df"
    note "$s" "context: $CTX_FILES files, $CTX_BYTES; the first build hashes it and copies it into a layer (files are in the page cache)"
    note "$s" "context hashing: strata's own context_hashed event (bytes read and hashed / its duration), stat cache removed, files in the page cache"
    forget_builds bench-bigctx
    rm -rf "$ctx" "$df"
}

# context_hashing SCENARIO CONTEXT DOCKERFILE: strata's hashing throughput as
# a row of its own; the peers do not report theirs.
context_hashing() {
    local s=$1 ctx=$2 df=$3 case="context hashing, GB/s (higher is better)" t rate rates=() i
    for t in "${TOOLS[@]}"; do
        [ "$t" = strata ] || record "$s" "$case" "${TOOL_NAME[$t]}" "n/a (not reported)" GB/s
    done
    [[ " ${TOOLS[*]} " == *" strata "* ]] || return 0
    if ! can_build strata; then
        record "$s" "$case" strata "${TOOL_WHY[strata]}" GB/s
        return 0
    fi
    log "scenario $s, $case, strata"
    for ((i = 0; i < RUNS; i++)); do
        rate=$(strata_hash_rate "$ctx" "$df" bench-bigctx)
        [ -n "$rate" ] || { record "$s" "$case" strata "n/a (no context_hashed event)" GB/s; return 0; }
        rates+=("$rate")
    done
    record "$s" "$case" strata "$(median_of "${rates[@]}")" GB/s
}
