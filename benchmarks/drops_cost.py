#!/usr/bin/env python3
"""What counting drop reasons costs: in the kernel per drop, and in nettop at 100k drops/s.

    python benchmarks/drops_cost.py [--seconds 5]      (as root)

Drops are made only by UDP to a closed port on the loopback of a throw-away namespace
(nettop-bench-<uuid8>, deleted at the end), each phase bounded in time. Printed:

- setup of the BPF counter and of the perf-sampling fallback (open + attach), and the first
  /proc/kallsyms parse;
- Python CPU per read of the map, with one key and with a full map (4096 keys);
- the kernel's cost per drop of the BPF program (run_time_ns / run_cnt with
  kernel.bpf_stats_enabled=1), and an unpaced sender's drops/s with no counter, with BPF and with
  the fallback, in the same run;
- the CPU of a real `nettop record` (default sampling and budget) over the same seconds, with
  no drops and with a paced 100k drops/s, with BPF and with the fallback (NETTOP_DROPS_NO_BPF=1):
  the ratio to the no-drop run is what counting costs nettop.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from nettop.collectors.drops import bpfsys as bs
from nettop.collectors.drops import counters as d
from nettop.collectors.drops.ksyms import Symbolizer

STATS = Path("/proc/sys/kernel/bpf_stats_enabled")
SENDER = """
import socket, sys, time
seconds, rate = float(sys.argv[1]), float(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
start, sent = time.monotonic(), 0
while time.monotonic() - start < seconds:
    for _ in range(100):
        try:
            s.sendto(b"x", ("127.0.0.1", 9))
        except OSError:
            pass
    sent += 100
    if rate:
        ahead = sent / rate - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(ahead)
print(sent)
"""


@contextlib.contextmanager
def namespace() -> Iterator[str]:
    name = f"nettop-bench-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def sender(ns: str, seconds: float, rate: float = 0) -> subprocess.Popen[str]:
    return subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", SENDER, str(seconds), str(rate)],
                            stdout=subprocess.PIPE, text=True)


def no_ports(ns: str) -> int:
    out = subprocess.run(["ip", "netns", "exec", ns, "cat", "/proc/net/snmp"], capture_output=True, text=True,
                         check=True).stdout
    rows = [line.split() for line in out.splitlines() if line.startswith("Udp:")]
    return int(rows[1][rows[0].index("NoPorts")])


def timed_open(allow_bpf: bool, n: int = 5) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        d.open_drop_counter(allow_bpf=allow_bpf).close()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def read_cost(c: d.DropCounter, n: int) -> float:
    t0 = time.process_time()
    for _ in range(n):
        c.read()
    return (time.process_time() - t0) / n * 1e6


def flood(ns: str, seconds: float, counter: d.DropCounter | None = None) -> float:
    p0, t0 = no_ports(ns), time.monotonic()
    proc = sender(ns, seconds)
    while proc.poll() is None:
        time.sleep(0.5)
        if counter is not None:
            counter.read()
    return (no_ports(ns) - p0) / (time.monotonic() - t0)


def bench_reads() -> None:
    with d.open_drop_counter() as c:
        assert isinstance(c, d.BpfDropCounter), c.fallback_reason
        with namespace() as ns:
            sender(ns, 0.2).wait()
        print(f"read of the map, {len(c.read())} keys: {read_cost(c, 2000):.1f} us CPU")
        for i in range(c.max_entries - 1 - len(c.read())):
            bs.map_update(c.map_fd, d.KEY.pack(0xFFFF0000 + i, 1, 0), (1).to_bytes(8, "little") * c.ncpus)
        print(f"read of a full map, {len(c.read())} keys: {read_cost(c, 200):.0f} us CPU")


def bench_kernel(ns: str, seconds: float) -> None:
    old = STATS.read_text().strip()
    STATS.write_text("1")
    try:
        with d.open_drop_counter() as c:
            assert isinstance(c, d.BpfDropCounter)
            info0 = c.prog_info()
            rate = flood(ns, seconds)
            info = c.prog_info()
    finally:
        STATS.write_text(old)
    runs = int(info["run_cnt"]) - int(info0["run_cnt"])
    spent = int(info["run_time_ns"]) - int(info0["run_time_ns"])
    per_drop = spent / max(runs, 1)
    print(f"kernel: {runs:,} program runs at {rate:,.0f} drops/s: {per_drop:.0f} ns per drop "
          f"= {per_drop * 1e5 / 1e9 * 100:.2f}% of one core at 100k drops/s")
    rates: dict[str, list[float]] = {"none": [], "bpf": [], "perf-sample": []}
    for _ in range(3):
        rates["none"].append(flood(ns, 2))
        for name, allow in (("bpf", True), ("perf-sample", False)):
            with d.open_drop_counter(allow_bpf=allow) as c:
                rates[name].append(flood(ns, 2, c))
    med = {k: statistics.median(v) for k, v in rates.items()}
    print("unpaced sender, median of 3 x 2 s: " + ", ".join(
        f"{k} {med[k]:,.0f} drops/s ({med[k] / med['none']:.3f}x)" for k in ("none", "bpf", "perf-sample")))


def nettop_cpu(ns: str, seconds: float, rate: float, env: dict[str, str]) -> tuple[float, int]:
    """CPU seconds of a real `nettop record` while `rate` drops/s happen; and the drops made."""
    with tempfile.TemporaryDirectory() as tmp:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        p0 = no_ports(ns)
        load = sender(ns, seconds + 1, rate) if rate else None
        subprocess.run([sys.executable, "-m", "nettop.tui.cli", "record", "-o", f"{tmp}/x.ntr", "--duration",
                        str(seconds)], check=True, env={**os.environ, **env}, capture_output=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if load is not None:
            load.wait()
        made = no_ports(ns) - p0
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return cpu, made


def bench_nettop(ns: str, seconds: float) -> None:
    cases = (("no drops", 0.0, {}), ("100k drops/s, BPF", 100_000.0, {}),
             ("100k drops/s, sampled", 100_000.0, {d.NO_BPF_ENV: "1"}))
    cpu: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    made: dict[str, int] = {}
    for _ in range(2):
        for name, rate, env in cases:
            spent, n = nettop_cpu(ns, seconds, rate, env)
            cpu[name].append(spent)
            made[name] = n
    base = statistics.median(cpu["no drops"])
    for name, _, _ in cases:
        med = statistics.median(cpu[name])
        print(f"nettop record, {name:22s}: {100 * med / seconds:5.1f}% of one core ({med / base:.2f}x), "
              f"{made[name] / (seconds + 1):,.0f} drops/s made")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args()
    cpus = bs.parse_cpu_list(Path("/sys/devices/system/cpu/online").read_text())
    print(f"kernel {os.uname().release}, {len(cpus)} CPUs, load {os.getloadavg()[0]:.2f}")
    print(f"setup: BPF {timed_open(True):.1f} ms, perf-sample {timed_open(False):.1f} ms (median of 5)")
    t0 = time.process_time()
    Symbolizer().name(0)
    print(f"/proc/kallsyms parsed once: {(time.process_time() - t0) * 1e3:.0f} ms CPU")
    bench_reads()
    with namespace() as ns:
        bench_kernel(ns, args.seconds)
        bench_nettop(ns, args.seconds)


if __name__ == "__main__":
    main()
