"""A busy host: thousands of connections held by another process. The per-state breakdown,
a walk of the kernel's socket tables, is read only as often as its cost allows, and says so;
its counts stay right; sockstat's totals follow every tick."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from connnet import namespaces, spawn, stop, wait_line

from conftest import root_only
from nettop.collectors import keys
from nettop.collectors.budget import Budget
from nettop.collectors.netns import resolve
from nettop.collectors.procfs import ProcRoot
from nettop.collectors.sampler import Sampler
from nettop.collectors.sources import Source
from nettop.collectors.store import Store
from nettop.collectors.tiers import Cadence
from nettop.tui.datasource import LiveSource

pytestmark = root_only

HOLDER = str(Path(__file__).resolve().parents[2] / "benchmarks" / "conn_holder.py")
CONNECTIONS = 1500


def tcp_states(sampler: Sampler) -> Source:
    return next(src for src in sampler.all_sources if src.key is keys.TCP_STATES)


def test_a_costly_breakdown_slows_itself_says_so_and_stays_right(monkeypatch: pytest.MonkeyPatch) -> None:
    with namespaces(1) as (ns,):
        held = [spawn(ns, [HOLDER, "server", "127.0.0.1", "7000", str(CONNECTIONS)])]
        try:
            wait_line(held[0], "listening")
            held.append(spawn(ns, [HOLDER, "client", "127.0.0.1", "7000", str(CONNECTIONS)]))
            for proc in held:
                wait_line(proc, "ready")
            live = LiveSource(Store(), ProcRoot(), resolve(ns), cadence=Cadence.for_interval(0.01),
                              budget=Budget(0.01, 0.02))
            live.start()
            try:
                assert live.sampler is not None
                # a share so small that any real walk is "costly" here, whatever this machine's speed
                monkeypatch.setattr(tcp_states(live.sampler), "max_share", 1e-4, raising=False)
                deadline = time.monotonic() + 20
                while "tcp_states" not in live.sampler.slowed and time.monotonic() < deadline:
                    time.sleep(0.1)
                slowed = live.slowed()
                _, states = live.store.latest(keys.TCP_STATES)
                _, sockstat = live.store.latest(keys.SOCKSTAT)
                sampling = live.sampler.sampling()
            finally:
                live.stop()
        finally:
            stop(held)
    assert any(line.startswith("tcp_states every") for line in slowed), slowed
    assert sampling["slowed"]["tcp_states"]["interval_s"] > 1.0
    assert states.get("ESTABLISHED") == 2 * CONNECTIONS, states
    assert states.get("LISTEN") == 1, states
    assert sockstat.get("TCP/inuse", 0) >= 2 * CONNECTIONS + 1, sockstat
