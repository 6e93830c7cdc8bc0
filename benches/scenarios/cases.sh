# shellcheck shell=bash
# Scenarios 1 and 2: every Dockerfile in benches/cases/ built cold (no cache
# of any kind), then rebuilt with everything cached.

scenario_cases() {
    local src name ctx t
    for src in "$BENCH_DIR"/cases/*/; do
        name=$(basename "$src")
        ctx=$WORK/cases/$name
        mkdir -p "$ctx"
        (cd "$src" && tar --exclude=./make-context -cf - .) | tar -C "$ctx" -xf -
        if [ -x "$src/make-context" ]; then "$src/make-context" "$ctx" "$SCALE"; fi
        for t in "${TOOLS[@]}"; do
            measure_build "1. cold build" "$name" "$t" cold "$ctx/Dockerfile" "$ctx" "bench-$name"
            measure_build "2. fully cached rebuild" "$name" "$t" warm "$ctx/Dockerfile" "$ctx" "bench-$name"
        done
        forget_builds "bench-$name"
        rm -rf "$ctx"
    done
    total "1. cold build"
    total "2. fully cached rebuild"
}
