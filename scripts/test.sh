#!/usr/bin/env bash
# Runs every test: installs the real peers the tests drive (umoci, skopeo,
# buildah, runc, docker-registry, busybox-static), then the workspace tests.
set -euo pipefail
cd "$(dirname "$0")/.."

need=(umoci skopeo buildah runc docker-registry busybox-static uidmap netavark aardvark-dns iptables iproute2)
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

cargo build --workspace --all-targets
cargo test --workspace --no-fail-fast -- --test-threads=2
