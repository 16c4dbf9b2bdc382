"""Headless views: the mark, the funnel and the qdisc tree on a recorded store."""

from __future__ import annotations

from conftest import K, recorded_store
from nettop.collectors.store import Store
from nettop.collectors.views.context import Mark, ViewContext
from nettop.collectors.views.overview import funnel, movers
from nettop.collectors.views.tc import tc_rows


def test_a_mark_set_before_the_first_sample_counts_from_that_sample() -> None:
    store = Store()
    mark = Mark.take(store, 0.0)  # nothing sampled yet, as when the UI mounts
    store.record(K("netstat"), 0.5, ("TcpExt.ListenOverflows",), [10])
    store.record(K("netstat"), 1.5, ("TcpExt.ListenOverflows",), [25])
    mark.fill_missing(store)
    assert mark.delta(K("netstat"), "TcpExt.ListenOverflows", 25) == 15


def test_mark_gap_when_counter_went_backwards() -> None:
    mark = Mark(0.0, {"netstat": {"X": 100}})
    assert mark.delta(K("netstat"), "X", 40) is None
    assert mark.delta(K("softnet_stat"), "cpu0/processed", 5) is None
    wrapped = Mark(0.0, {"softnet_stat": {"cpu0/processed": 2**32 - 5}})
    assert wrapped.delta(K("softnet_stat"), "cpu0/processed", 5, bits=32) == 10


def test_funnel_and_movers_on_recorded_samples() -> None:
    store, _, clock = recorded_store()
    ctx = ViewContext(store, clock.now, Mark.at(store, 1000.0))
    stages = {s.key: s for s in funnel(ctx)}
    assert stages["tcp"].status == "bad" and stages["nic"].status == "ok"
    assert stages["qdisc"].status == "bad"
    assert stages["memory"].status == "warn"  # 1,250 pages against a pressure mark of 1,500
    assert [r.name for r in movers(ctx)][:1] == ["TcpExt.TCPRcvCoalesce"]


def test_qdisc_tree_puts_classes_under_their_qdisc() -> None:
    store, _, clock = recorded_store()
    rows = tc_rows(ViewContext(store, clock.now, Mark(1000.0)))
    assert [(r.depth, r.handle) for r in rows if r.dev == "eth0"] == [(0, "1:"), (1, "1:1"), (2, "1:20"), (3, "20:")]
