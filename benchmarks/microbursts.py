#!/usr/bin/env python3
"""How many 30 ms microbursts the real `nettop record` sees at their full height, against
`tc -s qdisc show` once a second, with the kernel's peak tracker (collectors/qpeak.py) and without.

    .venv/bin/python benchmarks/microbursts.py [--bursts 20] [--sender-cpu 1]      # as root

Two namespaces (nettop-mb-<uuid8>, deleted at the end) joined by a veth pair, as tests/conftest.py's
Topology: on the sending side v0 has htb 1: -> 1:1 (100mbit) -> 1:20 (1mbit ceil 1mbit) ->
pfifo 20: limit 10. Once a second (at a random point of the first 0.8 s of each second, so that
no reader keeps one phase with the bursts) a thread in that namespace sends a burst of 40 UDP
datagrams of 1200 B, 0.75 ms apart (30 ms): the pfifo fills (10 x 1242 B on the wire = 12,420 B)
and drops the rest, then drains at 1 mbit/s (about 10 ms a packet). The thread is pinned to
`--sender-cpu` (default the last CPU): the tracker's perf event is opened on CPU 0 only, and a
tracepoint's programs run on every CPU, which this checks.

Meanwhile, all at once and at their defaults (interval 0.01 s, budget 2%):
- `nettop record -o A --netns NS` (the peak tracker on);
- the same with NETTOP_NO_QPEAK=1 (tracker off: the backlog is only sampled), the baseline;
- `tc -s -j qdisc show dev v0` once a second, in the middle of each second: a burst starts in
  [0, 0.8) s of its second and leaves a backlog for ~130 ms (30 ms of burst, 10 packets drained at
  10 ms each), so a read meets one about 0.13 / 0.8 = 16% of the time.
The recordings are read back (collectors/recording.py read_recording) and each burst gets the
samples from its start to the next burst's. Counted: bursts whose root htb backlog
("v0 1:/backlog_bytes") reached 90% of the full height (9 packets or more) in nettop's samples;
the same for the child pfifo ("v0 20:/backlog_bytes"), which the tracker does not watch (it sees
root qdiscs only) and is therefore always only sampled; and bursts in which tc saw any backlog.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from nettop.collectors.recording import read_recording

DATAGRAMS = 40
PAYLOAD = 1200
GAP = 0.00075
WIRE = PAYLOAD + 8 + 20 + 14  # UDP, IPv4, Ethernet headers: 1242 B a packet on v0
LIMIT = 10  # packets the pfifo holds
FULL = LIMIT * WIRE
THRESHOLD = 0.9 * FULL
ROOT, CHILD = "v0 1:/backlog_bytes", "v0 20:/backlog_bytes"
NETTOP = Path(sys.executable).with_name("nettop")
WARMUP = 6.0  # seconds of recording before the first burst: the tracker opens on the 2nd qdisc read


def sh(*cmds: list[str]) -> None:
    for cmd in cmds:
        subprocess.run(cmd, check=True, capture_output=True)


@contextlib.contextmanager
def topology() -> Iterator[tuple[str, str]]:
    a, b = f"nettop-mb-{uuid.uuid4().hex[:8]}", f"nettop-mb-{uuid.uuid4().hex[:8]}"
    made: list[str] = []
    try:
        for ns in (a, b):
            sh(["ip", "netns", "add", ns])
            made.append(ns)
            sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        sh(["ip", "-n", a, "link", "add", "v0", "type", "veth", "peer", "name", "v0p", "netns", b],
           ["ip", "-n", a, "addr", "add", "10.77.0.1/24", "dev", "v0"],
           ["ip", "-n", b, "addr", "add", "10.77.0.2/24", "dev", "v0p"],
           ["ip", "-n", a, "link", "set", "v0", "up"], ["ip", "-n", b, "link", "set", "v0p", "up"],
           ["tc", "-n", a, "qdisc", "add", "dev", "v0", "root", "handle", "1:", "htb", "default", "20"],
           ["tc", "-n", a, "class", "add", "dev", "v0", "parent", "1:", "classid", "1:1", "htb", "rate", "100mbit"],
           ["tc", "-n", a, "class", "add", "dev", "v0", "parent", "1:1", "classid", "1:20", "htb", "rate", "1mbit",
            "ceil", "1mbit"],
           ["tc", "-n", a, "qdisc", "add", "dev", "v0", "parent", "1:20", "handle", "20:", "pfifo", "limit",
            str(LIMIT)])
        yield a, b
    finally:
        for ns in made:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def enter(ns: str) -> None:
    fd = os.open(f"/run/netns/{ns}", os.O_RDONLY | os.O_CLOEXEC)
    try:
        if ctypes.CDLL(None, use_errno=True).setns(fd, 0x40000000) != 0:
            raise OSError(ctypes.get_errno(), "setns")
    finally:
        os.close(fd)


def spin_until(t: float) -> None:
    while True:
        left = t - time.monotonic()
        if left <= 0:
            return
        if left > 0.002:
            time.sleep(left - 0.0015)


def send_bursts(ns: str, cpu: int | None, first: float, count: int, starts: list[float]) -> None:
    """In its own thread: one burst in each second from `first`, at a random point of it."""
    enter(ns)
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})  # this thread only
    payload = b"x" * PAYLOAD
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(b"arp", ("10.77.0.2", 9))  # the neighbour resolved before the first burst
        for i in range(count):
            start = first + i + random.uniform(0.0, 0.8)
            spin_until(start)
            starts.append(time.monotonic())
            for k in range(DATAGRAMS):
                spin_until(start + k * GAP)
                s.sendto(payload, ("10.77.0.2", 9))


@dataclass
class TcPoll:
    """`tc -s -j qdisc show dev v0` once a second: (time, root backlog, child backlog, child drops)."""

    ns: str
    origin: float  # the time of the first read; then one a second
    seen: list[tuple[float, int, int, int]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        next_at = self.origin
        self.stop.wait(max(0.0, next_at - time.monotonic()))
        while not self.stop.is_set():
            t0 = time.monotonic()
            out = subprocess.run(["tc", "-n", self.ns, "-s", "-j", "qdisc", "show", "dev", "v0"],
                                 capture_output=True, text=True).stdout
            t = (t0 + time.monotonic()) / 2
            by = {q.get("handle"): q for q in json.loads(out or "[]")}
            root, child = by.get("1:", {}), by.get("20:", {})
            self.seen.append((t, root.get("backlog", 0), child.get("backlog", 0), child.get("drops", 0)))
            next_at += 1.0
            self.stop.wait(max(0.0, next_at - time.monotonic()))


def record(ns: str, path: Path, seconds: float, qpeak: bool) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.pop("NETTOP_NO_QPEAK", None)
    if not qpeak:
        env["NETTOP_NO_QPEAK"] = "1"
    return subprocess.Popen([str(NETTOP), "record", "-o", str(path), "--netns", ns, "--duration", f"{seconds:g}"],
                            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def recorded(path: Path) -> list[tuple[float, int, int]]:
    """(time, root backlog, child backlog) of every qdisc sample of a recording."""
    out = []
    for s in read_recording(path).samples:
        if s.key.name != "qdiscs" or ROOT not in s.names:
            continue
        col = dict(zip(s.names, s.values, strict=True))
        out.append((s.t, col[ROOT], col.get(CHILD, 0)))
    return out


def windows(starts: list[float]) -> list[tuple[float, float]]:
    """Each burst's samples: from its start to the next burst's (the last: one second)."""
    return [(s, starts[i + 1] if i + 1 < len(starts) else s + 1.0) for i, s in enumerate(starts)]


@dataclass
class Seen:
    root: int  # bursts with the root at >= 90% of the full height
    child: int  # the same for the child pfifo
    per_burst: float  # qdisc samples a burst
    root_median: float  # the median over bursts of the highest root backlog seen, share of the full height
    child_median: float


def count_nettop(samples: list[tuple[float, int, int]], starts: list[float]) -> Seen:
    root = child = n = 0
    roots, children = [], []
    for lo, hi in windows(starts):
        inside = [s for s in samples if lo <= s[0] < hi]
        n += len(inside)
        roots.append(max((r for _, r, _ in inside), default=0))
        children.append(max((c for _, _, c in inside), default=0))
        root += roots[-1] >= THRESHOLD
        child += children[-1] >= THRESHOLD
    return Seen(root, child, n / max(1, len(starts)), statistics.median(roots or [0]) / FULL,
                statistics.median(children or [0]) / FULL)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bursts", type=int, default=20, help="bursts, one a second (60 for the issue's run)")
    ap.add_argument("--sender-cpu", type=int, default=(os.cpu_count() or 1) - 1,
                    help="CPU the sender is pinned to; -1: not pinned (the tracker's perf event is on CPU 0)")
    args = ap.parse_args()
    cpu = None if args.sender_cpu < 0 else args.sender_cpu
    with topology() as (a, _b), tempfile.TemporaryDirectory(prefix="nettop-mb-") as tmp:
        paths = {True: Path(tmp) / "qpeak.ntr", False: Path(tmp) / "sampled.ntr"}
        seconds = WARMUP + args.bursts + 2
        procs = {q: record(a, p, seconds, q) for q, p in paths.items()}
        first = time.monotonic() + WARMUP
        poll = TcPoll(a, first + 0.5 - WARMUP)  # reads in the middle of each burst's second
        poller = threading.Thread(target=poll.run, daemon=True)
        starts: list[float] = []
        try:
            poller.start()
            sender = threading.Thread(target=send_bursts, args=(a, cpu, first, args.bursts, starts))
            sender.start()
            sender.join()
            for q, p in procs.items():
                _, err = p.communicate(timeout=seconds + 60)
                if p.returncode != 0:
                    raise SystemExit(f"nettop record (tracker {'on' if q else 'off'}) exited {p.returncode}: "
                                     f"{err.decode(errors='replace')}")
        finally:
            poll.stop.set()
            poller.join(timeout=5)
            for p in procs.values():
                if p.poll() is None:
                    p.terminate()
                    p.wait(timeout=10)
        tc_any = tc_full = 0
        for lo, hi in windows(starts):
            inside = [s for s in poll.seen if lo <= s[0] < hi]
            tc_any += any(root > 0 for _, root, _, _ in inside)
            tc_full += any(root >= THRESHOLD for _, root, _, _ in inside)
        drops = poll.seen[-1][3] if poll.seen else 0
        n = len(starts)
        print(f"{n} bursts of {DATAGRAMS} x {PAYLOAD} B, {GAP * 1000:g} ms apart, one a second; sender on CPU "
              f"{cpu if cpu is not None else 'any'}; pfifo drops {drops} ({drops / max(1, n):.1f} a burst: "
              f"each burst fills the queue); full height {FULL:,} B, counted at >= {THRESHOLD:,.0f} B")
        for q in (True, False):
            seen = count_nettop(recorded(paths[q]), starts)
            label = "nettop record, tracker on:       " if q else "nettop record, NETTOP_NO_QPEAK=1:"
            print(f"  {label} root htb at full height in {seen.root:3d}/{n} bursts "
                  f"({100 * seen.root / max(1, n):3.0f}%), child pfifo (sampled) {seen.child:3d}/{n}; median "
                  f"height seen root {100 * seen.root_median:.0f}%, child {100 * seen.child_median:.0f}%; "
                  f"{seen.per_burst:.1f} qdisc samples a burst")
        print(f"  tc -s qdisc show, once a second ({len(poll.seen)} reads): any backlog in {tc_any:3d}/{n} bursts "
              f"({100 * tc_any / max(1, n):3.0f}%), at full height in {tc_full}/{n}")


if __name__ == "__main__":
    main()
