#!/usr/bin/env python3
"""Scrape latency and server CPU of `nettop export` under load, against the old server in the same run.

    python benchmarks/export_load.py [--seconds 15] [--rounds 3] [--clients 1,20,100] [--idle 500] [--keep-alive]

Two servers, each in its own process, each with the same sampler (every 10 ms under a 2 % budget)
on this host's /proc: `old` is prometheus_client.start_http_server (a thread per connection,
listen backlog 5, gzip level 9), `new` is `nettop export` (one event loop, one render thread,
renders shared by concurrent scrapes, backlog 128, gzip level 1). For each number of clients, the
old server, then the new one, is loaded by that many clients scraping back to back, for --seconds
in all, in --rounds interleaved runs (each server quiet before each run), each scrape with a new
connection (--keep-alive: one connection per client) and Prometheus's headers (OpenMetrics, gzip).
Printed per server and number of clients: scrapes, p50/p99/max latency, errors, the server's CPU (all its threads,
percent of one core), the most threads and RSS seen during the runs. Then --idle connections are opened and left
silent, and one client scrapes for 2 s while they are there.

The clients run in this process on one asyncio loop; on a small machine they compete with the
server for CPU, which shows in the latencies of both servers alike.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

OLD = """
import signal, sys, threading
from prometheus_client import start_http_server
from nettop.collectors.budget import Budget
from nettop.collectors.export import NettopCollector, registry_for
from nettop.collectors.procfs import ProcRoot
from nettop.collectors.sampler import Sampler
from nettop.collectors.tiers import Cadence
from nettop.collectors.store import Store

interval = 0.01
store = Store(short_capacity=int(60 / interval) + 10, long_seconds=600, max_ring_bytes=8 << 20)
sampler = Sampler(ProcRoot(), store, Cadence(hot=interval), budget=Budget(interval, 0.02))
server, _ = start_http_server(0, addr="127.0.0.1", registry=registry_for(NettopCollector(store)))
done = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: done.set())
sampler.start()
print(f"nettop: serving http://127.0.0.1:{server.server_port}/metrics", file=sys.stderr, flush=True)
done.wait()
sampler.stop()
server.shutdown()
"""
ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
          "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")  # what Prometheus 2.42 sends
TICK = os.sysconf("SC_CLK_TCK")


def request(keep_alive: bool) -> bytes:
    return (f"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {ACCEPT}\r\nAccept-Encoding: gzip\r\n"
            f"User-Agent: export_load\r\nConnection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n").encode()


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[str]
    port: int

    def cpu(self) -> float:
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime, every thread

    def status(self, key: str) -> str:
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return line.split(":", 1)[1].strip()
        return "?"

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start(name: str, argv: list[str]) -> Server:
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for _ in range(5):
        found = re.search(r"serving http://127\.0\.0\.1:(\d+)/metrics", proc.stderr.readline())
        if found:
            return Server(name, proc, int(found.group(1)))
    proc.kill()
    raise SystemExit(f"{name}: did not start")


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """The status, and whether the connection stays open."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
    if length:
        await reader.readexactly(int(length.group(1)))
    else:
        await reader.read()
    http10 = head.startswith(b"HTTP/1.0")
    return status, bool(length) and not re.search(rb"(?i)\r\nconnection:\s*close", head) and not http10


async def client(port: int, end: float, run: Run, keep_alive: bool) -> None:
    req = request(keep_alive)
    conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        try:
            async with asyncio.timeout(15):
                if conn is None:
                    conn = await asyncio.open_connection("127.0.0.1", port)
                conn[1].write(req)
                status, stays = await read_response(conn[0])
            if status != 200:
                raise OSError(f"status {status}")
            run.latencies.append(time.perf_counter() - t0)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError):
            run.errors += 1
            if conn is not None:
                conn[1].transport.abort()
            conn = None
            continue
        if not (keep_alive and stays):  # the old server closes after each response
            conn[1].close()
            conn = None
    if conn is not None:
        conn[1].close()


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


