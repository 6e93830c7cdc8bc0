#!/usr/bin/env bash
# Compose (issue 17): `compose up -d` then `down` of a 5-service project,
# 3 services with build sections whose Dockerfiles share their first
# steps, 2 from the base image (one with a published port), strata
# against podman-compose 1.0 on podman 4.3 (Debian's packages; podman run
# as /work/shared/PEERS.md says: runc, cgroupfs, file events, the ulimits
# in CONTAINERS_CONF). Both start from the same busybox-static rootfs,
# imported as localhost/bb:1, and each has a store of its own.
#
#   up   `up -d` + `down` (the built images exist: no build)
#   build  `up -d --build` + `down` (the three builds, from the cache)
#
# Everything runs inside one network namespace this script makes (and
# deletes): no bridge, veth or firewall rule reaches the host's. Needs
# root, hyperfine, jq, podman, podman-compose, netavark, aardvark-dns,
# iptables.
#
#   benches/compose.sh [--strata BIN] [--runs N] [--work DIR]
#
# With PAIRED_TIMER set (a program taking `-n RUNS --vs 'B' -- A`, which
# runs A and B in turn), each case is timed by it instead and its report
# printed; otherwise hyperfine's medians are printed as a table.
set -euo pipefail

STRATA=${STRATA:-$(cd "$(dirname "$0")/.." && pwd)/target/release/strata}
RUNS=5
WORK=
while [ $# -gt 0 ]; do
    case $1 in
    --strata) STRATA=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    *) echo "usage: $0 [--strata BIN] [--runs N] [--work DIR]" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
STRATA=$(realpath "$STRATA")
. "$(dirname "$0")/lib/rootfs.sh"

. "$(dirname "$0")/lib/peers_ns.sh"
[ -n "${STRATA_BENCH_NS:-}" ] || WORK=${WORK:-$(mktemp -d /tmp/strata-composebench.XXXXXX)}
in_bench_netns strata-composebench "" "$0" --strata "$STRATA" --runs "$RUNS" --work "$WORK"

LOG=$WORK/log
mkdir -p "$WORK"
log() { printf '[composebench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# The same base for both tools: the host's static busybox.
if [ ! -e "$WORK/busybox.tar" ]; then
    busybox_rootfs "$WORK/rootfs"
    mkdir -p "$WORK/rootfs/www"
    echo page >"$WORK/rootfs/www/index.html"
    tar -C "$WORK/rootfs" -cf "$WORK/busybox.tar" .
fi

# The project. Every process leaves on SIGTERM (as pid 1 a plain sleep or
# httpd would ignore it and `down` would wait out the grace period).
P=$WORK/project
mkdir -p "$P"
LOOP='trap "exit 0" TERM; while :; do sleep 1 & wait $$!; done'
cat >"$P/compose.yaml" <<EOF
services:
  web:
    image: localhost/bb:1
    command: ["sh", "-c", 'httpd -p 80 -h /www; $LOOP']
    ports: ["18080:80"]
  cache:
    image: localhost/bb:1
    command: ["sh", "-c", '$LOOP']
  api:
    build: ./api
    command: ["sh", "-c", '$LOOP']
    depends_on: [cache]
  worker:
    build: ./worker
    command: ["sh", "-c", '$LOOP']
    depends_on: [api]
  jobs:
    build: ./jobs
    command: ["sh", "-c", '$LOOP']
    depends_on: [cache]
EOF
for s in api worker jobs; do
    mkdir -p "$P/$s"
    # Two shared base steps, then the service's own.
    printf 'FROM localhost/bb:1\nRUN mkdir -p /app && echo base > /app/base\nRUN echo shared second step > /app/common\nRUN echo %s > /app/who\n' "$s" >"$P/$s/Dockerfile"
done

# strata: a store of its own.
s="$STRATA --root $WORK/strata"
$s import "$WORK/busybox.tar" localhost/bb:1 >>"$LOG" 2>&1

# podman 4.3 as PEERS.md runs it, behind a wrapper podman-compose calls.
podman_peer "$WORK"
cat >"$WORK/podman.sh" <<EOF
#!/bin/sh
exec $PODMAN "\$@"
EOF
chmod +x "$WORK/podman.sh"
"$WORK/podman.sh" import "$WORK/busybox.tar" localhost/bb:1 >>"$LOG" 2>&1

# cycle TOOL [--build]: up -d, then down, of the project.
for tool in strata podman; do
    case $tool in
    strata) c="$s compose -f $P/compose.yaml -p cbench" ;;
    podman) c="podman-compose --podman-path $WORK/podman.sh -f $P/compose.yaml -p cbench" ;;
    esac
    cat >"$WORK/cycle-$tool.sh" <<EOF
#!/bin/sh
set -e
cd $P
$c up -d "\$@"
$c down
EOF
    chmod +x "$WORK/cycle-$tool.sh"
    # Once untimed: the images are built, and the cycle is seen to work.
    log "$tool: first cycle (builds)"
    "$WORK/cycle-$tool.sh" >>"$LOG" 2>&1 || { log "$tool: the cycle fails; see $LOG"; exit 1; }
done

declare -A MEDIAN
for case in up build; do
    flag=
    [ $case = build ] && flag=--build
    if [ -n "${PAIRED_TIMER:-}" ]; then
        log "$case: paired"
        $PAIRED_TIMER -n "$RUNS" --warmup 1 --timeout 1800 \
            --vs "$WORK/cycle-podman.sh $flag" -- "$WORK/cycle-strata.sh" $flag
        continue
    fi
    json=$WORK/$case.json
    log "$case: hyperfine"
    hyperfine --runs "$RUNS" --warmup 1 --style none --export-json "$json" \
        -- "$WORK/cycle-strata.sh $flag" "$WORK/cycle-podman.sh $flag" >>"$LOG" 2>&1
    MEDIAN[strata,$case]=$(jq '.results[0].median' "$json")
    MEDIAN[podman,$case]=$(jq '.results[1].median' "$json")
done
[ -n "${PAIRED_TIMER:-}" ] && exit 0

printf '| case | strata | podman-compose 1.0 + podman 4.3 | strata / podman |\n|---|--:|--:|--:|\n'
for case in up build; do
    name="up -d + down"
    [ $case = build ] && name="up -d --build + down"
    st=${MEDIAN[strata,$case]} po=${MEDIAN[podman,$case]}
    printf '| %s | %.2f s | %.2f s | %s |\n' "$name" "$st" "$po" \
        "$(awk -v a="$st" -v b="$po" 'BEGIN { printf "%.2f", a / b }')"
done
