#!/usr/bin/env bash
# Runs every test: installs the real peers the tests drive (umoci, skopeo,
# buildah, runc, docker-registry, busybox-static, docker.io and mmdebstrap for
# the BuildKit differential test), then the workspace tests.
set -euo pipefail
cd "$(dirname "$0")/.."

need=(umoci skopeo buildah runc docker-registry busybox-static podman uidmap gcc libc6-dev keyutils docker.io mmdebstrap netavark aardvark-dns iptables nftables iproute2 passt qemu-user-static python3 git openssh-client)
missing=()
for p in "${need[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "missing packages (install as root): ${missing[*]}" >&2
        exit 1
    fi
fi

# The platform tests (tests/platform_*.rs) download busybox-static for
# arm64 with apt themselves; apt must know the architecture.
if [ "$(id -u)" = 0 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
    apt-get update -qq
fi

cargo build --workspace --all-targets
# The differential test's Debian cases (mmdebstrap + apt through the mirror).
export STRATA_DIFF_DEBIAN=1
cargo test --workspace --no-fail-fast -- --test-threads=2
