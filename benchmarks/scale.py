#!/usr/bin/env python3
"""Cost per sample and key-to-frame latency at 10, 100 and 1000 veth links.

    python benchmarks/scale.py [--links 10 100 1000]      # as root: builds namespaces

For each size, a namespace gets N veth links (N/2 pairs), each with a pfifo qdisc.
Cost per sample: one pass over every hot source (procfs and netlink), CPU time,
median of 20, by a sampler thread inside that namespace. Key to frame: the real
`nettop --netns NS` in tmux (160x48); from `send-keys 5` to the Interfaces pane
listing the last link, and the sampling rate the CPU budget settled on.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from nettop.collectors import netns
from nettop.collectors.procfs import ProcRoot
from nettop.collectors.sampler import Sampler
from nettop.collectors.sources import Cadence, Tier
from nettop.collectors.store import Store


def batch(tool: str, ns: str, lines: list[str]) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".batch") as f:
        f.write("\n".join(lines) + "\n")
        f.flush()
        subprocess.run([tool, "-n", ns, "-batch", f.name], check=True, capture_output=True)


def build(ns: str, links: int) -> None:
    subprocess.run(["ip", "netns", "add", ns], check=True)
    pairs = max(1, links // 2)
    batch("ip", ns, [f"link add s{i}a type veth peer name s{i}b" for i in range(pairs)])
    batch("tc", ns, [f"qdisc add dev s{i}{e} root pfifo limit 100" for i in range(pairs) for e in "ab"])


def sample_cost(ns: str) -> float:
    result: list[float] = []

    def run() -> None:
        sampler = Sampler(ProcRoot(), Store(short_capacity=64), Cadence(), netns=netns.resolve(ns))
        sampler.enter_netns()
        for src in sampler.all_sources:
            sampler.sample_source(src)
        hot = [s for s in sampler.all_sources if s.tier is Tier.HOT]
        times = []
        for _ in range(20):
            t = time.thread_time()
            for src in hot:
                sampler.sample_source(src)
            times.append(time.thread_time() - t)
        for src in sampler.all_sources:
            src.close()
        result.append(statistics.median(times))

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    return result[0]


def capture(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout


def key_to_frame(ns: str, link: str) -> tuple[float, str]:
    """Seconds from key `5` until the row of `link` is drawn (not only the pane's title)."""
    session = f"scale-{uuid.uuid4().hex[:6]}"
    cmd = f"{sys.executable} -m nettop.tui.cli --netns {ns} --panes 1"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "48", cmd], check=True)
    try:
        deadline = time.monotonic() + 30
        while "sampling" not in capture(session) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(5)  # the budget settles, the link table fills
        status = next((line for line in capture(session).splitlines() if "sampling" in line), "")
        start = time.monotonic()
        subprocess.run(["tmux", "send-keys", "-t", session, "5"], check=True)
        while f" {link} " not in capture(session) and time.monotonic() - start < 10:
            time.sleep(0.002)
        return time.monotonic() - start, status.strip()
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--links", type=int, nargs="*", default=[10, 100, 1000])
    args = ap.parse_args()
    keeper = f"scale-keeper-{uuid.uuid4().hex[:6]}"
    subprocess.run(["tmux", "new-session", "-d", "-s", keeper, "sleep 3600"], check=True)
    try:
        for links in args.links:
            ns = f"nettop-scale-{uuid.uuid4().hex[:6]}"
            try:
                build(ns, links)
                cost = sample_cost(ns)
                latency, status = key_to_frame(ns, "s0a")
                print(f"{links:5d} links: one hot sample {cost * 1000:7.2f} ms CPU | key to frame "
                      f"{latency * 1000:6.0f} ms | {status.split('|')[1].strip() if '|' in status else status}",
                      flush=True)
            finally:
                subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", keeper], capture_output=True)


if __name__ == "__main__":
    main()
