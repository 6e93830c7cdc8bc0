# shellcheck shell=bash
# The tools under comparison, behind one interface each lib/<tool>.sh
# implements: <tool>_start, _stop, _import NAME TAR, _build_cmd cold|warm
# DOCKERFILE CONTEXT TAG, _cold_prepare, _forget TAG..., _export_cmd TAG OUT.

declare -A TOOL_NAME=([strata]=strata [buildkit]=BuildKit [buildah]=buildah)
# Why a tool cannot build; empty when it can.
declare -A TOOL_WHY=()
TOOLS=()

start_tools() {
    local t
    for t in ${TOOL_LIST//,/ }; do
        [ -n "${TOOL_NAME[$t]:-}" ] || die "unknown tool $t (strata, buildkit, buildah)"
        TOOLS+=("$t")
        WHY=
        if "${t}_start"; then
            TOOL_WHY[$t]=
            [ "$t" = strata ] && { strata_has build import || TOOL_WHY[$t]=$WHY; }
        else
            TOOL_WHY[$t]=${WHY:-n/a (did not start)}
        fi
        [ -z "${TOOL_WHY[$t]}" ] || log "${TOOL_NAME[$t]}: ${TOOL_WHY[$t]}"
    done
}

stop_tools() {
    local t
    for t in "${TOOLS[@]}"; do "${t}_stop" || true; done
}

# import_base NAME TAR: the same base image into every tool that can build.
import_base() {
    local t
    for t in "${TOOLS[@]}"; do
        [ -z "${TOOL_WHY[$t]}" ] || continue
        if ! "${t}_import" "$1" "$2"; then
            TOOL_WHY[$t]="n/a (import of the base failed)"
            log "${TOOL_NAME[$t]}: could not import $1"
        fi
    done
    can_build strata && strata_freeze
    return 0
}

can_build() { [ -n "${TOOL_NAME[$1]:-}" ] && [ -z "${TOOL_WHY[$1]-x}" ]; }

# measure_build SCENARIO CASE TOOL cold|warm DOCKERFILE CONTEXT TAG
# cold: each run starts without any cache; warm: a fully cached rebuild.
measure_build() {
    local scenario=$1 case=$2 t=$3 mode=$4 df=$5 ctx=$6 tag=$7
    if ! can_build "$t"; then
        record "$scenario" "$case" "${TOOL_NAME[$t]}" "${TOOL_WHY[$t]}" ms
        return 0
    fi
    local cmd
    cmd=$("${t}_build_cmd" "$mode" "$df" "$ctx" "$tag")
    if [ "$mode" = cold ]; then
        measure "$scenario" "$case" "${TOOL_NAME[$t]}" \
            --prepare "$("${t}_cold_prepare" "$tag") && $(settle_cmd "$ctx")" -- "$cmd"
    else
        # The sync keeps the writeback of the cold builds before out of it.
        measure "$scenario" "$case" "${TOOL_NAME[$t]}" --warmup 1 --prepare sync -- "$cmd"
    fi
}

# settle_cmd CONTEXT: after a tool's cold prepare, for every tool alike: the
# page cache is dropped (once written back) and the context read back in.
# Without it each timed build pays for the cleanup just before it: ext4's
# inode allocator scans past every inode freed in the last minute while
# their inode-table blocks are cached (fs/ext4/ialloc.c recently_deleted),
# which cost strata's copy-heavy case (3,205 new files) about a second.
# Where drop_caches cannot be written the runs go on without it.
# The tools' own programs are read back too: dockerd keeps running and
# mapped, the CLIs would otherwise start from disk.
settle_cmd() {
    local progs
    progs=$(command -v "$STRATA" buildah "${DOCKER:-docker}" runc 2>/dev/null | tr '\n' ' ')
    echo "sync && { echo 1 >/proc/sys/vm/drop_caches; } 2>/dev/null;" \
        "cat $progs >/dev/null 2>&1; find $1 -type f -exec cat {} + >/dev/null"
}

# forget_builds TAG...: every tool drops those images and its build cache.
forget_builds() {
    local t
    for t in "${TOOLS[@]}"; do
        can_build "$t" && "${t}_forget" "$@"
    done
    return 0
}
