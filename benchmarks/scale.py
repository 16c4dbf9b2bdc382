#!/usr/bin/env python3
"""Cost per sample, key-to-frame latency and each tier's effective rate at 10, 100 and 1000 veth
links; then a busy host (10k, optionally 50k, established loopback TCP sockets) against an idle one.

    .venv/bin/python benchmarks/scale.py [--links 10 100 1000] [--presses 5] [--seconds 10]
                                          [--sockets 10000 [50000]] [--no-tui]      # as root

For each size, a namespace (nettop-scale-<uuid8>, deleted at the end) gets N veth links (N/2
pairs), each with a pfifo qdisc.
- Cost of one tick: one pass over the burst-tier sources, and one over the hot-tier sources
  (CPU time, median of 20), by a sampler thread inside that namespace.
- Key to frame: the real `nettop --netns NS --panes 1` in tmux (160x48). From `send-keys 5` until
  link ROWS of the Interfaces pane are on the captured screen (`│ s0a  veth ...`, any of the first
  few link names in natural or plain order), then `5` again hides the pane (until no row is left);
  `--presses` times. The first press builds the pane; the others show it again.
- The TUI's own status line ("gauges X Hz, counters Y Hz"), read from the screen six times, 0.5 s
  apart, before the keys.
- In process: a Sampler as the TUI makes it (Cadence.for_interval(0.01), Budget(0.01, 0.02)) in
  the namespace for `--seconds` after 5 s of warm-up: reads per second of each tier (every
  source's samples counted through the sampler's recorder hook), the sampler thread's CPU (its
  CPU clock), what each source costs per read (sampling()["cost_us"]) and what is slowed.
Busy host: a namespace, measured in the same run idle (only lo) and then holding N/2 established
loopback connections (N sockets: both ends, benchmarks/conn_holder.py processes of at most 5000
connections each, under the 20,000 open-files limit): burst rate and the longest gap between
two burst reads (warm-up included: one costly read holds up the whole sampler thread), counter
rate, sampler CPU,
the costliest sources and the slowed ones, and the ratio busy/idle of the burst rate.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nettop.collectors import netns
from nettop.collectors.budget import Budget
from nettop.collectors.keys import Key
from nettop.collectors.procfs import ProcRoot
from nettop.collectors.sampler import Sampler
from nettop.collectors.store import Store
from nettop.collectors.tiers import Cadence, Tier

HERE = Path(__file__).resolve().parent
PER_HOLDER = 5000  # connections per holder pair: a server holds one descriptor more
WARMUP = 5.0  # as the TUI's status line: the budget settles
STATUS = re.compile(r"gauges (\d+) Hz, counters (\d+) Hz|sampling (\d+) Hz")


def batch(tool: str, ns: str, lines: list[str]) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".batch") as f:
        f.write("\n".join(lines) + "\n")
        f.flush()
        subprocess.run([tool, "-n", ns, "-batch", f.name], check=True, capture_output=True)


@contextlib.contextmanager
def namespace(prefix: str) -> Iterator[str]:
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def build(ns: str, links: int) -> list[str]:
    """N veth links with a pfifo each; the first few link names, in natural and in plain order."""
    pairs = max(1, links // 2)
    batch("ip", ns, [f"link add s{i}a type veth peer name s{i}b" for i in range(pairs)])
    batch("tc", ns, [f"qdisc add dev s{i}{e} root pfifo limit 100" for i in range(pairs) for e in "ab"])
    names = [f"s{i}{e}" for i in range(pairs) for e in "ab"]
    return sorted(set(names[:6]) | set(sorted(names)[:6]))


# --- cost of one tick --------------------------------------------------------------------------

def tick_costs(ns: str) -> dict[Tier, float]:
    """Median thread CPU seconds of one pass over each tier's sources (burst, hot), in ns."""
    result: dict[Tier, float] = {}

    def run() -> None:
        sampler = Sampler(ProcRoot(), Store(short_capacity=64), Cadence(), netns=netns.resolve(ns))
        sampler.enter_netns()
        for src in sampler.all_sources:
            sampler.sample_source(src)
        for tier in (Tier.BURST, Tier.HOT):
            srcs = [s for s in sampler.all_sources if s.tier is tier]
            times = []
            for _ in range(20):
                t = time.thread_time()
                for src in srcs:
                    sampler.sample_source(src)
                times.append(time.thread_time() - t)
            result[tier] = statistics.median(times)
        for src in sampler.all_sources:
            src.close()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    return result


# --- the sampler as the TUI runs it, in process --------------------------------------------------

@dataclass
class Counting:
    """Counts every sample per source (the sampler hands each to its recorder)."""

    reads: Counter[str] = field(default_factory=Counter)
    burst_at: list[float] = field(default_factory=list)  # times of the burst tier's probe reads

    def sample(self, key: Key[Any], t: float, names: tuple[str, ...], values: list[int], detail: object) -> None:
        self.reads[key.name] += 1
        if key.name == "softnet_stat":
            self.burst_at.append(t)

    def down(self, key: Key[Any], t: float, reason: str, applicable: bool) -> None:
        pass


