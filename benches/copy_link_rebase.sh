#!/usr/bin/env bash
# COPY --link after a base image change (issue 19): for each payload size,
# builds `FROM base:one` + `COPY --link payload /payload` in a fresh store,
# switches the Dockerfile to `FROM base:two` (other content) and times the
# rebuild. The linked layer is reused as it is, so that time stays flat in
# the payload's size; the same rebuild with a plain COPY, which copies the
# payload again, is printed beside it for contrast.
#
#   benches/copy_link_rebase.sh [--strata PATH] [--sizes 10,100,1000] [--runs 3]
#
# Sizes are in MB. Exits 1 when a --link rebuild copied anything (its
# step was not cached) or when the largest size's --link rebuild takes
# more than 3x the smallest's plus 0.5 s. Needs no root, no peers and no
# network; uses a release build by default.
set -euo pipefail

REPO_DIR=$(cd "$(dirname "$0")/.." && pwd)
STRATA=${STRATA_BIN:-$REPO_DIR/target/release/strata}
SIZES=10,100,1000 RUNS=3
while [ $# -gt 0 ]; do
    case $1 in
    --strata) STRATA=$2; shift 2 ;;
    --sizes) SIZES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    *) sed -n '9,9p' "$0" | sed 's/^# *//' >&2; exit 2 ;;
    esac
done
[ -x "$STRATA" ] || { echo "no strata binary at $STRATA (cargo build --release)" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/strata-copy-link.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# bases STORE: base:one and base:two, one small file each, from scratch.
bases() {
    local store=$1 b
    for b in one two; do
        mkdir -p "$WORK/base-$b"
        echo "$b" >"$WORK/base-$b/marker"
        printf 'FROM scratch\nCOPY marker /marker\n' >"$WORK/base-$b/Dockerfile"
        "$STRATA" --root "$store" build -q --progress quiet -t "base:$b" "$WORK/base-$b" >/dev/null
    done
}

# rebuild_seconds MB FLAG RUN: the rebuild after the base change, in
# seconds; fails when FLAG is --link and the step was not reused.
rebuild_seconds() {
    local mb=$1 flag=$2 run=$3 ctx=$WORK/ctx-$1 store=$WORK/store t0 t1
    rm -rf "$store"
    bases "$store"
    printf 'FROM base:one\nCOPY %s payload /payload\n' "$flag" >"$ctx/Dockerfile"
    "$STRATA" --root "$store" build -q --progress quiet "$ctx" >/dev/null
    printf 'FROM base:two\nCOPY %s payload /payload\n' "$flag" >"$ctx/Dockerfile"
    t0=$(date +%s.%N)
    "$STRATA" --root "$store" build --progress json "$ctx" >"$WORK/events-$mb-$run"
    t1=$(date +%s.%N)
    if [ "$flag" = --link ] && ! grep -q '"event":"step_done","stage":0,"step":0,"cached":true' "$WORK/events-$mb-$run"; then
        echo "FAIL: the --link step was not reused at ${mb} MB" >&2
        exit 1
    fi
    rm -rf "$store"
    echo "$t1 - $t0" | bc -l
}

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

printf '%10s %16s %16s\n' MB "--link rebuild s" "plain rebuild s"
first='' last=''
for mb in ${SIZES//,/ }; do
    mkdir -p "$WORK/ctx-$mb"
    head -c "$((mb * 1000000))" /dev/urandom >"$WORK/ctx-$mb/payload"
    link=$(for ((r = 0; r < RUNS; r++)); do rebuild_seconds "$mb" --link "$r"; done | median)
    plain=$(for ((r = 0; r < RUNS; r++)); do rebuild_seconds "$mb" "" "$r"; done | median)
    printf '%10d %16.3f %16.3f\n' "$mb" "$link" "$plain"
    rm -rf "$WORK/ctx-$mb"
    [ -n "$first" ] || first=$link
    last=$link
done
if [ "$(echo "$last > 3 * $first + 0.5" | bc -l)" = 1 ]; then
    echo "FAIL: the --link rebuild grew from ${first}s to ${last}s: not flat" >&2
    exit 1
fi
