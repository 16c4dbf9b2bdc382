#!/usr/bin/env python3
"""What the connections source costs per read at a load test's scale, against `ss -tin`.

    python benchmarks/conn_cost.py [--conns 1000,10000] [--reps 10]      (as root)

For each count, a fresh namespace (nettop-conn-<uuid8>, deleted at the end) holds that many
established loopback connections (2x sockets: both ends), opened by benchmarks/conn_holder.py
processes (at most 5000 each: the open-files limit). Then, in the same run:
- `ss -tin` started inside the namespace (the child's CPU);
- ConnectionsSource.read() as the sampler calls it: dump with tcp_info, UDP with drops, rates
  against the previous dump, top 64, groups by peer/port/process, owners (this thread's CPU);
- the share of a core the source may take (max_share) and the interval that gives.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import resource
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from nettop.collectors.conn.source import ConnectionsSource

HERE = Path(__file__).resolve().parent
PER_PROC = 5000


def enter(ns: str) -> None:
    fd = os.open(f"/run/netns/{ns}", os.O_RDONLY | os.O_CLOEXEC)
    try:
        if ctypes.CDLL(None, use_errno=True).setns(fd, 0x40000000) != 0:
            raise OSError(ctypes.get_errno(), "setns")
    finally:
        os.close(fd)


@contextlib.contextmanager
def namespace() -> Iterator[str]:
    name = f"nettop-conn-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def spawn(ns: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, str(HERE / "conn_holder.py"), *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def wait_line(proc: subprocess.Popen[str], prefix: str) -> None:
    assert proc.stdout is not None
    while not proc.stdout.readline().startswith(prefix):
        if proc.poll() is not None:
            raise RuntimeError("holder exited")


@contextlib.contextmanager
def held(ns: str, conns: int) -> Iterator[None]:
    procs: list[subprocess.Popen[str]] = []
    try:
        for k, start in enumerate(range(0, conns, PER_PROC)):
            count, port = str(min(PER_PROC, conns - start)), str(5001 + k)
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
            p.wait(timeout=60)


def in_ns(ns: str, fn: Callable[[], object]) -> object:
    out: list[object] = []

    def run() -> None:
        enter(ns)
        out.append(fn())

    t = threading.Thread(target=run)
    t.start()
    t.join()
    return out[0]


def source_cost(ns: str, reps: int) -> tuple[float, float, int]:
    """(thread CPU ms per read, wall ms per read, connections seen), measured inside ns."""
    def run() -> tuple[float, float, int]:
        src = ConnectionsSource()
        src.read()  # warm: shapes compiled, owners resolved once
        time.sleep(0.2)
        c0, w0 = time.thread_time(), time.perf_counter()
        for _ in range(reps):
            _reading, detail = src.read()
        c1, w1 = time.thread_time(), time.perf_counter()
        src.close()
        return (c1 - c0) * 1000 / reps, (w1 - w0) * 1000 / reps, detail.total

    result = in_ns(ns, run)
    assert isinstance(result, tuple)
    return result


def ss_cost(ns: str, reps: int) -> float:
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(reps):
        subprocess.run(["ss", "-tin"], stdout=subprocess.DEVNULL, check=True, preexec_fn=lambda: enter(ns))
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)) * 1000 / reps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--conns", default="1000,10000")
    ap.add_argument("--reps", type=int, default=10)
    args = ap.parse_args()
    print(f"kernel {os.uname().release}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    for n in (int(x) for x in args.conns.split(",")):
        with namespace() as ns, held(ns, n):
            ss = ss_cost(ns, args.reps)
            cpu, wall, seen = source_cost(ns, args.reps)
            interval = max(1.0, cpu / 1000 / ConnectionsSource.max_share)
            print(f"{n:6d} connections ({seen} sockets): source read {cpu:6.1f} ms CPU ({wall:6.1f} ms wall), "
                  f"ss -tin {ss:6.1f} ms: {cpu / ss:.2f}x ss; read every {interval:.1f} s within "
                  f"{100 * ConnectionsSource.max_share:.0f}% of a core")


if __name__ == "__main__":
    main()
