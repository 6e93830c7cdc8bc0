#!/usr/bin/env bash
# gen.sh STRATA OUTDIR: writes step-record.json and cache-config.json.
set -euo pipefail
bin=$1 out=$2
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
mkdir -p "$w/ctx"
printf 'FROM scratch\nCOPY a.txt /a.txt\n' >"$w/ctx/Dockerfile"
echo hello >"$w/ctx/a.txt"
"$bin" --root "$w/root" build -q -t fixture --cache-to "type=local,dest=$w/cache" "$w/ctx" >/dev/null
cp "$w"/root/cache/steps/*.json "$out/step-record.json"
manifest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"].split(":")[1])' "$w/cache/index.json")
config=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["config"]["digest"].split(":")[1])' "$w/cache/blobs/sha256/$manifest")
cp "$w/cache/blobs/sha256/$config" "$out/cache-config.json"
