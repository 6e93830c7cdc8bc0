# shellcheck shell=bash
# Scenario 8: what the sandbox policy costs (issue 12). `strata run --rm IMG
# true` and a 20-RUN build under the default policy (seccomp filter, device
# cgroup, nodev, masked paths) against the same with the policy off:
# `--security-opt seccomp=unconfined` (filter off, devices still confined)
# and `--privileged` / `RUN --security=insecure` (all of it off). The
# column "strata" is the default; the ratios strata/X are the policy's cost.

scenario_sandbox_cost() {
    local s="9. sandbox policy cost" store=$WORK/strata/policy-root
    local ctx=$WORK/policy-runs ictx=$WORK/policy-runs-insecure i
    if ! { [ -x "$STRATA" ] && mkdir -p "$store" &&
        "$STRATA" --root "$store" import "$WORK/busybox.tar" bench-busybox >>"$LOG" 2>&1; }; then
        record "$s" "run --rm true" strata "n/a (strata import failed)" ms
        return
    fi
    local run="$STRATA --root $store run --rm"
    measure "$s" "run --rm true" strata --no-shell -- "$run bench-busybox true"
    measure "$s" "run --rm true" unconfined --no-shell -- \
        "$run --security-opt seccomp=unconfined bench-busybox true"
    measure "$s" "run --rm true" privileged --no-shell -- "$run --privileged bench-busybox true"
    # A bind mount puts the run under the device cgroup (moved in by the
    # sandbox's init); privileged runs stay out of it.
    mkdir -p "$WORK/policy-vol"
    measure "$s" "run --rm -v DIR:/v true" strata --no-shell -- \
        "$run -v $WORK/policy-vol:/v bench-busybox true"
    measure "$s" "run --rm -v DIR:/v true" privileged --no-shell -- \
        "$run --privileged -v $WORK/policy-vol:/v bench-busybox true"

    mkdir -p "$ctx" "$ictx"
    printf 'FROM bench-busybox\n' >"$ctx/Dockerfile"
    printf 'FROM bench-busybox\n' >"$ictx/Dockerfile"
    for i in $(seq 1 20); do
        printf 'RUN echo %s > /step-%s\n' "$i" "$i" >>"$ctx/Dockerfile"
        printf 'RUN --security=insecure echo %s > /step-%s\n' "$i" "$i" >>"$ictx/Dockerfile"
    done
    local build="$STRATA --root $store build -q --no-cache --cache-limit none"
    measure "$s" "20-RUN build" strata --no-shell -- "$build $ctx"
    measure "$s" "20-RUN build" privileged --no-shell -- \
        "$build --allow security.insecure $ictx"
    note "$s" "same store and busybox base; --no-cache so every RUN runs; privileged = no filter, no device cgroup, no masks (a privileged RUN is moved out of the cgroup the build joined)"
}
