#!/usr/bin/env bash
# Metadata instructions cost time linear in their count (issue 12): builds
# `FROM scratch` + N lines of `ENV Vi=i` for each N, cold, in a fresh store,
# and prints the median wall time, the time per line and the ratio of the
# per-line times of the largest and smallest N (about 1 when linear).
#
#   benches/env_lines.sh [--strata PATH] [--counts 10000,50000,100000] [--runs 3]
#                        [--limit SECONDS]
#
# Exits 1 when the largest N takes longer than --limit (default 5 s) or the
# per-line time grows by more than 2x from the smallest N to the largest.
# Needs no root, no peers and no network; uses a release build by default.
set -euo pipefail

REPO_DIR=$(cd "$(dirname "$0")/.." && pwd)
STRATA=${STRATA_BIN:-$REPO_DIR/target/release/strata}
COUNTS=10000,50000,100000 RUNS=3 LIMIT=5
while [ $# -gt 0 ]; do
    case $1 in
    --strata) STRATA=$2; shift 2 ;;
    --counts) COUNTS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --limit) LIMIT=$2; shift 2 ;;
    *) sed -n '7,8p' "$0" | sed 's/^# *//' >&2; exit 2 ;;
    esac
done
[ -x "$STRATA" ] || { echo "no strata binary at $STRATA (cargo build --release)" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/strata-env-lines.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# seconds_of N RUN: one cold build of N ENV lines, in seconds.
seconds_of() {
    local n=$1 run=$2 ctx=$WORK/ctx-$1 store=$WORK/store-$1-$2 t0 t1
    t0=$(date +%s.%N)
    "$STRATA" --root "$store" build -q --progress quiet "$ctx" >/dev/null
    t1=$(date +%s.%N)
    rm -rf "$store"
    echo "$t1 - $t0" | bc -l
}

printf '%10s %10s %14s\n' lines "median s" "us per line"
first_per_line='' last_per_line='' last_s=''
for n in ${COUNTS//,/ }; do
    mkdir -p "$WORK/ctx-$n"
    { echo "FROM scratch"; seq 0 $((n - 1)) | sed 's/.*/ENV V&=&/'; } >"$WORK/ctx-$n/Dockerfile"
    times=()
    for ((r = 0; r < RUNS; r++)); do times+=("$(seconds_of "$n" "$r")"); done
    median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
    per_line=$(echo "$median * 1000000 / $n" | bc -l)
    printf '%10d %10.3f %14.2f\n' "$n" "$median" "$per_line"
    [ -n "$first_per_line" ] || first_per_line=$per_line
    last_per_line=$per_line last_s=$median
done
growth=$(echo "$last_per_line / $first_per_line" | bc -l)
printf 'per-line time, largest N over smallest N: %.2fx\n' "$growth"
status=0
if [ "$(echo "$last_s > $LIMIT" | bc -l)" = 1 ]; then
    echo "FAIL: the largest N took ${last_s}s (limit ${LIMIT}s)" >&2
    status=1
fi
if [ "$(echo "$growth > 2" | bc -l)" = 1 ]; then
    echo "FAIL: time per line grew ${growth}x: not linear" >&2
    status=1
fi
exit "$status"
