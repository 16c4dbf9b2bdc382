#!/usr/bin/env python3
"""What recording costs per 100 Hz tick against what reading costs, and the file size per hour.

    .venv/bin/python benchmarks/record_cost.py [--seconds 60] [--rounds 2000]

1. The read cost of one hot tick: the median CPU of `Sampler.sample_source` over the hot
   sources on /proc (as benchmarks/sample_cost.py measures it).
2. A stream of every sample of every default source (netlink included when run as root),
   taken with a clock that moves 10 ms per tick: `--seconds` of a recording at 100 Hz.
3. That stream fed to the recorder of format 3 (this nettop) and to the JSON encoding of
   format 2 (the recorder before it, reproduced here without its file writes), in the same
   run: CPU per tick (the process's, so the recorder's writer thread counts) and bytes,
   scaled to an hour.
4. The format-3 file replayed: opening it (the index), seeks, chunks decoded, memory.

The stream's clock is regular and /proc changes little between its reads, so its files
compress better than a real run's: `nettop record -o x.ntr --interval 0.01 --budget 0
--duration 60` gives the real size (docs/recording.md).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nettop.collectors.keys import Key
from nettop.collectors.procfs import ProcRoot
from nettop.collectors.recording import Recorder, make_header, read_recording
from nettop.collectors.recording_legacy import chunk as json_chunk
from nettop.collectors.replay import Player
from nettop.collectors.sampler import Sampler
from nettop.collectors.sources import ProcSource
from nettop.collectors.store import Store
from nettop.collectors.tiers import Cadence, Tier

TICK = 0.01

Item = tuple[Key[Any], float, tuple[str, ...], list[int], object]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Collect:
    """A sink that keeps every sample (the sampler hands each to its recorder)."""

    items: list[Item] = field(default_factory=list)

    def sample(self, key: Key[Any], t: float, names: tuple[str, ...], values: list[int], detail: object) -> None:
        self.items.append((key, t, names, values, detail))

    def down(self, key: Key[Any], t: float, reason: str, applicable: bool) -> None:
        pass


@dataclass
class JsonRecorder:
    """Format 2's recorder (JSON lines, zlib level 6, once a second), its encoding only."""

    clock: Clock
    bytes: int = 0
    pending: list[dict[str, Any]] = field(default_factory=list)
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    detail_at: dict[str, float] = field(default_factory=dict)
    last_flush: float = 0.0

    def sample(self, key: Key[Any], t: float, names: tuple[str, ...], values: list[int], detail: object) -> None:
        record: dict[str, Any] = {"s": key.name, "t": round(t, 6), "v": values}
        if self.names.get(key.name) != names:
            self.names[key.name] = names
            record["n"] = list(names)
            self.detail_at.pop(key.name, None)
        if detail is not None and key.has_detail and t - self.detail_at.get(key.name, -math.inf) >= 1.0:
            record["d"] = key.encode(detail)
            self.detail_at[key.name] = t
        self.pending.append(record)
        if self.clock() - self.last_flush >= 1.0:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.bytes += len(json_chunk(self.pending))
        self.pending, self.names, self.last_flush = [], {}, self.clock()


def read_cost(rounds: int) -> float:
    """Median CPU microseconds of one hot tick: read, parse, store."""
    sampler = Sampler(ProcRoot(), Store(short_capacity=rounds + 10), Cadence())
    hot = [s for s in sampler.all_sources if s.tier is Tier.HOT and isinstance(s, ProcSource)]
    costs = []
    for _ in range(rounds):
        t = time.process_time_ns()
        for src in hot:
            sampler.sample_source(src)
        costs.append(time.process_time_ns() - t)
    sampler.stop()
    return statistics.median(costs) / 1000


