#!/usr/bin/env python3
"""RSS of the sampler at 100 Hz over a long run: the store is bounded, so memory must not grow.

    python benchmarks/memory_growth.py [--minutes 10] [--interval 0.01]

Runs the real sampler (all sources, no CPU budget) in this process and prints RSS
after 10 s (rings filled once), at 1 minute and at the end, with the growth between.
"""

from __future__ import annotations

import argparse
import time

import psutil

from nettop.collectors.procfs import ProcRoot
from nettop.collectors.sampler import Sampler
from nettop.collectors.tiers import Cadence
from nettop.tui.datasource import live_source


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--interval", type=float, default=0.01)
    args = ap.parse_args()
    data = live_source(ProcRoot(), None, args.interval, budget=None)  # the TUI's store sizing
    sampler = Sampler(ProcRoot(), data.store, Cadence(hot=args.interval))
    sampler.start()
    start = time.monotonic()
    marks = {}
    try:
        for label, at in (("10 s", 10), ("1 min", 60), (f"{args.minutes:g} min", args.minutes * 60)):
            time.sleep(max(0.0, start + at - time.monotonic()))
            marks[label] = rss_mb()
            samples = data.store.status("netstat").samples
            rate = samples / (time.monotonic() - start)
            print(f"{label:>8}: RSS {marks[label]:7.1f} MB  ({samples} hot samples, {rate:.0f}/s)", flush=True)
    finally:
        sampler.stop()
    labels = list(marks)
    print(f"growth from 1 min to {labels[-1]}: {marks[labels[-1]] - marks['1 min']:+.1f} MB "
          f"(target <= 10 MB); from 10 s: {marks[labels[-1]] - marks['10 s']:+.1f} MB")


if __name__ == "__main__":
    main()
