#!/usr/bin/env python3
"""Median CPU cost of one hot-tier sample against a raw read-and-split of the same files.

    python benchmarks/sample_cost.py [--rounds 3000]

Both loops run in this process, interleaved in blocks, so machine noise hits both.
The hot tier is netstat, snmp, sockstat, softnet_stat and dev; nettop's figure
includes reading, parsing and appending to the ring store.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from nettop.collectors.procfs import ProcRoot
from nettop.collectors.sampler import Sampler
from nettop.collectors.sources import ProcSource
from nettop.collectors.store import Store
from nettop.collectors.tiers import Cadence, Tier


def raw_loop(fds: list[int]) -> None:
    for fd in fds:
        off = 0
        while True:
            chunk = os.pread(fd, 65536, off)
            if not chunk:
                break
            off += len(chunk)
            for line in chunk.split(b"\n"):
                line.split()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3000)
    args = ap.parse_args()
    root = ProcRoot()
    sampler = Sampler(root, Store(short_capacity=args.rounds + 10), Cadence())
    hot = [s for s in sampler.all_sources if s.tier is Tier.HOT and isinstance(s, ProcSource)]
    fds = [os.open(s.path, os.O_RDONLY) for s in hot]
    ours: list[int] = []
    base: list[int] = []
    clock = time.process_time_ns
    for _ in range(args.rounds // 100):
        for _ in range(100):
            t = clock()
            for src in hot:
                sampler.sample_source(src)
            ours.append(clock() - t)
        for _ in range(100):
            t = clock()
            raw_loop(fds)
            base.append(clock() - t)
    o, b = statistics.median(ours) / 1000, statistics.median(base) / 1000
    print(f"hot sources: {', '.join(s.key.name for s in hot)}")
    print(f"raw read-and-split loop: median {b:7.1f} us CPU per sample")
    print(f"nettop hot sample:       median {o:7.1f} us CPU per sample")
    print(f"ratio nettop / raw:      {o / b:.2f}x  (target <= 2x and <= 150 us)")
    sampler.stop()


if __name__ == "__main__":
    main()
