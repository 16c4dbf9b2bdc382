#!/usr/bin/env python3
"""Where a sampler tick's CPU goes, before and after the split into tiers, in one run.

    .venv/bin/python benchmarks/tick_cost.py [--seconds 10] [--interval 0.01]

Two samplers over the default sources of this host, each run alone for `--seconds` in a
thread, unbudgeted, at `--interval`:
  before  every gauge and counter read together on every tick (the single hot tier of v1:
          counters at the burst rate, /proc/net/dev beside the netlink link stats)
  after   the tiers as shipped: gauges every tick, counters at 10 Hz, dev standing by
Per tick of the burst tier: CPU spent in each source's read (reading + decoding: the
sources decode as they read), in storing (Store.record), in the sampler's own bookkeeping,
and in sleeping and waking (thread CPU that is none of the above). CPU is the thread's own
(time.thread_time). Ratios after/before are printed; the host's load should not change between.
"""

from __future__ import annotations

import argparse
import dataclasses
import threading
import time
from collections import defaultdict
from typing import Any

from nettop.collectors.procfs import ProcRoot
from nettop.collectors.sampler import Sampler
from nettop.collectors.sources import Source
from nettop.collectors.store import Store
from nettop.collectors.tiers import Cadence, Tier


@dataclasses.dataclass
class Spent:
    reads: dict[str, float] = dataclasses.field(default_factory=lambda: defaultdict(float))
    store: float = 0.0
    total: float = 0.0
    ticks: int = 0


def instrument(sampler: Sampler, spent: Spent) -> None:
    for src in sampler.all_sources:
        original = src.read

        def timed(original: Any = original, name: str = src.key.name) -> Any:
            t0 = time.thread_time()
            try:
                return original()
            finally:
                spent.reads[name] += time.thread_time() - t0

        src.read = timed  # type: ignore[method-assign]
    record = sampler.store.record

    def timed_record(*args: Any, **kw: Any) -> Any:
        t0 = time.thread_time()
        try:
            return record(*args, **kw)
        finally:
            spent.store += time.thread_time() - t0

    sampler.store.record = timed_record  # type: ignore[method-assign]


def force(src: Source, attr: str, value: object) -> None:
    """Override a class-level or spec-derived attribute on one source instance."""
    try:
        object.__setattr__(src, attr, value)
    except AttributeError:  # a property from the source's spec: patch the spec copy
        spec = src.spec  # type: ignore[attr-defined]
        object.__setattr__(src, "spec", dataclasses.replace(spec, **{attr: value}))


def run(label: str, cadence: Cadence, all_hot: bool, seconds: float) -> Spent:
    sampler = Sampler(ProcRoot(), Store(), cadence)
    if all_hot:
        for src in sampler.all_sources:
            if src.tier in (Tier.BURST, Tier.HOT):
                force(src, "tier", Tier.BURST)
            if src.standby_for is not None:
                force(src, "standby_for", None)
    spent = Spent()
    probe = next(s.key.name for s in sampler.all_sources if s.tier is Tier.BURST)

    def body() -> None:
        sampler.run(until=time.monotonic() + 2.0)  # warm up: first reads, imports, BTF
        instrument(sampler, spent)
        instrument_ticks(sampler, spent, probe)
        t0 = time.thread_time()
        sampler.run(until=time.monotonic() + seconds)
        spent.total = time.thread_time() - t0

    thread = threading.Thread(target=body, name=f"tick-{label}")
    thread.start()
    thread.join()
    for src in sampler.all_sources:
        src.close()
    return spent


def instrument_ticks(sampler: Sampler, spent: Spent, probe: str) -> None:
    """Count burst ticks: reads of the first burst-tier source."""
    src: Source = next(s for s in sampler.all_sources if s.key.name == probe)
    original = src.read

    def counted() -> Any:
        spent.ticks += 1
        return original()

    src.read = counted  # type: ignore[method-assign]


def report(label: str, s: Spent) -> dict[str, float]:
    ticks = max(1, s.ticks)
    reads = sum(s.reads.values())
    parts = {"reads (read + decode)": reads / ticks, "store": s.store / ticks,
             "sleep, wake, bookkeeping": (s.total - reads - s.store) / ticks, "total": s.total / ticks}
    print(f"\n{label}: {s.ticks} burst ticks")
    for name, value in parts.items():
        print(f"  {name:28s} {value * 1e6:8.0f} µs per tick")
    top = sorted(s.reads.items(), key=lambda kv: -kv[1])[:8]
    print("  costliest reads per tick: " + ", ".join(f"{n} {v / ticks * 1e6:.0f} µs" for n, v in top))
    return parts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--interval", type=float, default=0.01)
    args = ap.parse_args()
    tiers = Cadence.for_interval(args.interval)
    flat = dataclasses.replace(tiers, hot=args.interval)
    before = report("before: one hot tier", run("before", flat, True, args.seconds))
    after = report("after: burst / hot / warm / cold tiers", run("after", tiers, False, args.seconds))
    print("\nafter / before, per burst tick:")
    for name in before:
        print(f"  {name:28s} {after[name] / before[name]:.2f}x")


if __name__ == "__main__":
    main()
