# shellcheck shell=bash
# buildah with its own storage under the work dir, overlay driver, runc with
# OCI isolation, layer caching on: the closest daemonless peer to strata.

buildah_cli() {
    buildah --storage-driver overlay --root "$WORK/buildah/root" --runroot "$WORK/buildah/runroot" "$@"
}

buildah_start() {
    command -v buildah >/dev/null || { WHY="n/a (buildah not installed)"; return 1; }
    [ -x /usr/sbin/runc ] || { WHY="n/a (runc not installed)"; return 1; }
    mkdir -p "$WORK/buildah"
}

buildah_stop() {
    [ -d "$WORK/buildah" ] || return 0
    buildah_cli rm -a >/dev/null 2>&1 || true
    unmount_under "$WORK/buildah"
}

buildah_import() {
    local ctr
    ctr=$(buildah_cli from scratch) &&
        buildah_cli add "$ctr" "$2" / >/dev/null &&
        buildah_cli commit -q "$ctr" "$1" >>"$LOG" &&
        buildah_cli rm "$ctr" >/dev/null
}

buildah_build_cmd() {
    local extra=
    [ "$1" = cold ] && extra=--no-cache
    echo "buildah --storage-driver overlay --root $WORK/buildah/root --runroot $WORK/buildah/runroot" \
        "bud --runtime /usr/sbin/runc --isolation oci --layers --network=none --pull=never -q $extra -f $2 -t $4 $3"
}

# --no-cache already makes every run cold; dropping the previous run's
# unnamed layers only keeps the disk from filling up.
buildah_cold_prepare() {
    local cli="buildah --storage-driver overlay --root $WORK/buildah/root --runroot $WORK/buildah/runroot"
    local rmi=
    [ -n "${1:-}" ] && rmi="$cli rmi -f $1 >/dev/null 2>&1; "
    echo "${rmi}$cli rmi --prune >/dev/null 2>&1; sync"
}

buildah_forget() {
    local tag
    for tag in "$@"; do buildah_cli rmi -f "$tag" >/dev/null 2>&1 || true; done
    buildah_cli rmi --prune >/dev/null 2>&1 || true
}

buildah_export_cmd() {
    echo "buildah --storage-driver overlay --root $WORK/buildah/root --runroot $WORK/buildah/runroot" \
        "push -q -D $1 oci:$2"
}
