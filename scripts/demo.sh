#!/usr/bin/env bash
# The main job: build strata, import a busybox base image, build the example
# Dockerfile, run the image, list the build cache, then bring a two-service
# compose project up (a bridge network: needs root, netavark and iptables)
# and down.
set -euo pipefail
cd "$(dirname "$0")/.."
# The base image's busybox; for bridge networks iproute2 and nftables (the
# default network, wired by strata) and netavark, aardvark-dns and
# iptables (the compose project's network, with DNS).
need=()
[ -x /bin/busybox ] || need+=(busybox-static)
[ -x /usr/lib/podman/netavark ] || need+=(netavark)
[ -x /usr/lib/podman/aardvark-dns ] || need+=(aardvark-dns)
command -v iptables >/dev/null || need+=(iptables)
command -v nft >/dev/null || need+=(nftables)
command -v ip >/dev/null || need+=(iproute2)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    else
        echo "needed: apt-get install -y ${need[*]}" >&2; exit 1
    fi
fi
# STRATA_BIN: use an already built binary (the tests do) instead of building.
if [ -n "${STRATA_BIN:-}" ]; then
    strata=$STRATA_BIN
else
    cargo build --release
    strata=target/release/strata
fi
export STRATA_ROOT="${STRATA_ROOT:-$PWD/target/demo-store}"

# Import the base once: a second run of this script is then a fully cached rebuild.
if ! $strata inspect busybox:latest >/dev/null 2>&1; then
    # The same base the benchmarks make: busybox, its applet links, passwd.
    . benches/lib/rootfs.sh
    rootfs=$(mktemp -d)
    trap 'rm -rf "$rootfs"' EXIT
    busybox_rootfs "$rootfs"
    $strata import "$rootfs" busybox:latest
fi

$strata build -f examples/hello/Dockerfile -t hello:latest examples/hello
$strata run --rm hello:latest
$strata cache ls

# Compose: build the web service on top of hello, start it on the project's
# bridge network, let the client fetch its page by name, then remove it all.
compose="$strata compose -f examples/compose/compose.yaml"
$compose up -d
$strata wait hello-client-1 >/dev/null
$compose logs client
$compose ps -a
$compose down