@dataclass
class Run:
    seconds: float
    reads: Counter[str]
    tiers: dict[str, Tier]
    cpu: float  # the sampler thread's CPU seconds over the window
    sampling: dict[str, Any]
    burst_at: list[float]

    @property
    def longest_gap(self) -> float:
        """The longest wait between two burst-tier reads, warm-up included but not its first second
        (start-up: the first reads of everything); a costly read holds up the whole sampler thread."""
        ts = [t for t in self.burst_at if t >= self.burst_at[0] + 1.0] if self.burst_at else []
        return max((b - a for a, b in itertools.pairwise(ts)), default=0.0)

    def rate(self, name: str) -> float:
        return self.reads[name] / self.seconds

    def tier_rate(self, tier: Tier) -> float:
        """The highest read rate among the tier's sources (a source that is down reads on the cold cadence)."""
        return max((self.rate(n) for n, t in self.tiers.items() if t is tier), default=0.0)

    @property
    def cpu_percent(self) -> float:
        return 100 * self.cpu / self.seconds


def thread_cpu(name: str) -> float:
    ident = next(t.ident for t in threading.enumerate() if t.name == name and t.ident is not None)
    return time.clock_gettime(time.pthread_getcpuclockid(ident))


def run_sampler(ns: str, seconds: float) -> Run:
    """The TUI's sampler (interval 0.01 s, budget 2%) in ns: warm-up, then `seconds` counted."""
    sink = Counting()
    sampler = Sampler(ProcRoot(), Store(short_capacity=int(60 / 0.01) + 10, long_seconds=3600,
                                        max_ring_bytes=8 << 20),
                      Cadence.for_interval(0.01), netns=netns.resolve(ns), budget=Budget(0.01, 0.02), recorder=sink)
    sampler.start()
    try:
        time.sleep(WARMUP)
        sink.reads.clear()
        c0, w0 = thread_cpu("nettop-sampler"), time.monotonic()
        time.sleep(seconds)
        reads = Counter(sink.reads)
        c1, w1 = thread_cpu("nettop-sampler"), time.monotonic()
        sampling = sampler.sampling()
    finally:
        sampler.stop()
    if sampler.failed is not None:
        raise sampler.failed
    return Run(w1 - w0, reads, {s.key.name: s.tier for s in sampler.all_sources}, c1 - c0, sampling,
               list(sink.burst_at))


def describe(run: Run, indent: str = "    ") -> str:
    tiers = ", ".join(f"{t.value} {run.tier_rate(t):.1f} Hz" for t in Tier)
    costs = sorted(run.sampling["cost_us"].items(), key=lambda kv: -kv[1])
    per_source = "  ".join(f"{n} {run.rate(n):.1f}/s {us} µs" for n, us in costs)
    slowed = ", ".join(f"{n} every {s['interval_s']} s ({s['cost_ms']} ms)"
                       for n, s in run.sampling["slowed"].items()) or "none"
    return (f"{indent}in process ({run.seconds:.0f} s): {tiers}; sampler thread CPU {run.cpu_percent:.2f}% "
            f"of a core; budget intervals burst {run.sampling['burst_interval_s']} s, counters "
            f"{run.sampling['counter_interval_s']} s\n"
            f"{indent}reads/s and CPU per read, costliest first: {per_source}\n"
            f"{indent}slowed: {slowed}")


# --- the real TUI --------------------------------------------------------------------------------

def capture(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout


def rows_shown(screen: str, links: list[str]) -> bool:
    """A row of the Interfaces table for one of `links` (not the pane's title, not a chart's label)."""
    pattern = re.compile(r"[│┃] (?:" + "|".join(map(re.escape, links)) + r") +veth ")
    return pattern.search(screen) is not None


def wait_until(session: str, links: list[str], shown: bool, start: float, timeout: float = 15) -> float:
    while time.monotonic() - start < timeout:
        if rows_shown(capture(session), links) is shown:
            return time.monotonic() - start
        time.sleep(0.002)
    return float("nan")


def tui(ns: str, links: list[str], presses: int) -> tuple[list[float], str]:
    """Seconds from each key `5` until link rows are drawn; the status line's rates."""
    session = f"scale-{uuid.uuid4().hex[:8]}"
    cmd = f"exec {sys.executable} -m nettop.tui.cli --netns {ns} --panes 1"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "48", cmd], check=True)
    try:
        deadline = time.monotonic() + 30
        while " Hz" not in capture(session) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(5)  # the budget settles
        seen = []
        for _ in range(6):  # the rates move with the budget: six readings, 0.5 s apart
            found = STATUS.search(capture(session))
            seen.append(found.group(0) if found else "-")
            time.sleep(0.5)
        status = " / ".join(seen)
        latencies = []
        for _ in range(presses):
            start = time.monotonic()
            subprocess.run(["tmux", "send-keys", "-t", session, "5"], check=True)
            latencies.append(wait_until(session, links, True, start))
            time.sleep(0.5)
            subprocess.run(["tmux", "send-keys", "-t", session, "5"], check=True)  # back to pane 1 alone
            wait_until(session, links, False, time.monotonic())
            time.sleep(0.5)
        return latencies, status
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


