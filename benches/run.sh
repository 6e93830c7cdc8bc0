#!/usr/bin/env bash
# Benchmark (not a test): `strata run IMG true` against `runc run` on the
# same busybox rootfs. Median of 10 runs each with hyperfine; prints the
# ratio strata/runc. Needs root, hyperfine, runc, /bin/busybox.
#   ./benches/run.sh [path/to/strata]   (default: target/release/strata)
set -euo pipefail
cd "$(dirname "$0")/.."
strata=${1:-target/release/strata}
[ -x "$strata" ] || cargo build --release --bin strata
strata=$(realpath "$strata")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The image: static busybox plus its applet links.
rootfs=$work/bundle/rootfs
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/proc" "$rootfs/dev" "$rootfs/sys" "$rootfs/tmp"
cp /bin/busybox "$rootfs/bin/"
for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
echo 'root:x:0:' >"$rootfs/etc/group"

"$strata" --root "$work/store" import "$rootfs" bench:1 >/dev/null
# Unpack the layer once so both sides start from a ready root filesystem.
"$strata" --root "$work/store" run --rm bench:1 true

# runc: its default spec, not a terminal, running `true`.
(cd "$work/bundle" && runc spec)
python3 - "$work/bundle/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["true"]
json.dump(c, open(p, "w"))
PY

hyperfine --runs 10 --warmup 2 --export-json "$work/result.json" \
    -n strata "$strata --root $work/store run --rm --network none bench:1 true" \
    -n runc "runc --root $work/runc run -b $work/bundle strata-bench"

python3 - "$work/result.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
print(f"median strata {r['strata']*1000:.1f} ms, runc {r['runc']*1000:.1f} ms, ratio strata/runc {r['strata']/r['runc']:.2f}")
PY
