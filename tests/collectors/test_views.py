"""Headless views: the mark, the funnel and the qdisc tree on a recorded store."""

from __future__ import annotations

from conftest import K, recorded_store
from nettop.collectors.nlinfo import Link
from nettop.collectors.nlstats import TcStats
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
    # drops first, then traffic: 90 overflows lead 1,500 coalesced segments
    assert [r.name for r in movers(ctx)][:3] == ["TcpExt.ListenOverflows", "TcpExt.ListenDrops",
                                               "TcpExt.TCPRcvCoalesce"]


def test_qdisc_tree_puts_classes_under_their_qdisc() -> None:
    store, _, clock = recorded_store()
    rows = tc_rows(ViewContext(store, clock.now, Mark(1000.0)))
    assert [(r.depth, r.handle) for r in rows if r.dev == "eth0"] == [(0, "1:"), (1, "1:1"), (2, "1:20"), (3, "20:")]


def test_qdisc_drops_are_counted_once_at_the_leaves() -> None:
    """htb's own counters add up its children's: `tc -s` shows 768/s at the pfifo and 768/s at htb,
    the stage must say 768/s, not 1.5k/s."""
    store = Store()
    store.record(K("links"), 0.0, (), [], {2: Link(2, "v0", "veth")})
    for t in range(3):
        records = [TcStats(2, 0x10000, 0xFFFFFFFF, "htb", dev="v0", drops=768 * t),
                   TcStats(2, 0x200000, 0x10020, "pfifo", dev="v0", drops=768 * t)]
        cols = tuple(f"v0 {h}/{f}" for h in ("1:", "20:") for f in ("drops", "backlog_bytes"))
        store.record(K("qdiscs"), float(t), cols, [768 * t, 0, 768 * t, 0], records)
    qdisc = next(s for s in funnel(ViewContext(store, 2.0, Mark(0.0), rate_window=2.0)) if s.key == "qdisc")
    drops = qdisc.items[0]
    assert drops.rate == 768 and drops.value == 1536


def test_rates_exist_at_one_hertz() -> None:
    """Under a tight budget the hot tier runs at 1 Hz: a 1 s window holds one sample, yet a rate shows."""
    store = Store()
    for t in range(5):
        store.record(K("netstat"), 10.0 + t, ("TcpExt.ListenOverflows",), [7 * t])
    ctx = ViewContext(store, 14.2, Mark(10.0), rate_window=1.0)
    assert ctx.column_rate(K("netstat"), "TcpExt.ListenOverflows") == 7


def test_a_stage_is_as_bad_as_the_findings_on_it() -> None:
    store, _, clock = recorded_store()
    ctx = ViewContext(store, clock.now, Mark.at(store, 1000.0))

    class Alert:
        stage, severity = "nic", "critical"

    nic = next(s for s in funnel(ctx, [Alert()]) if s.key == "nic")
    assert nic.status == "bad" and nic.word == "CRIT"  # critical, but nothing drops there


def test_udp_is_bound_by_the_first_udp_mem_value_tcp_by_its_pressure_mark() -> None:
    from nettop.collectors.views.memory import BAD, OK, WARN, MemoryState

    # UDP has no pressure mode: past udp_mem[0] every allocation beyond udp_rmem_min fails
    assert MemoryState("UDP", 1000, 1000, 2000, 3000, "NI", None).status == BAD
    assert MemoryState("UDP", 850, 1000, 2000, 3000, "NI", None).status == WARN
    assert MemoryState("TCP", 1000, 1000, 2000, 3000, "no", None).status == OK  # past low, far from pressure
    assert MemoryState("TCP", 1700, 1000, 2000, 3000, "no", None).status == WARN
    assert MemoryState("TCP", 2000, 1000, 2000, 3000, "no", None).status == BAD
    assert MemoryState("UDP", 100, 1000, 2000, 3000, "NI", None).status == OK


def test_names_sort_as_people_read_them() -> None:
    from nettop.collectors.views.order import natural_key

    names = ["s100a", "s10a", "s9b", "eth0", "veth10", "veth2", "veth2a", "lo", "", "x²", "٣", "br-0"]
    ordered = sorted(names, key=natural_key)
    assert ordered.index("s9b") < ordered.index("s10a") < ordered.index("s100a")
    assert ordered.index("veth2") < ordered.index("veth2a") < ordered.index("veth10")
    assert sorted(ordered) == sorted(names)  # odd names sort too, none is lost
