# shellcheck shell=bash
# BuildKit as Debian's docker.io ships it: a private dockerd with its own state
# dirs, touching no iptables and making no bridge, driven by the 20.10 CLI
# (/usr/bin/docker: another docker CLI on PATH may lack BuildKit support).

DOCKER=/usr/bin/docker
DOCKERD=/usr/sbin/dockerd
DOCKERD_PID=

buildkit_start() {
    if [ ! -x "$DOCKERD" ] || [ ! -x "$DOCKER" ]; then WHY="n/a (docker.io not installed)"; return 1; fi
    [ "$(id -u)" = 0 ] || { WHY="n/a (dockerd needs root)"; return 1; }
    local dir=$WORK/docker
    mkdir -p "$dir/config"
    # An empty client config: buildah also reads DOCKER_CONFIG and wants it to exist.
    echo '{}' >"$dir/config/config.json"
    export DOCKER_HOST="unix://$dir/docker.sock" DOCKER_BUILDKIT=1 DOCKER_CONFIG="$dir/config"
    "$DOCKERD" --iptables=false --ip-forward=false --ip-masq=false --bridge=none \
        --storage-driver=overlay2 --data-root "$dir/data" --exec-root "$dir/exec" \
        --pidfile "$dir/dockerd.pid" -H "$DOCKER_HOST" >"$dir/dockerd.log" 2>&1 &
    DOCKERD_PID=$!
    local i
    for i in $(seq 150); do
        "$DOCKER" version >/dev/null 2>&1 && return 0
        kill -0 "$DOCKERD_PID" 2>/dev/null || break
        sleep 0.2
    done
    tail -n 20 "$dir/dockerd.log" >>"$LOG"
    WHY="n/a (dockerd did not start)"
    return 1
}

buildkit_stop() {
    [ -n "$DOCKERD_PID" ] || return 0
    kill -TERM "$DOCKERD_PID" 2>/dev/null || true
    local i
    for i in $(seq 100); do
        kill -0 "$DOCKERD_PID" 2>/dev/null || break
        sleep 0.2
    done
    kill -KILL "$DOCKERD_PID" 2>/dev/null || true
    wait "$DOCKERD_PID" 2>/dev/null || true
    DOCKERD_PID=
    if mountpoint -q "$WORK/docker/exec/netns/default" 2>/dev/null; then
        umount "$WORK/docker/exec/netns/default" || true
    fi
    unmount_under "$WORK/docker"
}

buildkit_import() {
    "$DOCKER" import "$2" "$1" >>"$LOG"
}

# buildkit_build_cmd cold|warm DOCKERFILE CONTEXT TAG
buildkit_build_cmd() {
    echo "$DOCKER build --network=none -q -f $2 -t $4 $3"
}

# Cold means BuildKit's whole cache is gone, the context's copy included,
# and the image of the previous run too: dockerd's layer store would
# otherwise already hold the layers the build exports (strata and buildah
# start without them as well).
buildkit_cold_prepare() {
    local rmi=
    [ -n "${1:-}" ] && rmi="$DOCKER rmi -f $1 >/dev/null 2>&1; "
    echo "${rmi}$DOCKER builder prune -af >/dev/null && sync"
}

# Space back after a scenario: the built images and all build cache.
buildkit_forget() {
    local tag
    for tag in "$@"; do "$DOCKER" rmi -f "$tag" >/dev/null 2>&1 || true; done
    "$DOCKER" builder prune -af >/dev/null 2>&1 || true
}

# buildkit_export TAG OUT: the image as a tar (what dockerd writes on export).
buildkit_export_cmd() {
    echo "$DOCKER save -o $2 $1"
}

buildkit_daemon_pid() { echo "$DOCKERD_PID"; }