async def load(server: Server, clients: int, seconds: float, keep_alive: bool, total: Totals) -> None:
    cpu0, wall0 = server.cpu(), time.perf_counter()

    async def watch() -> None:
        while True:
            total.threads = max(total.threads, int(server.status("Threads")))
            total.rss = max(total.rss, int(server.status("VmRSS").split()[0]))
            await asyncio.sleep(0.1)

    watching = asyncio.ensure_future(watch())
    await asyncio.gather(*(client(server.port, wall0 + seconds, total.run, keep_alive) for _ in range(clients)))
    watching.cancel()
    total.wall += time.perf_counter() - wall0
    total.cpu += server.cpu() - cpu0


@dataclass
class Totals:
    run: Run = field(default_factory=Run)
    wall: float = 0.0
    cpu: float = 0.0
    threads: int = 0  # the most seen during the runs
    rss: int = 0  # kB, the most seen

    def line(self, name: str, clients: int) -> str:
        lat = self.run.latencies
        return (f"{name:4} {clients:7} {len(lat):8} {len(lat) / self.wall:9.1f} {pct(lat, 50):8.1f} "
                f"{pct(lat, 99):8.1f} {max(lat, default=float('nan')) * 1000:8.1f} {self.run.errors:6} "
                f"{self.cpu / self.wall * 100:7.1f} {self.threads:>7} {self.rss / 1024:7.1f}")


def quiet(server: Server, timeout: float = 15.0) -> None:
    """Wait until the server is done with what the previous run left (the old one's queued connections)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        cpu = server.cpu()
        time.sleep(0.5)
        if server.cpu() - cpu < 0.1:
            return


def idle(server: Server, count: int) -> str:
    socks: list[socket.socket] = []
    refused = 0
    t0 = time.perf_counter()
    for _ in range(count):
        try:
            socks.append(socket.create_connection(("127.0.0.1", server.port), timeout=5))
        except OSError:
            refused += 1
    opened = time.perf_counter() - t0
    time.sleep(0.5)
    run = Run()
    asyncio.run(client(server.port, time.perf_counter() + 2.0, run, False))
    line = (f"{server.name:4} {len(socks):5} idle ({refused} refused, opened in {opened:5.2f} s): scrapes "
            f"{len(run.latencies)}, p50 {pct(run.latencies, 50):7.1f} ms, errors {run.errors}, threads "
            f"{server.status('Threads')}, RSS {server.status('VmRSS')}")
    for s in socks:
        s.close()
    return line


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--clients", default="1,20,100")
    ap.add_argument("--idle", type=int, default=500)
    ap.add_argument("--keep-alive", action="store_true")
    ap.add_argument("--servers", default="old,new")
    ap.add_argument("--rounds", type=int, default=3, help="runs per server and number of clients, interleaved")
    args = ap.parse_args()
    argv = {"old": [sys.executable, "-c", OLD],
            "new": [sys.executable, "-m", "nettop.tui.cli", "export", "--listen", "127.0.0.1:0"]}
    servers = [start(name, argv[name]) for name in args.servers.split(",")]
    try:
        time.sleep(2.0)  # first samples; the sampler's budget settles
        print(f"{os.cpu_count()} CPUs, {'keep-alive' if args.keep_alive else 'a new connection per scrape'}, "
              f"{args.seconds:g} s per server and number of clients in {args.rounds} interleaved runs")
        print("srv  clients  scrapes  scrape/s   p50 ms   p99 ms   max ms errors  CPU %  threads  RSS MB")
        levels = [int(c) for c in args.clients.split(",")]
        totals = {(s.name, c): Totals() for s in servers for c in levels}
        for clients in levels:
            for _ in range(args.rounds):  # interleaved, so what else runs on the machine hits both alike
                for server in servers:
                    for other in servers:
                        quiet(other)
                    asyncio.run(load(server, clients, args.seconds / args.rounds, args.keep_alive,
                                     totals[server.name, clients]))
            for server in servers:
                print(totals[server.name, clients].line(server.name, clients), flush=True)
        if args.idle:
            for server in servers:
                quiet(server)
                print(idle(server, args.idle), flush=True)
    finally:
        for server in servers:
            server.stop()


if __name__ == "__main__":
    main()