# --- busy host -----------------------------------------------------------------------------------

def spawn(ns: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, str(HERE / "conn_holder.py"), *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def wait_line(proc: subprocess.Popen[str], prefix: str) -> None:
    assert proc.stdout is not None
    while not proc.stdout.readline().startswith(prefix):
        if proc.poll() is not None:
            raise RuntimeError("a connection holder exited")


@contextlib.contextmanager
def held(ns: str, conns: int) -> Iterator[None]:
    """`conns` established loopback connections in ns (2 x conns sockets), until the block ends."""
    procs: list[subprocess.Popen[str]] = []
    try:
        for k, first in enumerate(range(0, conns, PER_HOLDER)):
            count, port = str(min(PER_HOLDER, conns - first)), str(5001 + k)
            server = spawn(ns, "server", "127.0.0.1", port, count)
            procs.append(server)
            wait_line(server, "listening")
            client = spawn(ns, "client", "127.0.0.1", port, count)
            procs.append(client)
            wait_line(client, "ready")
            wait_line(server, "ready")
        yield
    finally:
        for p in procs:
            if p.stdin:
                p.stdin.close()
        for p in procs:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()


def busy_line(label: str, run: Run) -> str:
    costly = sorted(run.sampling["cost_us"].items(), key=lambda kv: -kv[1])[:3]
    slowed = ", ".join(f"{n} every {s['interval_s']} s" for n, s in run.sampling["slowed"].items()) or "none"
    return (f"  {label:>14}  {run.tier_rate(Tier.BURST):8.1f}  {run.longest_gap * 1000:10.0f}  "
            f"{run.tier_rate(Tier.HOT):11.1f}  "
            f"{run.cpu_percent:6.2f}  {', '.join(f'{n} {us / 1000:.1f} ms' for n, us in costly):44}  {slowed}")


def busy_host(sockets: list[int], seconds: float) -> None:
    print(f"\nbusy host: established loopback TCP sockets in a namespace; sampler as the TUI's, {seconds:.0f} s each")
    print(f"  {'':>14}  {'burst Hz':>8}  {'gap ms':>10}  {'counters Hz':>11}  {'CPU %':>6}  "
          f"{'costliest reads':44}  slowed")
    with namespace("nettop-busy") as ns:
        idle = run_sampler(ns, seconds)
        print(busy_line("idle", idle), flush=True)
        for n in sockets:
            with held(ns, n // 2):
                busy = run_sampler(ns, seconds)
            ratio = busy.tier_rate(Tier.BURST) / idle.tier_rate(Tier.BURST)
            print(busy_line(f"{n:,} sockets", busy) + f"  | burst busy/idle {ratio:.2f}x", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--links", type=int, nargs="*", default=[10, 100, 1000])
    ap.add_argument("--presses", type=int, default=5, help="key presses timed per size")
    ap.add_argument("--seconds", type=float, default=10, help="in-process sampler window per case")
    ap.add_argument("--sockets", type=int, nargs="*", default=[10000], help="busy-host sizes (e.g. 10000 50000)")
    ap.add_argument("--no-tui", action="store_true", help="skip the tmux part")
    args = ap.parse_args()
    keeper = f"scale-keeper-{uuid.uuid4().hex[:8]}"  # one tmux server up between the sessions
    subprocess.run(["tmux", "new-session", "-d", "-s", keeper, "sleep 3600"], check=True)
    try:
        for links in args.links:
            with namespace("nettop-scale") as ns:
                names = build(ns, links)
                cost = tick_costs(ns)
                print(f"{links:5d} links: one burst tick {cost[Tier.BURST] * 1000:6.2f} ms CPU, one hot tick "
                      f"{cost[Tier.HOT] * 1000:6.2f} ms CPU", flush=True)
                if not args.no_tui:
                    lat, status = tui(ns, names, args.presses)
                    later = lat[1:] or lat
                    print(f"    key 5 to link rows: first {lat[0] * 1000:.0f} ms (pane built), then median "
                          f"{statistics.median(later) * 1000:.0f} ms, max {max(later) * 1000:.0f} ms "
                          f"({len(later)} presses) | TUI status: {status}", flush=True)
                print(describe(run_sampler(ns, args.seconds)), flush=True)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", keeper], capture_output=True)
    if args.sockets:
        busy_host(args.sockets, args.seconds)


if __name__ == "__main__":
    main()
