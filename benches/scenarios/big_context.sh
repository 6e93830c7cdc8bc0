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
    note "$s" "context: $CTX_FILES files, $CTX_BYTES; the first build hashes it and copies it into a layer (files are in the page cache)"
    forget_builds bench-bigctx
    rm -rf "$ctx" "$df"
}
