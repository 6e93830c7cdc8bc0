#!/usr/bin/env bash
# Network start-up cost (issue 16): strata against podman 4.3 (netavark
# 1.4, the same network stack) and docker.io 20.10 (a private dockerd with
# its own bridge and iptables), on the same busybox rootfs:
#
#   run --rm --network bridge IMG true       a container on the default bridge
#   run -d -p PORT:80 --name ctr IMG sleep     detached, one published port
#                                            (the previous one removed
#                                            before each run, not timed)
#   rootless: run -d -p PORT:80 IMG httpd, the first reply on
#   127.0.0.1:PORT, rm -f                    as --user USER (a user with
#                                            subordinate ids), strata on
#                                            its default network (pasta)
#                                            against podman 4.3's
#                                            (slirp4netns: 4.3 has no
#                                            pasta); skipped without --user
#
# Everything runs inside one network namespace this script makes (and
# deletes): no bridge, veth or firewall rule reaches the host's. Needs
# root, hyperfine, jq, podman, docker.io, netavark, aardvark-dns, iptables.
#
#   benches/network.sh [--strata BIN] [--runs N] [--work DIR] [--user USER]
#
# Prints a markdown table of medians (ms) and ratios against the faster
# peer; the raw hyperfine JSON stays in the work dir.
set -euo pipefail

STRATA=${STRATA:-$(cd "$(dirname "$0")/.." && pwd)/target/release/strata}
RUNS=10
WORK=
RL_USER=
while [ $# -gt 0 ]; do
    case $1 in
    --strata) STRATA=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --user) RL_USER=$2; shift 2 ;;
    *) echo "usage: $0 [--strata BIN] [--runs N] [--work DIR] [--user USER]" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }

. "$(dirname "$0")/lib/rootfs.sh"
. "$(dirname "$0")/lib/peers_ns.sh"

# A veth pair whose both ends stay inside: the outward address.
outward() {
    ip -n "$1" link add out0 type veth peer name out1
    ip -n "$1" addr add 192.0.2.1/24 dev out0
    ip -n "$1" link set out0 up
    ip -n "$1" link set out1 up
}
[ -n "${STRATA_BENCH_NS:-}" ] || WORK=${WORK:-$(mktemp -d /tmp/strata-netbench.XXXXXX)}
in_bench_netns strata-bench outward "$0" --strata "$STRATA" --runs "$RUNS" --work "$WORK" --user "$RL_USER"

LOG=$WORK/log
mkdir -p "$WORK"
log() { printf '[netbench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# The same rootfs for every tool: the host's static busybox.
rootfs=$WORK/rootfs
if [ ! -e "$WORK/busybox.tar" ]; then
    busybox_rootfs "$rootfs"
    mkdir -p "$rootfs/www"
    tar -C "$rootfs" -cf "$WORK/busybox.tar" .
fi

declare -A MEDIAN

# measure TOOL CASE PREPARE CMD: hyperfine median in ms into MEDIAN.
measure() {
    local tool=$1 case=$2 prepare=$3 cmd=$4 json=$WORK/$1-$2.json
    log "$tool, $case: $cmd"
    local opts=(--runs "$RUNS" --warmup 1 --style none --export-json "$json")
    if [ -n "$prepare" ]; then opts+=(--prepare "$prepare"); else prepare=true; fi
    if hyperfine "${opts[@]}" -- "$cmd" >>"$LOG" 2>&1; then
        MEDIAN[$tool,$case]=$(jq '.results[0].median * 1000' "$json")
    else
        log "  failed; see $LOG"
        { echo "--- rerun of: $cmd"; sh -c "$prepare; $cmd" 2>&1 | tail -n 20; } >>"$LOG" || true
        MEDIAN[$tool,$case]=
    fi
}

# strata: the default network (the variable unset), a store of its own.
s="$STRATA --root $WORK/strata"
unset STRATA_NETWORK_DEFAULT
$s import "$rootfs" bb >>"$LOG" 2>&1
measure strata rm "" "$s run --rm --network bridge bb true"
# The same without a network: what the network costs is the difference.
measure strata none "" "$s run --rm --network none bb true"
measure strata detach "$s rm -f ctr >/dev/null 2>&1 || true" "$s run -d --name ctr -p 18080:80 bb sleep 600"
$s rm -f ctr >>"$LOG" 2>&1 || true

# podman 4.3 as /work/shared/PEERS.md runs it.
podman_peer "$WORK"
p=$PODMAN
if $p import "$WORK/busybox.tar" bb >>"$LOG" 2>&1; then
    measure podman rm "" "$p run --rm --network bridge bb true"
    measure podman detach "$p rm -f -t0 ctr >/dev/null 2>&1 || true" "$p run -d --name ctr -p 18081:80 bb sleep 600"
    $p rm -f -t0 ctr >>"$LOG" 2>&1 || true
fi

# docker.io 20.10: a private dockerd, here with its bridge and iptables
# (inside this namespace only).
d=$WORK/docker
mkdir -p "$d"
setsid /usr/sbin/dockerd --storage-driver=overlay2 --data-root "$d/data" \
    --exec-root "$d/exec" --pidfile "$d/dockerd.pid" -H "unix://$d/docker.sock" \
    >"$d/dockerd.log" 2>&1 </dev/null &
export DOCKER_HOST=unix://$d/docker.sock
for _ in $(seq 100); do /usr/bin/docker version >/dev/null 2>&1 && break; sleep 0.2; done
if /usr/bin/docker import "$WORK/busybox.tar" bb >>"$LOG" 2>&1; then
    measure docker rm "" "/usr/bin/docker run --rm --network bridge bb true"
    measure docker detach "/usr/bin/docker rm -f ctr >/dev/null 2>&1 || true" "/usr/bin/docker run -d --name ctr -p 18082:80 bb sleep 600"
    /usr/bin/docker rm -f ctr >>"$LOG" 2>&1 || true
fi
kill -TERM "$(cat "$d/dockerd.pid")" 2>/dev/null || true
for _ in $(seq 50); do [ -e "$d/dockerd.pid" ] || break; sleep 0.2; done
umount "$d/exec/netns/default" 2>/dev/null || true

# Rootless: the whole life of a published web server as an unprivileged
# user, in a private mount namespace whose /dev/net/tun the user may open
# (where the host's is root's alone).
rootless() {
    local r=$WORK/rootless
    # pasta and slirp4netns start only with a default route to copy
    # (nothing is behind it).
    ip route add default via 192.0.2.254 dev out0 2>/dev/null || true
    mkdir -p "$r/home/run" "$r/rootfs"
    chmod 755 "$WORK" "$r"
    cp -a "$rootfs/." "$r/rootfs/"
    echo page >"$r/rootfs/www/index.html"
    cp "$STRATA" "$r/strata"
    [ -e "$r/tun" ] || { mknod "$r/tun" c 10 200 && chmod 666 "$r/tun"; }
    cp "$WORK/containers.conf" "$r/home/containers.conf"
    chmod 700 "$r/home/run"
    chown -R "$RL_USER:" "$r/home" "$r/rootfs"
    local pr="podman --root $r/home/p/root --runroot $r/home/run/p --storage-driver overlay"
    pr="$pr --runtime /usr/sbin/runc --cgroup-manager cgroupfs --events-backend file"
    cat >"$r/cycle.sh" <<CYCLE
set -e
case \$1 in
import) $r/strata import $r/rootfs bb; tar -C $r/rootfs -c . | $pr import - bb; exit ;;
strata) c="$r/strata"; port=18090; net= ;;
podman) c="$pr"; port=18091; net="--network slirp4netns" ;;
esac
id=\$(\$c run -d \$net -p \$port:80 bb httpd -f -p 80 -h /www)
n=0
until printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 1 127.0.0.1 \$port 2>/dev/null | grep -q page; do
    n=\$((n + 1)); [ \$n -lt 2000 ] || { echo "no reply" >&2; exit 1; }
    sleep 0.005
