#!/usr/bin/env python3
"""Writes a directory tree of FILES distinct files totalling about BYTES bytes.

File contents come from one random pool read at different offsets, each file
prefixed with its own path, so every file is distinct (no tool can skip work
by deduplicating) while generating a gigabyte stays I/O bound.
"""
import argparse
import os
import random


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("dir")
    ap.add_argument("--files", type=int, required=True)
    ap.add_argument("--bytes", type=int, required=True)
    ap.add_argument("--fanout", type=int, default=50, help="files per directory")
    ap.add_argument("--seed", type=int, default=8)
    args = ap.parse_args()
    if args.files < 1 or args.bytes < 0:
        ap.error("--files must be >= 1 and --bytes >= 0")

    rng = random.Random(args.seed)
    pool_size = 64 * 1024 * 1024
    pool = os.urandom(min(pool_size, max(args.bytes, 1)))
    mean = args.bytes // args.files
    written = 0
    for i in range(args.files):
        remaining_files = args.files - i
        if remaining_files == 1:
            size = max(args.bytes - written, 0)
        else:
            # Sizes vary between half and one and a half times the mean, as
            # real source trees do, without drifting from the total.
            size = rng.randint(mean // 2, mean + mean // 2) if mean else 0
            size = min(size, max(args.bytes - written, 0))
        rel = os.path.join(f"d{i // args.fanout // args.fanout:03d}", f"e{i // args.fanout:04d}", f"f{i:06d}.dat")
        path = os.path.join(args.dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        header = rel.encode() + b"\n"
        with open(path, "wb") as out:
            out.write(header[:size])
            left = size - min(len(header), size)
            while left > 0:
                off = rng.randrange(0, len(pool))
                chunk = pool[off : off + left]
                out.write(chunk)
                left -= len(chunk)
        written += size


if __name__ == "__main__":
    main()
