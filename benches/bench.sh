#!/usr/bin/env bash
# strata against BuildKit and buildah, same inputs, same run (issue 8).
#
#   benches/bench.sh [--quick] [--runs N] [--only 1,2,...] [--tools strata,buildkit,buildah]
#                    [--strata PATH] [--markdown FILE] [--results FILE] [--keep] [--workdir DIR]
#
# Prints one table per scenario: the median of N runs (hyperfine) for each
# tool and the ratios strata/peer. --quick runs each command once on the
# smallest inputs: it checks that the suite works, its figures mean nothing.
# Run as root: it installs what it needs, starts a private dockerd and
# overlay-mounts; everything it creates lives in one temporary dir and is
# unmounted and removed on exit.
set -euo pipefail
# The scenarios measure the sandbox on the host's network, as their peers
# (runc run) are measured; network costs are benches/network.sh's.
export STRATA_NETWORK_DEFAULT="${STRATA_NETWORK_DEFAULT:-host}"

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")

QUICK=0 RUNS=5 ONLY=1,2,3,4,5,6,7,8 TOOL_LIST=strata,buildkit,buildah
STRATA=${STRATA_BIN:-} MARKDOWN='' RESULTS_COPY='' KEEP=0 WORK_BASE=${TMPDIR:-/var/tmp}
RUNS_SET=0
usage() { sed -n '4,5p' "$0" | sed 's/^# *//' >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
    --quick) QUICK=1; shift ;;
    --runs) RUNS=$2; RUNS_SET=1; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --tools) TOOL_LIST=$2; shift 2 ;;
    --strata) STRATA=$2; shift 2 ;;
    --markdown) MARKDOWN=$2; shift 2 ;;
    --results) RESULTS_COPY=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --workdir) WORK_BASE=$2; shift 2 ;;
    -h | --help) usage ;;
    *) echo "unknown option: $1" >&2; usage ;;
    esac
done
[ "$QUICK" = 1 ] && [ "$RUNS_SET" = 0 ] && RUNS=1
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "--runs wants a positive number" >&2; exit 2; }

if [ "$QUICK" = 1 ]; then
    SCALE=quick CTX_FILES=200 CTX_BYTES=2M BASE_SIZES=(10M) BIG_LAYER=50M
else
    SCALE=full CTX_FILES=20000 CTX_BYTES=1G BASE_SIZES=(10M 100M 1G) BIG_LAYER=2G
fi

. "$BENCH_DIR/lib/common.sh"
. "$BENCH_DIR/lib/deps.sh"
. "$BENCH_DIR/lib/rootfs.sh"
. "$BENCH_DIR/lib/strata.sh"
. "$BENCH_DIR/lib/buildkit.sh"
. "$BENCH_DIR/lib/buildah.sh"
. "$BENCH_DIR/lib/tools.sh"
for f in "$BENCH_DIR"/scenarios/*.sh; do . "$f"; done

install_missing_packages
require_harness_tools

mkdir -p "$WORK_BASE"
WORK=$(mktemp -d "$WORK_BASE/strata-bench.XXXXXX")
RESULTS=$WORK/results.tsv LOG=$WORK/bench.log
: >"$RESULTS"
: >"$LOG"

cleanup() {
    local status=$?
    set +e
    stop_tools
    unmount_under "$WORK"
    if [ "$KEEP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'log "failed at ${BASH_SOURCE[0]}:$LINENO: $BASH_COMMAND"' ERR

if [ -z "$STRATA" ]; then
    STRATA=$REPO_DIR/target/release/strata
    if [ ! -x "$STRATA" ]; then
        log "building strata (release)"
        cargo build --release --bin strata --manifest-path "$REPO_DIR/Cargo.toml" >>"$LOG" 2>&1 ||
            log "strata did not build; its figures will be n/a"
    fi
fi

log "work dir $WORK, $RUNS run(s) per figure, $SCALE inputs"
busybox_rootfs "$WORK/rootfs"
base_tar "$WORK/rootfs" "$WORK/busybox.tar"
start_tools
import_base bench-busybox "$WORK/busybox.tar"

started=$SECONDS
for n in ${ONLY//,/ }; do
    case $n in
    1 | 2) [ "${did_cases:-0}" = 1 ] || scenario_cases; did_cases=1 ;;
    3) scenario_big_context ;;
    4) scenario_layer_cost ;;
    5) scenario_run_startup ;;
    6) scenario_peak_rss ;;
    7) scenario_parse_corpus ;;
    8) scenario_containers ;;
    9) scenario_sandbox_cost ;;
    *) die "no scenario $n" ;;
    esac
done
log "suite took $((SECONDS - started)) s"

[ -n "$RESULTS_COPY" ] && cp "$RESULTS" "$RESULTS_COPY"
python3 "$BENCH_DIR/tools/report.py" --runs "$RUNS" "$RESULTS"
[ -n "$MARKDOWN" ] && python3 "$BENCH_DIR/tools/report.py" --runs "$RUNS" --markdown "$RESULTS" >"$MARKDOWN"
exit 0
