"""Microbursts: nettop's full-rate sampling sees bursts that a once-a-second look misses."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

from conftest import K, Topology, root_only
from nettop.collectors.netns import resolve
from nettop.collectors.procfs import ProcRoot
from nettop.collectors.sampler import Sampler
from nettop.collectors.sources import Cadence
from nettop.collectors.store import Store

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
    sampler = Sampler(ProcRoot(), store, Cadence(hot=0.01, warm=1.0, cold=5.0), netns=resolve(topology.a))
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
    column = "v0 20:/backlog_bytes"
    ts, backlog = list(window.ts), list(window.column(column))
    caught = sum(1 for s in starts if max((b for t, b in zip(ts, backlog, strict=False) if s <= t <= s + 0.25), default=0) > 0)
    assert caught >= BURSTS - 1, f"nettop saw {caught} of {BURSTS} bursts"
    missed_by_tc = sum(1 for b in tc_seen if b == 0)
    print(f"nettop caught {caught}/{BURSTS} bursts; tc once a second saw a backlog {len(tc_seen) - missed_by_tc} "
          f"of {len(tc_seen)} times")
    assert len(tc_seen) - missed_by_tc < caught
