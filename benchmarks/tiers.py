#!/usr/bin/env python3
"""Each sampling tier's effective rate and the sampler's CPU at the defaults (interval 0.01 s, budget
2%), in the real TUI and in `nettop record`, on an idle host and with 50 links.

    .venv/bin/python benchmarks/tiers.py [--seconds 20] [--links 50]      # as root; --seconds 60 for the issue

Four runs, one after the other, each `--seconds` long after 5 s of start-up:
- TUI: `nettop [--netns NS]` in a detached tmux session (100x30). The status line is read from
  the screen every 0.5 s: "gauges X Hz, counters Y Hz" (the median and the range are printed;
  "sampling X Hz" readings, where the line lost its counter rate, are counted apart) and any
  "slower: ..." note.
- record: `nettop record -o FILE [--netns NS]`. The file is read back and every source's samples
  in the window counted: each tier's rate is its fastest source's (a source that is down reads on
  the cold cadence; `dev` stands by while link_stats carries the same counters).
CPU: the process's (utime + stime of /proc/PID/stat, 10 ms ticks) and its sampler thread's (the
run time in /proc/PID/task/TID/schedstat of the task whose comm is "nettop-sampler", in ns), over
the same window, in % of one core. Sources with no sample in the window (down: bql on veth; `dev`
standing by) are listed apart from the slow ones.
Idle host: the host's own namespace (whatever else runs there). 50 links: a namespace
(nettop-tiers-<uuid8>, deleted at the end) with 25 veth pairs, a pfifo on each link, and `--netns`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from nettop.collectors.procfs import ProcRoot
from nettop.collectors.recording import read_recording
from nettop.collectors.sampler import default_sources
from nettop.collectors.tiers import Tier

TICK = os.sysconf("SC_CLK_TCK")
STARTUP = 5.0
GAUGES = re.compile(r"gauges (\d+) Hz, counters (\d+) Hz")
SAMPLING = re.compile(r"sampling (\d+) Hz")
SLOWER = re.compile(r"slower: ([^|\n]*)")
NETTOP = Path(sys.executable).with_name("nettop")


@contextlib.contextmanager
def links_namespace(links: int) -> Iterator[str]:
    name = f"nettop-tiers-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        pairs = max(1, links // 2)
        with tempfile.NamedTemporaryFile("w", suffix=".batch") as f:
            f.write("link set lo up\n" + "".join(f"link add s{i}a type veth peer name s{i}b\n" for i in range(pairs)))
            f.flush()
            subprocess.run(["ip", "-n", name, "-batch", f.name], check=True, capture_output=True)
        with tempfile.NamedTemporaryFile("w", suffix=".batch") as f:
            f.write("".join(f"qdisc add dev s{i}{e} root pfifo limit 100\n" for i in range(pairs) for e in "ab"))
            f.flush()
            subprocess.run(["tc", "-n", name, "-batch", f.name], check=True, capture_output=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(the process's CPU seconds: utime + stime, in clock ticks; its sampler thread's: the run time
    of /proc/PID/task/TID/schedstat, in ns, for a small share over a short window)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    sampler = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            if (task / "comm").read_text().strip().startswith("nettop-sampler"):
                sampler += int((task / "schedstat").read_text().split()[0]) / 1e9
    return (int(fields[11]) + int(fields[12])) / TICK, sampler


@dataclass
class Result:
    case: str
    mode: str
    seconds: float
    process_cpu: float  # % of one core
    sampler_cpu: float
    gauges: list[float] = field(default_factory=list)  # readings (TUI) or one exact rate (record)
    counters: list[float] = field(default_factory=list)
    warm: float | None = None
    cold: float | None = None
    lost_counters: int = 0  # TUI readings of "sampling X Hz"
    slowed: str = ""

    @staticmethod
    def rate(values: list[float]) -> str:
        if not values:
            return "-"
        mid = statistics.median(values)
        lo, hi = min(values), max(values)
        return f"{mid:.1f}" if lo == hi or len(values) == 1 else f"{mid:.0f} ({lo:.0f}-{hi:.0f})"

    def row(self) -> str:
        def opt(v: float | None) -> str:
            return "-" if v is None else f"{v:.2f}"

        lost = f"{self.lost_counters}" if self.mode == "TUI" else "-"
        return (f"{self.case:10} {self.mode:6} {self.rate(self.gauges):>12} {self.rate(self.counters):>11} "
                f"{opt(self.warm):>6} {opt(self.cold):>6} {lost:>6} {self.sampler_cpu:9.2f} {self.process_cpu:9.2f}  "
                f"{self.slowed or 'none'}")


HEADER = (f"{'case':10} {'mode':6} {'gauges Hz':>12} {'counters Hz':>11} {'warm':>6} {'cold':>6} {'no ctr':>6} "
          f"{'sampler %':>9} {'process %':>9}  slowed")


def capture(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout


def run_tui(case: str, ns: str | None, seconds: float, size: str) -> Result:
    w, h = size.split("x")
    session = f"nettop-tiers-{uuid.uuid4().hex[:8]}"
    cmd = [sys.executable, "-m", "nettop.tui.cli", *(["--netns", ns] if ns else [])]
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", w, "-y", h,
                    "exec " + " ".join(shlex.quote(c) for c in cmd)], check=True)
    try:
        pid = int(subprocess.run(["tmux", "display", "-p", "-t", session, "#{pane_pid}"],
                                 capture_output=True, text=True, check=True).stdout)
        deadline = time.monotonic() + 30
        while " Hz" not in capture(session) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(STARTUP)
        (p0, s0), w0 = cpu_seconds(pid), time.monotonic()
        result = Result(case, "TUI", seconds, 0, 0)
        slowed: Counter[str] = Counter()
        while time.monotonic() - w0 < seconds:
            screen = capture(session)
            if found := GAUGES.search(screen):
                result.gauges.append(float(found.group(1)))
                result.counters.append(float(found.group(2)))
            elif found := SAMPLING.search(screen):
                result.lost_counters += 1
            if found := SLOWER.search(screen):
                slowed[found.group(1).strip()] += 1
            time.sleep(0.5)
        (p1, s1), wall = cpu_seconds(pid), time.monotonic() - w0
        result.process_cpu, result.sampler_cpu = 100 * (p1 - p0) / wall, 100 * (s1 - s0) / wall
        result.slowed = "; ".join(f"{k} ({n}x)" for k, n in slowed.most_common(2))
        return result
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def tiers_of_sources(ns: str | None) -> dict[str, Tier]:
    del ns  # the same sources whatever the namespace
    sources = default_sources(ProcRoot())
    try:
        return {s.key.name: s.tier for s in sources}
    finally:
        for s in sources:
            s.close()


def run_record(case: str, ns: str | None, seconds: float, tiers: dict[str, Tier]) -> Result:
    with tempfile.TemporaryDirectory(prefix="nettop-tiers-") as tmp:
        path = Path(tmp) / "rec.ntr"
        cmd = [str(NETTOP), "record", "-o", str(path), "--duration", f"{STARTUP + seconds + 2:g}",
               *(["--netns", ns] if ns else [])]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            time.sleep(STARTUP)
            (p0, s0), w0 = cpu_seconds(proc.pid), time.monotonic()
            time.sleep(seconds)
            (p1, s1), w1 = cpu_seconds(proc.pid), time.monotonic()
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=10)
        if proc.returncode != 0:
            raise SystemExit(f"nettop record exited {proc.returncode}: {err.decode(errors='replace')}")
        reads: Counter[str] = Counter(s.key.name for s in read_recording(path).samples if w0 <= s.t < w1)
    wall = w1 - w0
    rates = {name: n / wall for name, n in reads.items()}

    def tier_rate(tier: Tier) -> float:
        return max((r for name, r in rates.items() if tiers.get(name) is tier), default=0.0)

    burst, hot, warm = tier_rate(Tier.BURST), tier_rate(Tier.HOT), tier_rate(Tier.WARM)
    slow = [f"{name} {rates[name]:.2f}/s" for name, tier in tiers.items() if name in rates
            and ((tier is Tier.WARM and rates[name] < 0.8 * warm) or (tier is Tier.HOT and rates[name] < 0.8 * hot))]
    unread = [name for name in tiers if name not in rates]
    return Result(case, "record", seconds, 100 * (p1 - p0) / wall, 100 * (s1 - s0) / wall, [burst], [hot],
                  warm, tier_rate(Tier.COLD),
                  slowed=", ".join(slow) + (f"{'; ' if slow else ''}not read: {', '.join(unread)}" if unread else ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--links", type=int, default=50)
    ap.add_argument("--size", default="100x30")
    args = ap.parse_args()
    tiers = tiers_of_sources(None)
    keeper = f"nettop-tiers-keeper-{uuid.uuid4().hex[:8]}"  # one tmux server up between the sessions
    subprocess.run(["tmux", "new-session", "-d", "-s", keeper, "sleep 3600"], check=True)
    print(f"kernel {os.uname().release}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; "
          f"{args.seconds:g} s each after {STARTUP:g} s of start-up; TUI at {args.size}")
    print("(gauges = burst tier, counters = hot tier; warm/cold from the recording only; 'no ctr': status "
          "readings that said 'sampling X Hz' instead)")
    print(HEADER, flush=True)
    try:
        print(run_tui("idle host", None, args.seconds, args.size).row(), flush=True)
        print(run_record("idle host", None, args.seconds, tiers).row(), flush=True)
        with links_namespace(args.links) as ns:
            case = f"{args.links} links"
            print(run_tui(case, ns, args.seconds, args.size).row(), flush=True)
            print(run_record(case, ns, args.seconds, tiers).row(), flush=True)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", keeper], capture_output=True)


if __name__ == "__main__":
    main()
