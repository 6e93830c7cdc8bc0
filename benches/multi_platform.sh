#!/usr/bin/env bash
# strata against BuildKit on one two-platform Dockerfile
# (benches/cases/multi-platform): strata builds linux/amd64 and linux/arm64
# in one command; BuildKit in docker.io 20.10 builds one platform per
# command (its builder has no multi-platform export), so its figure is two
# `docker build --platform` in a row. The base is an amd64 + arm64 busybox
# index served by a local docker-registry; arm64 RUNs go through
# qemu-user-static, registered in the host's binfmt_misc (dockerd runs
# there) for the length of the bench and removed after.
#
#   benches/multi_platform.sh [--strata BIN] [--runs N] [--serve FILE]
# --serve: set everything up, write the four commands (S_COLD, S_BUILD,
# B_COLD, B_BUILD) to FILE as shell assignments, and wait until killed
# (TERM), for timing them with another tool.
# Root only. Prints hyperfine's figures (cold: no build cache in either
# tool, bases pulled from the registry, set up by --prepare; cached: a
# rebuild with everything cached).
set -euo pipefail
cd "$(dirname "$0")/.."
STRATA=target/release/strata
RUNS=5
SERVE=
while [ $# -gt 0 ]; do
    case $1 in
    --strata) STRATA=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --serve) SERVE=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
STRATA=$(realpath "$STRATA")
WORK=$(mktemp -d /tmp/strata-multi-bench.XXXXXX)
LOG=$WORK/log
DOCKER=/usr/bin/docker
BINFMT=/proc/sys/fs/binfmt_misc
REGISTERED=
REGISTRY_PID=
DOCKERD_PID=

cleanup() {
    [ -n "$REGISTERED" ] && echo -1 >"$BINFMT/qemu-aarch64" || true
    [ -n "$DOCKERD_PID" ] && kill -TERM "$DOCKERD_PID" 2>/dev/null && wait "$DOCKERD_PID" 2>/dev/null || true
    mountpoint -q "$WORK/docker/exec/netns/default" 2>/dev/null && umount "$WORK/docker/exec/netns/default" || true
    [ -n "$REGISTRY_PID" ] && kill "$REGISTRY_PID" 2>/dev/null || true
    rm -rf "$WORK" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 0' TERM INT

# Bases: Debian's busybox-static of each architecture.
rootfs() {
    local arch=$1 dir=$WORK/rootfs-$1
    mkdir -p "$dir/bin" "$dir/etc" "$dir/tmp" "$WORK/deb-$arch"
    if [ "$arch" = "$(dpkg --print-architecture)" ]; then
        cp /bin/busybox "$dir/bin/busybox"
    else
        (cd "$WORK/deb-$arch" && apt-get download -q "busybox-static:$arch" >>"$LOG" 2>&1) || {
            dpkg --add-architecture "$arch" && apt-get update -qq
            (cd "$WORK/deb-$arch" && apt-get download -q "busybox-static:$arch" >>"$LOG" 2>&1)
        }
        dpkg -x "$WORK"/deb-"$arch"/*.deb "$WORK/deb-$arch/x"
        cp "$WORK/deb-$arch/x/bin/busybox" "$dir/bin/busybox"
    fi
    for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$dir/bin/$a"; done
    echo 'root:x:0:0:root:/root:/bin/sh' >"$dir/etc/passwd"
}

if [ ! -e "$BINFMT/register" ]; then mount -t binfmt_misc binfmt_misc "$BINFMT"; fi
if ! grep -qs enabled "$BINFMT/qemu-aarch64"; then
    line=$(grep '^:' /usr/lib/binfmt.d/qemu-aarch64.conf | awk -F: -v OFS=: '{$7="/usr/bin/qemu-aarch64-static"; $8="F"; print}')
    echo "$line" >"$BINFMT/register"
    REGISTERED=1
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$WORK/registry"
cat >"$WORK/registry.yml" <<YML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $WORK/registry}}
http: {addr: 127.0.0.1:$port}
YML
/usr/bin/docker-registry serve "$WORK/registry.yml" >>"$LOG" 2>&1 &
REGISTRY_PID=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
BASE=127.0.0.1:$port/bench/base:1
for arch in amd64 arm64; do
    rootfs "$arch"
    "$STRATA" --root "$WORK/seed" import --platform "linux/$arch" "$WORK/rootfs-$arch" base >/dev/null
done
"$STRATA" --root "$WORK/seed" push base "docker://$BASE" >>"$LOG" 2>&1

mkdir -p "$WORK/docker/config"
echo '{}' >"$WORK/docker/config/config.json"
export DOCKER_HOST="unix://$WORK/docker/docker.sock" DOCKER_BUILDKIT=1 DOCKER_CONFIG="$WORK/docker/config"
/usr/sbin/dockerd --iptables=false --ip-forward=false --ip-masq=false --bridge=none \
    --storage-driver=overlay2 --data-root "$WORK/docker/data" --exec-root "$WORK/docker/exec" \
    --pidfile "$WORK/docker/dockerd.pid" -H "$DOCKER_HOST" >"$WORK/docker/dockerd.log" 2>&1 &
DOCKERD_PID=$!
for _ in $(seq 150); do "$DOCKER" version >/dev/null 2>&1 && break; sleep 0.2; done

CTX=benches/cases/multi-platform
S_BUILD="$STRATA --root $WORK/s build --progress quiet --build-arg BASE=$BASE --platform linux/amd64,linux/arm64 -t app $CTX"
# Cold: an empty store, so strata pulls the bases as BuildKit does after
# its prune.
S_COLD="rm -rf $WORK/s && sync"
B_BUILD="$DOCKER build -q --network=none --build-arg BASE=$BASE --platform linux/amd64 -t app:amd64 $CTX && $DOCKER build -q --network=none --build-arg BASE=$BASE --platform linux/arm64 -t app:arm64 $CTX"
B_COLD="$DOCKER rmi -f app:amd64 app:arm64 >/dev/null 2>&1; $DOCKER builder prune -af >/dev/null && sync"

# Both tools must build what the Dockerfile says before anything is timed.
sh -c "$S_COLD && $S_BUILD" >>"$LOG" 2>&1
sh -c "$B_BUILD" >>"$LOG" 2>&1
for p in linux/amd64 linux/arm64; do
    "$STRATA" --root "$WORK/s" run --rm --platform $p app cat /arch
done

if [ -n "$SERVE" ]; then
    {
        printf 'export DOCKER_HOST=%q DOCKER_BUILDKIT=1 DOCKER_CONFIG=%q\n' "$DOCKER_HOST" "$DOCKER_CONFIG"
        printf 'S_COLD=%q\nS_BUILD=%q\nB_COLD=%q\nB_BUILD=%q\n' "$S_COLD" "$S_BUILD" "$B_COLD" "$B_BUILD"
    } >"$SERVE"
    while :; do sleep 1; done
fi
hyperfine --runs "$RUNS" --export-markdown "$WORK/cold.md" \
    -n strata --prepare "$S_COLD" "$S_BUILD" \
    -n BuildKit --prepare "$B_COLD" "$B_BUILD"
hyperfine --runs "$RUNS" --warmup 1 -n strata "$S_BUILD" -n BuildKit "$B_BUILD"
