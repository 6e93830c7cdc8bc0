#!/usr/bin/env bash
# The cost of the build's sandbox network (issue 16): a 20-RUN build with
# the default network (RUN steps in a pasta namespace that is not the
# host's, one handed from step to step) against the same build with
# --network host, paired runs under farm-bench, medians and the ratio.
#
#   benches/build_network.sh [--strata PATH] [--runs N]
#
# Run as root. Everything lives in one temporary dir, removed on exit.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
STRATA=${STRATA_BIN:-$(dirname "$BENCH_DIR")/target/debug/strata} RUNS=10
while [ $# -gt 0 ]; do
    case $1 in
    --strata) STRATA=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    *) echo "usage: $0 [--strata PATH] [--runs N]" >&2; exit 2 ;;
    esac
done
# shellcheck source=lib/rootfs.sh
. "$BENCH_DIR/lib/rootfs.sh"

WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/strata-netbench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
busybox_rootfs "$WORK/rootfs"
"$STRATA" --root "$WORK/store" import "$WORK/rootfs" bb:1 >/dev/null
mkdir "$WORK/ctx"
{
    echo "FROM bb:1"
    for i in $(seq 1 20); do echo "RUN echo $i > /f$i"; done
} >"$WORK/ctx/Dockerfile"

build() { echo "$STRATA --root $WORK/store build -q --no-cache --cache-limit none $* $WORK/ctx"; }
# shellcheck disable=SC2046
farm-bench -n "$RUNS" --timeout 600 --vs "$(build --network host)" -- $(build)
