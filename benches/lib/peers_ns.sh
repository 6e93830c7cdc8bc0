# shellcheck shell=bash
# What the network and compose benches share: the private network
# namespace they run in, and podman 4.3 set up as /work/shared/PEERS.md
# says these machines need it.

# in_bench_netns PREFIX SETUP CMD...: outside a bench namespace, makes one
# named PREFIX-PID (lo up, then `SETUP NS` unless SETUP is empty), runs CMD
# inside it with STRATA_BENCH_NS set, deletes the namespace and exits with
# CMD's status. Inside one (STRATA_BENCH_NS set) it returns at once, so a
# script calls it first and re-runs itself as CMD.
in_bench_netns() {
    [ -z "${STRATA_BENCH_NS:-}" ] || return 0
    local prefix=$1 setup=$2
    shift 2
    NS=$prefix-$$
    ip netns add "$NS"
    trap 'ip netns del "$NS" 2>/dev/null || true' EXIT
    ip -n "$NS" link set lo up
    [ -z "$setup" ] || "$setup" "$NS"
    # nsenter, not `ip netns exec`: that one mounts a fresh /sys, hiding
    # the cgroup mounts dockerd and podman need.
    STRATA_BENCH_NS=$NS nsenter --net="/run/netns/$NS" "$@"
    exit
}

# podman_peer WORK: writes WORK/containers.conf (runc, cgroupfs, file
# events, the ulimits these machines need), exports CONTAINERS_CONF, and
# sets PODMAN to podman with a store under WORK/podman.
podman_peer() {
    local work=$1
    cat >"$work/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
    export CONTAINERS_CONF=$work/containers.conf
    mkdir -p "$work/podman/tmp"
    PODMAN="podman --root $work/podman/root --runroot $work/podman/run --tmpdir $work/podman/tmp"
    PODMAN="$PODMAN --storage-driver overlay --runtime /usr/sbin/runc --cgroup-manager cgroupfs --events-backend file"
}
