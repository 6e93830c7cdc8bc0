# shellcheck shell=bash
# strata, driven through the agreed command lines only:
#   strata --root DIR build [-q --network none] -f FILE -t NAME CONTEXT
#   strata --root DIR import ROOTFS NAME
#   strata --root DIR run --rm IMAGE CMD...
#   strata parse FILE
# A subcommand the binary does not have yet is reported as
# "n/a (strata command missing)" instead of failing the suite.

STRATA_STORE=

strata_start() {
    [ -x "$STRATA" ] || { WHY="n/a (no strata binary at $STRATA)"; return 1; }
    "$STRATA" --version >/dev/null 2>&1 || { WHY="n/a (strata does not start)"; return 1; }
    STRATA_STORE=$WORK/strata/root
    mkdir -p "$STRATA_STORE"
}

strata_stop() {
    unmount_under "$WORK/strata"
}

# strata_has COMMAND...: whether every subcommand exists; sets WHY if not.
strata_has() {
    local cmd
    for cmd in "$@"; do
        if ! "$STRATA" "$cmd" --help >/dev/null 2>&1; then
            WHY="n/a (strata command missing: $cmd)"
            return 1
        fi
    done
}

strata_import() {
    strata_has import || return 1
    "$STRATA" --root "$STRATA_STORE" import "$2" "$1" >>"$LOG" 2>&1
}

# RUN without a network, as the peers are run; STRATA_BUILD_FLAGS adds more.
strata_build_cmd() {
    echo "$STRATA --root $STRATA_STORE build -q --network none ${STRATA_BUILD_FLAGS:-} -f $2 -t $4 $3"
}

# Cold means the store as it was right after the base images were imported:
# no snapshots of earlier builds, no cache records, no stat cache.
strata_freeze() {
    rm -rf "$WORK/strata/template"
    cp -a "$STRATA_STORE" "$WORK/strata/template"
}

# The sync keeps the copy's writeback (a gigabyte with the big bases) out of
# the timed build that follows.
strata_cold_prepare() {
    echo "rm -rf $STRATA_STORE && cp -a $WORK/strata/template $STRATA_STORE && sync"
}

strata_forget() {
    rm -rf "$STRATA_STORE" && cp -a "$WORK/strata/template" "$STRATA_STORE"
}

# Uncompressed, as the peers export (buildah push -D, docker save).
strata_export_cmd() {
    echo "$STRATA --root $STRATA_STORE push --compression none $1 oci:$2:bench"
}

# A scenario that imports big bases keeps them out of every later cold start.
strata_save_template() {
    [ -d "$WORK/strata/template" ] || return 0
    rm -rf "$WORK/strata/template.saved"
    cp -a "$WORK/strata/template" "$WORK/strata/template.saved"
}

strata_restore_template() {
    [ -d "$WORK/strata/template.saved" ] || return 0
    rm -rf "$WORK/strata/template"
    mv "$WORK/strata/template.saved" "$WORK/strata/template"
}

# strata_hash_rate CONTEXT DOCKERFILE TAG: GB/s of strata hashing CONTEXT,
# from the context_hashed event of a build (its COPY step may be cached:
# the hashing happens before the lookup). The stat cache is removed first so
# every file is read, and the files are read once beforehand so the figure
# is hashing, not the disk. Prints nothing when the build fails or does not
# report the event.
strata_hash_rate() {
    local ctx=$1 df=$2 tag=$3 event
    find "$ctx" -type f -exec cat {} + >/dev/null
    rm -f "$STRATA_STORE/cache/statcache.bin"
    # shellcheck disable=SC2086
    event=$("$STRATA" --root "$STRATA_STORE" build --progress json --network none ${STRATA_BUILD_FLAGS:-} \
        -f "$df" -t "$tag" "$ctx" 2>>"$LOG" | jq -c 'select(.event == "context_hashed")' | head -n 1)
    [ -n "$event" ] || return 0
    # A tiny context (--quick) hashes in under a millisecond: count one.
    jq -n --argjson e "$event" '$e.hashed_bytes / ([$e.duration_ms, 1] | max) * 1000 / 1e9'
}
