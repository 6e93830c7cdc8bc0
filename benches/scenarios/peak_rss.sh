# shellcheck shell=bash
# Scenario 6: peak memory (max RSS) of building and then exporting an image
# with one 2 GiB layer. Streaming tools stay flat; buffering ones grow with it.

# max_rss_kib COMMAND: runs COMMAND (a shell line) under GNU time and prints
# the largest RSS of it and its descendants, in KiB; fails when it fails.
max_rss_kib() {
    local out=$WORK/time.out
    /usr/bin/time -f '%M' -o "$out" sh -c "$1" >>"$LOG" 2>&1 || return 1
    tail -n 1 "$out"
}

# dockerd does the work of a docker build, so its own peak counts too:
# clear_refs 5 resets the kernel's high-water mark before each command.
daemon_reset_peak() { echo 5 >"/proc/$1/clear_refs"; }
daemon_peak_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

# peak_of_build TOOL DOCKERFILE CONTEXT TAG OUT: KiB, max of build and export.
peak_of_build() {
    local t=$1 df=$2 ctx=$3 tag=$4 out=$5 build exported pid='' extra=0
    sh -c "$("${t}_cold_prepare")" >>"$LOG" 2>&1
    rm -rf "$out"
    [ "$t" = buildkit ] && pid=$(buildkit_daemon_pid) && daemon_reset_peak "$pid"
    build=$(max_rss_kib "$("${t}_build_cmd" cold "$df" "$ctx" "$tag")") || return 1
    [ -n "$pid" ] && extra=$(daemon_peak_kib "$pid") && build=$((build + extra))
    if [ "$t" = strata ] && ! strata_has push; then
        echo "$build"
        return 0
    fi
    [ -n "$pid" ] && daemon_reset_peak "$pid"
    exported=$(max_rss_kib "$("${t}_export_cmd" "$tag" "$out")") || return 1
    [ -n "$pid" ] && extra=$(daemon_peak_kib "$pid") && exported=$((exported + extra))
    echo $((build > exported ? build : exported))
}

scenario_peak_rss() {
    local s="6. peak RSS, $BIG_LAYER layer" ctx=$WORK/biglayer t i kib peaks
    mkdir -p "$ctx"
    log "making a $BIG_LAYER file"
    random_file "$ctx/big" "$(bytes_of "$BIG_LAYER")"
    printf 'FROM bench-busybox\nCOPY big /big\n' >"$ctx/Dockerfile"
    for t in "${TOOLS[@]}"; do
        if ! can_build "$t"; then
            record "$s" "build + export" "${TOOL_NAME[$t]}" "${TOOL_WHY[$t]}" MB
            continue
        fi
        log "scenario $s, ${TOOL_NAME[$t]}: $RUNS run(s)"
        peaks=()
        for i in $(seq "$RUNS"); do
            kib=$(peak_of_build "$t" "$ctx/Dockerfile" "$ctx" bench-biglayer "$WORK/export") || {
                peaks=()
                break
            }
            peaks+=("$kib")
        done
        if [ ${#peaks[@]} -eq 0 ]; then
            record "$s" "build + export" "${TOOL_NAME[$t]}" "n/a (failed)" MB
        else
            record "$s" "build + export" "${TOOL_NAME[$t]}" "$(median_of "${peaks[@]}" | awk '{ print $1 / 1024 }')" MB
        fi
        rm -rf "$WORK/export"
        forget_builds bench-biglayer
    done
    can_build strata && ! strata_has push && note "$s" "strata: build only, it has no push command yet"
    note "$s" "BuildKit: docker CLI peak + dockerd peak (VmHWM); export = docker save / buildah push -D oci: / strata push oci:"
    rm -rf "$ctx"
}