done
if [ \$1 = podman ]; then \$c rm -f -t0 \$id; else \$c rm -f \$id; fi >/dev/null
CYCLE
    cat >"$r/enter.sh" <<ENTER
exec unshare -m --propagation private sh -c 'mount --bind $r/tun /dev/net/tun && exec setpriv --reuid $RL_USER --regid $RL_USER --init-groups env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=$r/home XDG_RUNTIME_DIR=$r/home/run CONTAINERS_CONF=$r/home/containers.conf sh $r/cycle.sh "\$0"' "\$1"
ENTER
    sh "$r/enter.sh" import >>"$LOG" 2>&1
    measure strata rootless "" "sh $r/enter.sh strata"
    measure podman rootless "" "sh $r/enter.sh podman"
}
[ -z "$RL_USER" ] || rootless

# The table: medians and strata against the faster peer.
printf '| case | strata | podman 4.3 | docker 20.10 | strata / faster peer |\n|---|--:|--:|--:|--:|\n'
for c in rm detach; do
    name="run --rm --network bridge IMG true"
    [ $c = detach ] && name="run -d -p H:80 IMG sleep"
    st=${MEDIAN[strata,$c]:-} po=${MEDIAN[podman,$c]:-} do=${MEDIAN[docker,$c]:-}
    best=$(printf '%s\n' "$po" "$do" | grep . | sort -g | head -1 || true)
    ratio=n/a
    [ -n "$st" ] && [ -n "$best" ] && ratio=$(awk -v a="$st" -v b="$best" 'BEGIN { printf "%.2f", a / b }')
    fmt() { [ -n "$1" ] && printf '%.0f ms' "$1" || printf 'n/a'; }
    printf '| %s | %s | %s | %s | %s |\n' "$name" "$(fmt "$st")" "$(fmt "$po")" "$(fmt "$do")" "$ratio"
done
printf '| (strata run --rm --network none IMG true) | %s | | | |\n' "$(fmt "${MEDIAN[strata,none]:-}")"
if [ -n "$RL_USER" ]; then
    st=${MEDIAN[strata,rootless]:-} po=${MEDIAN[podman,rootless]:-} ratio=n/a
    [ -n "$st" ] && [ -n "$po" ] && ratio=$(awk -v a="$st" -v b="$po" 'BEGIN { printf "%.2f", a / b }')
    printf '| rootless: run -d -p H:80 IMG httpd + first reply + rm -f | %s | %s | | %s |\n' "$(fmt "$st")" "$(fmt "$po")" "$ratio"
fi
