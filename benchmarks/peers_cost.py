#!/usr/bin/env python3
"""nettop's cost for the data of one sample against the peers that give the same data as processes.

    python benchmarks/peers_cost.py [--rounds 100]

nettop: one pass over every hot source (netstat, snmp, sockstat, softnet_stat, dev,
link stats, qdiscs, classes, listeners), parsed into the store, CPU time in this
process. Peers: `nstat -az` + `ip -s -j link` + `tc -s -j qdisc` + `ss -ltn` run as
processes, CPU time of the children (user + system). Medians, printed as a ratio.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import time

from nettop.collectors.procfs import ProcRoot
from nettop.collectors.sampler import Sampler
from nettop.collectors.store import Store
from nettop.collectors.tiers import Cadence, Tier

PEERS = (["nstat", "-az"], ["ip", "-s", "-j", "link"], ["tc", "-s", "-j", "qdisc"], ["ss", "-ltn"])


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=100)
    args = ap.parse_args()
    sampler = Sampler(ProcRoot(), Store(short_capacity=args.rounds + 10), Cadence())
    hot = [s for s in sampler.all_sources if s.tier is Tier.HOT]
    for src in sampler.all_sources:  # warm up: imports, name tables, first cold reads
        sampler.sample_source(src)
    ours, theirs, theirs_wall = [], [], []
    for _ in range(args.rounds):
        t = time.process_time()
        for src in hot:
            sampler.sample_source(src)
        ours.append(time.process_time() - t)
        c, w = children_cpu(), time.perf_counter()
        for cmd in PEERS:
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        theirs.append(children_cpu() - c)
        theirs_wall.append(time.perf_counter() - w)
    sampler.stop()
    o, p, pw = (statistics.median(x) * 1e6 for x in (ours, theirs, theirs_wall))
    print(f"hot sources: {', '.join(s.name for s in hot)}")
    print(f"nettop, one sample of all of them:        {o:9.0f} us CPU")
    print(f"nstat -az + ip -s -j link + tc -s -j qdisc + ss -ltn as processes: {p:9.0f} us CPU "
          f"({pw:.0f} us wall)")
    print(f"ratio peers / nettop: {p / o:.1f}x CPU")


if __name__ == "__main__":
    main()
