# shellcheck shell=bash
# Scenario 5: starting a container. `strata run IMG true` against `runc run`
# of the same busybox rootfs, with a bare unshare + chroot as the floor.

scenario_run_startup() {
    local s="5. run true" store=$WORK/strata/run-root
    WHY=
    if [ -x "$STRATA" ] && strata_has run import && mkdir -p "$store" &&
        "$STRATA" --root "$store" import "$WORK/busybox.tar" bench-busybox >>"$LOG" 2>&1; then
        measure "$s" "start + exit" strata --no-shell -- "$STRATA --root $store run --rm bench-busybox true"
    else
        record "$s" "start + exit" strata "${WHY:-n/a (strata import failed)}" ms
    fi

    local bundle=$WORK/runc-bundle
    if command -v runc >/dev/null && [ "$(id -u)" = 0 ]; then
        mkdir -p "$bundle" "$WORK/runc-state"
        (cd "$bundle" && runc spec)
        jq --arg root "$WORK/rootfs" \
            '.root.path = $root | .process.args = ["/bin/true"] | .process.terminal = false' \
            "$bundle/config.json" >"$bundle/config.json.new"
        mv "$bundle/config.json.new" "$bundle/config.json"
        measure "$s" "start + exit" runc --no-shell -- "runc --root $WORK/runc-state run -b $bundle bench-true"
        measure "$s" "start + exit" "unshare+chroot" --no-shell -- \
            "unshare --mount --pid --fork chroot $WORK/rootfs /bin/true"
    else
        record "$s" "start + exit" runc "n/a (needs root and runc)" ms
        record "$s" "start + exit" "unshare+chroot" "n/a (needs root)" ms
    fi
    note "$s" "same busybox rootfs for all; runc with its default spec (rootful); unshare+chroot is the floor: no overlay, no cgroups"
}
