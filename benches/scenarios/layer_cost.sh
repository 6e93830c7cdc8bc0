# shellcheck shell=bash
# Scenario 4: the cost of a layer is the cost of its diff. `RUN touch /x` on
# bases of growing size (busybox plus one big random file) must take the same
# time on each.

scenario_layer_cost() {
    local s="4. RUN touch /x by base size" size bytes name ctx t
    strata_save_template
    for size in "${BASE_SIZES[@]}"; do
        bytes=$(bytes_of "$size")
        name=bench-base-${size,,}
        log "making a $size base"
        base_tar "$WORK/rootfs" "$WORK/$name.tar" "$bytes"
        import_base "$name" "$WORK/$name.tar"
        rm -f "$WORK/$name.tar"
        ctx=$WORK/touch-$size
        mkdir -p "$ctx"
        printf 'FROM %s\nRUN touch /x\n' "$name" >"$ctx/Dockerfile"
        for t in "${TOOLS[@]}"; do
            measure_build "$s" "base $size" "$t" cold "$ctx/Dockerfile" "$ctx" "bench-touch-${size,,}"
        done
        rm -rf "$ctx"
    done
    note "$s" "each figure is a whole cold build of FROM <base> + RUN touch /x; flat across sizes means O(diff)"
    strata_restore_template
    local names=()
    for size in "${BASE_SIZES[@]}"; do names+=("bench-touch-${size,,}" "bench-base-${size,,}"); done
    forget_builds "${names[@]}"
}
