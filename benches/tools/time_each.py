#!/usr/bin/env python3
"""Times COMMAND FILE for each NUL-separated file on stdin, RUNS times each.

Prints JSON: files, failed (files the command rejected), total_ms (sum of the
per-file medians) and median_ms (median of the per-file medians).
"""
import argparse
import json
import statistics
import subprocess
import sys
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("command", nargs="+")
    args = ap.parse_args()
    files = [f for f in sys.stdin.buffer.read().decode().split("\0") if f]
    medians, failed = [], []
    for path in sorted(files):
        times = []
        for _ in range(max(args.runs, 1)):
            start = time.perf_counter()
            done = subprocess.run(args.command + [path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times.append(time.perf_counter() - start)
        if done.returncode != 0:
            failed.append(path)
        medians.append(statistics.median(times))
    for path in failed:
        print(f"rejected: {path}", file=sys.stderr)
    print(json.dumps({
        "files": len(files),
        "failed": len(failed),
        "total_ms": round(sum(medians) * 1000, 3),
        "median_ms": round(statistics.median(medians) * 1000, 3) if medians else None,
    }))


if __name__ == "__main__":
    main()
