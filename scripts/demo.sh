#!/usr/bin/env bash
# The main job: build strata, import a busybox base image, build the example
# Dockerfile, run the image, and list the build cache.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! [ -x /bin/busybox ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
    else
        echo "busybox-static is needed (apt-get install -y busybox-static)" >&2; exit 1
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

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/root"
cp /bin/busybox "$rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
$strata import "$rootfs" busybox:latest

$strata build -f examples/hello/Dockerfile -t hello:latest examples/hello
$strata run --rm hello:latest
$strata cache ls