def collect(seconds: float) -> tuple[list[tuple[float, list[Item]]], int]:
    """Every sample of `seconds` at 100 Hz, grouped by tick; and how many ticks."""
    clock, sink = Clock(), Collect()
    sampler = Sampler(ProcRoot(), Store(short_capacity=64, long_seconds=4), Cadence(hot=TICK), clock=clock,
                      recorder=sink)
    ticks: list[tuple[float, list[Item]]] = []
    for _ in range(int(seconds / TICK)):
        clock.now += TICK
        sampler.tick()
        ticks.append((clock.now, sink.items))
        sink.items = []
    sampler.stop()
    return ticks, len(ticks)


def feed(ticks: list[tuple[float, list[Item]]], clock: Clock, sink: Recorder | JsonRecorder) -> float:
    """Process CPU seconds to record the stream (the writer thread included)."""
    cpu = time.process_time()
    for now, items in ticks:
        clock.now = now
        for key, t, names, values, detail in items:
            sink.sample(key, t, names, values, detail)
    if isinstance(sink, Recorder):
        sink.close()
    else:
        sink.flush()
    return time.process_time() - cpu


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024


def replay(path: Path) -> None:
    """Open the file, seek to its end, its start, 90 s back: wall time and chunks decoded each."""
    rss0, t = rss_mb(), time.perf_counter()
    rec = read_recording(path)
    opened = time.perf_counter() - t
    print(f"replay of {path.stat().st_size:,} bytes, {len(rec.chunks)} chunks: opened (indexed) in "
          f"{opened * 1000:.0f} ms")
    player = Player(rec)
    for name, at in (("end", rec.end), ("start", rec.start), ("end - 90 s", rec.end - 90), ("end", rec.end)):
        t, before = time.perf_counter(), rec.decoded
        player.seek(at)
        ms = (time.perf_counter() - t) * 1000
        print(f"  seek to {name:10s}: {ms:6.0f} ms, {rec.decoded - before} chunks decoded")
    print(f"  memory: +{rss_mb() - rss0:.0f} MB RSS for the index, the store and the chunk cache")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=180.0, help="recorded seconds at 100 Hz")
    ap.add_argument("--rounds", type=int, default=2000, help="hot ticks timed for the read cost")
    ap.add_argument("--no-replay", action="store_true", help="leave out the replay figures")
    args = ap.parse_args()
    read_us = read_cost(args.rounds)
    ticks, n = collect(args.seconds)
    samples = sum(len(items) for _, items in ticks)
    figures: dict[str, tuple[float, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        written = Path(tmp) / "v3.ntr"
        for name in ("json v2", "v3", "json v2", "v3"):  # twice each, interleaved: noise hits both
            clock = Clock()
            sink: Recorder | JsonRecorder
            if name == "v3":
                written.unlink(missing_ok=True)
                sink = Recorder(written, make_header(None, TICK), clock=clock)
                sink.open()
                cpu = feed(ticks, clock, sink)
                size = written.stat().st_size
            else:
                sink = JsonRecorder(clock)
                cpu = feed(ticks, clock, sink)
                size = sink.bytes
            best = figures.get(name)
            figures[name] = (min(cpu, best[0]) if best else cpu, size)
        report(figures, read_us, n, samples)
        if not args.no_replay:
            replay(written)


def report(figures: dict[str, tuple[float, int]], read_us: float, n: int, samples: int) -> None:
    per_hour = 3600 / (n * TICK)
    print(f"hot tick read cost (median): {read_us:7.1f} us CPU")
    print(f"stream: {n} ticks at 100 Hz ({n * TICK:g} s), {samples} samples of all sources ({samples / n:.1f}/tick)")
    for name, (cpu, size) in figures.items():
        us = cpu / n * 1e6
        print(f"{name:8s} recorder: {us:7.1f} us CPU per tick = {100 * us / read_us:5.1f} % of the read cost; "
              f"{size:,} bytes -> {size * per_hour / 1e6:6.1f} MB per hour at 100 Hz")
    print("target: recorder <= 20 % of the read cost")
    print(f"({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
