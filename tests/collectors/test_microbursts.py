"""Microbursts at default settings: every burst is seen at its full height, while a
once-a-second look misses most. Asserts on bursts caught, never on timing."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
import time

from conftest import K, Topology, root_only
from nettop.collectors.budget import Budget
from nettop.collectors.netns import resolve
from nettop.collectors.procfs import ProcRoot
from nettop.collectors.sampler import Sampler
from nettop.collectors.store import Store
from nettop.collectors.tiers import Cadence

pytestmark = root_only

BURSTS = 10
# 40 datagrams of 1200 B in about 30 ms into a 1 Mbit class with a 10-packet pfifo:
# the queue fills, then drains in about 100 ms, once a second.
BURSTER = """
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for k in range(int(sys.argv[1])):
    start = time.monotonic()
    print(start, flush=True)
    for i in range(40):
        s.sendto(b"b" * 1200, ("10.77.0.2", 9))
        time.sleep(0.00075)
    time.sleep(max(0.0, 1.0 - (time.monotonic() - start)))
"""


def test_every_burst_shows_as_a_peak_while_a_1_hz_look_misses_most(topology: Topology) -> None:
    store = Store(short_capacity=2000)
    # what `nettop` runs with: --interval 0.01 under the 2% budget
    sampler = Sampler(ProcRoot(), store, Cadence.for_interval(0.01), netns=resolve(topology.a),
                      budget=Budget(0.01, 0.02))
    tc_seen: list[int] = []
    stop = threading.Event()

    def once_a_second() -> None:
        while not stop.wait(1.0):
            out = topology.exec(topology.a, "tc", "-s", "-j", "qdisc", "show", "dev", "v0").stdout
            pfifo = next(q for q in json.loads(out) if q["kind"] == "pfifo")
            tc_seen.append(pfifo["backlog"])

    sampler.start()
    poller = threading.Thread(target=once_a_second)
    try:
        time.sleep(0.5)
        poller.start()
        burster = subprocess.run(["ip", "netns", "exec", topology.a, sys.executable, "-c", BURSTER, str(BURSTS)],
                                 capture_output=True, text=True, check=True, timeout=60)
        time.sleep(0.3)
    finally:
        stop.set()
        sampler.stop()
        if poller.is_alive():
            poller.join()
    starts = [float(line) for line in burster.stdout.split()]
    window = store.window(K("qdiscs"))
    assert window is not None
    # the root htb holds what its classes queue; the pfifo under 1:20 holds 10 packets, then drops
    full = 10 * (1200 + 28 + 14)
    column = "v0 1:/backlog_bytes"
    ts, backlog = list(window.ts), list(window.column(column))

    def height(start: float) -> float:
        """The highest backlog nettop recorded before the next burst: a read keeps the queue's
        peak since the read before, so the first read after a burst carries it."""
        return max((b for t, b in zip(ts, backlog, strict=False) if start <= t <= start + 0.9), default=0)

    gaps = sorted((b - a for a, b in itertools.pairwise(ts)), reverse=True)[:5]
    print("longest gaps between qdisc reads:", [round(g, 3) for g in gaps], "reads:", len(ts))
    heights = [height(s) for s in starts]
    caught = sum(1 for h in heights if h >= 0.9 * full)
    assert caught >= BURSTS - 1, f"nettop saw {caught} of {BURSTS} bursts at >= 90% of {full} B: {heights}"
    missed_by_tc = sum(1 for b in tc_seen if b == 0)
    print(f"nettop caught {caught}/{BURSTS} bursts at full height; tc once a second saw a backlog "
          f"{len(tc_seen) - missed_by_tc} of {len(tc_seen)} times")
    assert len(tc_seen) - missed_by_tc < caught
