# shellcheck shell=bash
# Scenario 8: the container lifecycle with no daemon (issue 15). `run -d` +
# `stop` + `rm` of 20 containers, and `ps -a` over 200, strata against
# podman (Debian's 4.3: conmon, runc, cgroupfs, a private store in the work
# dir) on the same busybox rootfs. Both run without a network; the
# workload traps TERM so that neither waits out a stop timeout (as pid 1 in
# podman, a bare `sleep` would ignore it).

CTR_WORKLOAD="sh -c 'trap exit TERM; sleep 600 & wait'"

# The cycle script: N containers started detached, then each stopped and
# removed; $1 is the tool's command prefix.
ctr_cycle() {
    local n=$1 cli=$2
    printf 'for i in $(seq %s); do %s run -d --network none --name c$i %s %s >/dev/null; done; ' \
        "$n" "$cli" "$3" "$CTR_WORKLOAD"
    printf 'for i in $(seq %s); do %s stop -t 1 c$i >/dev/null && %s rm c$i >/dev/null; done' \
        "$n" "$cli" "$cli"
}

scenario_containers() {
    local s="8. containers" cycle=20 listed=200
    [ "$QUICK" = 1 ] && cycle=3 listed=10
    local strata="$STRATA --root $WORK/strata/ctr-root"
    WHY=
    if [ -x "$STRATA" ] && strata_has run create ps stop rm &&
        $strata import "$WORK/busybox.tar" bench-busybox >>"$LOG" 2>&1; then
        measure "$s" "run -d + stop + rm x$cycle" strata -- "$(ctr_cycle "$cycle" "$strata" bench-busybox)"
        for i in $(seq "$listed"); do $strata create --name l$i bench-busybox true >/dev/null; done
        measure "$s" "ps -a over $listed" strata --no-shell -- "$strata ps -a"
    else
        record "$s" "run -d + stop + rm x$cycle" strata "${WHY:-n/a (strata import failed)}" ms
        record "$s" "ps -a over $listed" strata "${WHY:-n/a (strata import failed)}" ms
    fi

    # PEERS.md: without these ulimits podman's runc fails here ("error
    # setting rlimit type 7"): the machines lack CAP_SYS_RESOURCE.
    local conf="$WORK/podman/containers.conf"
    mkdir -p "$WORK/podman"
    printf '%s\n' '[containers]' 'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]' \
        '[engine]' 'runtime = "runc"' 'cgroup_manager = "cgroupfs"' 'events_logger = "file"' >"$conf"
    local podman="env CONTAINERS_CONF=$conf podman --root $WORK/podman/root --runroot $WORK/podman/run"
    podman="$podman --storage-driver overlay --cgroup-manager cgroupfs --runtime runc --events-backend file"
    if ! command -v podman >/dev/null || [ "$(id -u)" != 0 ]; then
        record "$s" "run -d + stop + rm x$cycle" podman "n/a (needs root and podman: apt-get install podman)" ms
        record "$s" "ps -a over $listed" podman "n/a (needs root and podman)" ms
    elif ! $podman import "$WORK/busybox.tar" bench-busybox >>"$LOG" 2>&1 ||
        ! $podman run --rm --network none bench-busybox true >>"$LOG" 2>&1; then
        record "$s" "run -d + stop + rm x$cycle" podman "n/a (podman cannot run here; see the log)" ms
        record "$s" "ps -a over $listed" podman "n/a (podman cannot run here)" ms
    else
        measure "$s" "run -d + stop + rm x$cycle" podman -- "$(ctr_cycle "$cycle" "$podman" bench-busybox)"
        for i in $(seq "$listed"); do $podman create --network none --name l$i bench-busybox true >/dev/null; done
        measure "$s" "ps -a over $listed" podman --no-shell -- "$podman ps -a"
        $podman rm -af >>"$LOG" 2>&1 || true
    fi
    note "$s" "same busybox rootfs; no network; podman 4.3 with conmon, runc and cgroupfs in a private store"
}
