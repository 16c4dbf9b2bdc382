#!/usr/bin/env python3
"""Cost of one hot netlink read (link stats + qdisc stats) at 5 and at 200 links.

    python benchmarks/netlink_cost.py [--rounds 200]     # as root: builds namespaces

In a namespace of its own with N veth links, each with an htb root qdisc, it
times in one run: nettop's hot read (RTM_GETSTATS + RTM_GETQDISC dumps decoded
with struct), pyroute2's get_links() + get_qdiscs(), and `ip -s -j link` +
`tc -s -j qdisc` as processes. Medians of wall time, printed as ratios.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable

from pyroute2 import IPRoute

from nettop.collectors import netns
from nettop.collectors.nlsources import LinkStatsSource, NetlinkContext, QdiscSource


def build(ns: str, links: int) -> None:
    subprocess.run(["ip", "netns", "add", ns], check=True)
    lines = []
    for i in range(links // 2):
        lines.append(f"link add b{i}a type veth peer name b{i}b")
    with tempfile.NamedTemporaryFile("w", suffix=".batch") as f:
        f.write("\n".join(lines) + "\n")
        f.flush()
        subprocess.run(["ip", "-n", ns, "-batch", f.name], check=True)
    tc = [f"qdisc add dev b{i}{s} root handle 1: htb default 10" for i in range(links // 2) for s in "ab"]
    with tempfile.NamedTemporaryFile("w", suffix=".batch") as f:
        f.write("\n".join(tc) + "\n")
        f.flush()
        subprocess.run(["tc", "-n", ns, "-batch", f.name], check=True)


def median_us(fn: Callable[[], object], rounds: int) -> float:
    fn()
    times = []
    for _ in range(rounds):
        t = time.perf_counter_ns()
        fn()
        times.append(time.perf_counter_ns() - t)
    return statistics.median(times) / 1000


def measure(links: int, rounds: int) -> None:
    ns = f"nettop-bench-{uuid.uuid4().hex[:6]}"
    build(ns, links)
    try:
        done: list[BaseException] = []
        worker = threading.Thread(target=lambda: _run(ns, rounds, done))  # setns moves only this thread
        worker.start()
        worker.join()
        if done:
            raise done[0]
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)


def _run(ns: str, rounds: int, errors: list[BaseException]) -> None:
    try:
        netns.enter(netns.resolve(ns))
        ctx = NetlinkContext()
        stats, qdiscs = LinkStatsSource(ctx), QdiscSource(ctx)
        ours = median_us(lambda: (stats.read(), qdiscs.read()), rounds)
        ipr = IPRoute()
        theirs = median_us(lambda: (ipr.get_links(), ipr.get_qdiscs()), max(5, rounds // 10))
        ipr.close()
        procs = median_us(lambda: (subprocess.run(["ip", "-s", "-j", "link"], capture_output=True),
                                   subprocess.run(["tc", "-s", "-j", "qdisc"], capture_output=True)),
                          max(5, rounds // 20))
        n_links = len(ctx.names)
        print(f"{n_links:4d} links: nettop hot read {ours:9.0f} us | pyroute2 get_links+get_qdiscs "
              f"{theirs:9.0f} us ({theirs / ours:5.1f}x) | ip+tc processes {procs:9.0f} us ({procs / ours:5.1f}x)")
        ctx.close()
    except BaseException as exc:
        errors.append(exc)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=200)
    args = ap.parse_args()
    for links in (5, 200):
        measure(links, args.rounds)


if __name__ == "__main__":
    main()
