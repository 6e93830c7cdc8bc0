# shellcheck shell=bash
# The packages the suite drives. As root, missing ones are installed with apt;
# otherwise the tools that are missing are reported as n/a.

BENCH_PACKAGES=(docker.io buildah runc busybox-static uidmap hyperfine jq time openssl python3)

install_missing_packages() {
    local p missing=()
    for p in "${BENCH_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ]; then
        log "missing packages (install as root): ${missing[*]}"
        return 0
    fi
    log "installing ${missing[*]}"
    # docker.io would start a system dockerd on install; a policy-rc.d that
    # denies it (when the host has none) keeps the suite's daemon the only one.
    local policy=/usr/sbin/policy-rc.d added=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && added=1
    fi
    if ! DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
        ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; then
        log "apt-get failed; missing tools will be n/a"
    fi
    [ "$added" = 1 ] && rm -f "$policy"
    return 0
}

# The harness itself cannot work without these.
require_harness_tools() {
    local t
    for t in hyperfine jq python3 openssl findmnt; do
        command -v "$t" >/dev/null || die "$t is needed to run the benchmarks"
    done
}
