"""Rules of `nettop doctor` on recorded samples: each fires on its evidence and stays quiet otherwise."""

from __future__ import annotations

from typing import Any

from conftest import K, recorded_store
from nettop.collectors.findings import evaluate, exit_code
from nettop.collectors.nlinfo import Address, Link, Route, Routing
from nettop.collectors.nlstats import DiagSocket, TcStats
from nettop.collectors.store import Store
from nettop.collectors.sysctl import SysctlReading
from nettop.collectors.views.context import Mark, ViewContext

KNOBS = {"net.core.somaxconn": "4096", "net.ipv4.tcp_syncookies": "1", "net.ipv4.tcp_mem": "1000 1500 2000",
         "net.ipv4.tcp_max_orphans": "1000", "net.ipv4.tcp_max_tw_buckets": "1000",
         "net.netfilter.nf_conntrack_count": "10", "net.netfilter.nf_conntrack_max": "1000",
         "net.ipv4.conf.all.rp_filter": "0", "net.ipv4.conf.all.arp_filter": "0"}


def build(series: dict[str, list[dict[str, int]]], knobs: dict[str, str] | None = None,
          details: dict[str, Any] | None = None, seconds: float = 3.0) -> ViewContext:
    """A store with one sample per second-fraction for each source, then a context over all of it."""
    store = Store(short_capacity=100)
    store.declare(K("listeners"), lambda c: True)
    store.declare(K("sockstat"), lambda c: True)
    store.declare(K("qdiscs"), lambda c: c.rpartition("/")[2].startswith("backlog"))
    t = 0.0
    steps = max(len(v) for v in series.values()) if series else 1
    for k in range(steps):
        t = k * seconds / max(1, steps - 1)
        for source, samples in series.items():
            row = samples[min(k, len(samples) - 1)]
            store.record(K(source), t, tuple(row), list(row.values()), (details or {}).get(source))
    store.record(K("sysctl"), t, (), [], SysctlReading({**KNOBS, **(knobs or {})}))
    for source, detail in (details or {}).items():
        if source not in series:
            store.record(K(source), t, (), [], detail)
    return ViewContext(store, t, Mark(0.0), rate_window=seconds + 1, peak_window=seconds + 1)


def ids(ctx: ViewContext) -> list[tuple[str, str]]:
    return [(f.id, f.severity) for f in evaluate(ctx)]


def steady(**counters: int) -> list[dict[str, int]]:
    return [dict(counters)] * 4


def rising(name: str, step: int, **others: int) -> list[dict[str, int]]:
    return [{**others, name: k * step} for k in range(4)]


def test_quiet_host_gives_nothing() -> None:
    ctx = build({"netstat": steady(**{"TcpExt.ListenOverflows": 5, "TcpExt.SyncookiesSent": 2}),
                 "sockstat": steady(**{"TCP/mem": 10, "TCP/orphan": 0, "TCP/tw": 3}),
                 "softnet_stat": steady(**{"cpu0/dropped": 7, "cpu0/time_squeeze": 1})})
    assert ids(ctx) == []
    assert exit_code(evaluate(ctx)) == 0


def listeners(queue: int, backlog: int) -> dict[str, Any]:
    socks = [DiagSocket(2, 10, "10.0.0.1:80", queue, backlog, 1, 0)]
    return {"listeners": socks}


def test_full_accept_queue_is_a_warning_and_overflows_make_it_critical() -> None:
    rows = [{"10.0.0.1:80/accept_queue": q, "10.0.0.1:80/backlog": 8} for q in (2, 9, 3, 1)]
    ctx = build({"listeners": rows, "netstat": steady(**{"TcpExt.ListenOverflows": 0})}, details=listeners(1, 8))
    assert ids(ctx) == [("listen-queue-full", "warning")]
    ctx = build({"listeners": rows, "netstat": rising("TcpExt.ListenOverflows", 5)}, details=listeners(1, 8))
    assert ids(ctx) == [("listen-queue-full", "critical")]
    assert exit_code(evaluate(ctx)) == 2


def test_backlog_cut_by_somaxconn_is_named() -> None:
    rows = [{"10.0.0.1:80/accept_queue": q, "10.0.0.1:80/backlog": 128} for q in (128, 129)]
    ctx = build({"listeners": rows}, knobs={"net.core.somaxconn": "128"}, details=listeners(129, 128))
    (finding,) = evaluate(ctx)
    assert finding.bound.startswith("net.core.somaxconn 128: it cut")
    assert finding.knobs == {"net.core.somaxconn": "128"} and finding.stage == "tcp"


def test_an_application_backlog_below_somaxconn_is_the_limit_named() -> None:
    """listen(fd, 4) under somaxconn 4096: raising somaxconn would change nothing."""
    rows = [{"10.0.0.1:80/accept_queue": q, "10.0.0.1:80/backlog": 4} for q in (4, 5)]
    ctx = build({"listeners": rows}, knobs={"net.core.somaxconn": "4096"}, details=listeners(5, 4))
    (finding,) = evaluate(ctx)
    assert "listen() backlog 4" in finding.bound and "4096 is higher and not the limit" in finding.bound
    assert finding.knobs == {"listen() backlog": "4", "net.core.somaxconn": "4096 (not binding)"}


def test_syn_flood_with_and_without_cookies() -> None:
    assert ids(build({"netstat": rising("TcpExt.SyncookiesSent", 100)})) == [("syn-flood", "warning")]
    ctx = build({"netstat": rising("TcpExt.TCPReqQFullDrop", 10)}, knobs={"net.ipv4.tcp_syncookies": "0"})
    assert ids(ctx) == [("syn-flood-no-cookies", "critical")]


def test_tcp_memory_near_and_in_pressure() -> None:
    assert ids(build({"sockstat": steady(**{"TCP/mem": 1250})})) == [("tcp-memory-near-pressure", "warning")]
    assert ids(build({"sockstat": steady(**{"TCP/mem": 1100})})) == []
    ctx = build({"sockstat": [{"TCP/mem": 900}, {"TCP/mem": 1600}, {"TCP/mem": 900}]})
    assert ids(ctx) == [("tcp-memory-pressure", "critical")]  # the peak counts, not only the last value
    pruning = build({"netstat": rising("TcpExt.PruneCalled", 3)})
    assert ids(pruning) == [("tcp-prune", "warning")]


def test_softnet_drops_and_squeeze_threshold() -> None:
    assert ids(build({"softnet_stat": rising("cpu1/dropped", 5)})) == [("softnet-drops", "warning")]
    assert ids(build({"softnet_stat": rising("cpu0/time_squeeze", 3)})) == []  # 1/s: normal
    assert ids(build({"softnet_stat": rising("cpu0/time_squeeze", 60)})) == [("softnet-squeeze", "warning")]


def tc(handle: int, kind: str, parent: int) -> TcStats:
    return TcStats(2, handle, parent, kind)


def test_qdisc_drops_are_reported_once_at_the_leaf_and_standing_queues_found() -> None:
    details = {"qdiscs": [tc(0x10000, "htb", 0xFFFFFFFF), tc(0x200000, "pfifo", 0x10020)],
               "links": {2: Link(2, "eth0", None)}}
    rows = [{"eth0 1:/drops": 10 * k, "eth0 1:/backlog_bytes": 500, "eth0 20:/drops": 10 * k,
             "eth0 20:/backlog_bytes": 500 + k} for k in range(4)]
    found = evaluate(build({"qdiscs": rows}, details=details))
    assert [(f.id, f.subject) for f in found] == [("qdisc-drops", "eth0 20:"), ("qdisc-standing-queue", "eth0 20:")]
    drains = [{"eth0 20:/drops": 0, "eth0 20:/backlog_bytes": b} for b in (900, 0, 900, 0)]
    assert ids(build({"qdiscs": drains}, details=details)) == []


def test_qdisc_drops_name_the_leaf_limit_and_the_class_ceiling_that_bound() -> None:
    leaf = TcStats(2, 0x200000, 0x10020, "pfifo", dev="eth0", drops=40, options={"limit": 20})
    cls = TcStats(2, 0x10020, 0x10001, "htb", dev="eth0", options={"rate": 125000, "ceil": 125000})
    details = {"qdiscs": [tc(0x10000, "htb", 0xFFFFFFFF), leaf], "classes": [cls],
               "links": {2: Link(2, "eth0", None, txqlen=1000)}}
    series = {"qdiscs": [{"eth0 20:/drops": 10 * k} for k in range(4)],
              "classes": [{"eth0 1:20/bytes": 125000 * k} for k in range(4)]}
    (finding,) = [f for f in evaluate(build(series, details=details, seconds=3.0)) if f.id == "qdisc-drops"]
    assert finding.knobs["eth0 20: pfifo limit"] == "20 packets"
    assert finding.knobs["eth0 class 1:20 htb"].startswith("rate 1Mbit/s ceil 1Mbit/s, sending 1Mbit/s")
    assert "held at its ceil" in finding.bound and "net.core.default_qdisc" not in finding.knobs


def test_drops_of_a_default_qdisc_name_the_txqueuelen() -> None:
    details = {"qdiscs": [TcStats(2, 0, 0xFFFFFFFF, "pfifo_fast", dev="eth0")],
               "links": {2: Link(2, "eth0", None, txqlen=1000)}}
    found = evaluate(build({"qdiscs": [{"eth0 0:/drops": 5 * k} for k in range(4)]}, details=details,
                           knobs={"net.core.default_qdisc": "pfifo_fast"}))
    assert found[0].knobs["eth0 txqueuelen (pfifo_fast queues up to it)"] == "1,000 packets"
    assert found[0].knobs["net.core.default_qdisc"] == "pfifo_fast"


def test_a_stale_or_down_source_gives_no_finding() -> None:
    """A namespace deleted or a sampler stopped: its last figures must not keep raising alarms."""
    ctx = build({"softnet_stat": rising("cpu1/dropped", 5)})
    assert ids(ctx) == [("softnet-drops", "warning")]
    ctx.store.declare(K("softnet_stat"), max_age=3.0)
    later = ViewContext(ctx.store, ctx.now + 3.5, Mark(0.0), rate_window=10.0, peak_window=10.0)
    assert later.freshness(K("softnet_stat")).state == "stale" and ids(later) == []
    ctx.store.mark_unavailable(K("softnet_stat"), ctx.now, "network namespace x was deleted")
    again = ViewContext(ctx.store, ctx.now, Mark(0.0), rate_window=10.0, peak_window=10.0)
    assert again.freshness(K("softnet_stat")).reason == "network namespace x was deleted" and ids(again) == []


def test_nic_errors() -> None:
    ctx = build({"link_stats": rising("eth0/rx_missed_errors", 4, **{"eth0/rx_packets": 1})})
    assert ids(ctx) == [("nic-rx-missed-errors", "warning")]


def test_tables_near_their_limits() -> None:
    assert ids(build({}, knobs={"net.netfilter.nf_conntrack_count": "850"})) == [("conntrack-full", "warning")]
    assert ids(build({}, knobs={"net.netfilter.nf_conntrack_count": "990"})) == [("conntrack-full", "critical")]
    assert ids(build({"sockstat": steady(**{"TCP/orphan": 600})})) == [("orphans-near-limit", "warning")]
    assert ids(build({"sockstat": steady(**{"TCP/tw": 900})})) == [("time-wait-near-limit", "warning")]


def routing(*addrs: tuple[int, str, int], default_oif: int = 2) -> Routing:
    return Routing([Address(i, a, p) for i, a, p in addrs], [Route("0.0.0.0", 0, "192.0.2.1", default_oif)])


def test_two_interfaces_in_one_subnet_with_arp_filter_off() -> None:
    links = {2: Link(2, "eth0", None), 3: Link(3, "eth1", None)}
    details = {"links": links, "routing": routing((2, "192.0.2.10", 24), (3, "192.0.2.11", 24))}
    knobs = {"net.ipv4.conf.eth0.arp_filter": "0", "net.ipv4.conf.eth1.arp_filter": "0"}
    assert ids(build({}, knobs=knobs, details=details)) == [("arp-flux", "warning")]
    fixed = {"net.ipv4.conf.eth0.arp_filter": "1", "net.ipv4.conf.eth1.arp_filter": "1"}
    assert ids(build({}, knobs=fixed, details=details)) == []


def test_strict_rp_filter_on_an_interface_the_default_route_does_not_use() -> None:
    links = {2: Link(2, "eth0", None), 3: Link(3, "eth1", None)}
    details = {"links": links, "routing": routing((2, "192.0.2.10", 24), (3, "198.51.100.7", 24))}
    strict = {"net.ipv4.conf.eth1.rp_filter": "1", "net.ipv4.conf.eth0.rp_filter": "1"}
    found = evaluate(build({}, knobs=strict, details=details))
    assert [(f.id, f.subject) for f in found] == [("rp-filter-strict-asymmetric", "eth1")]
    loose = {"net.ipv4.conf.eth1.rp_filter": "2"}
    assert ids(build({}, knobs=loose, details=details)) == []


def test_recorded_load_gives_the_expected_findings_most_severe_first() -> None:
    store, _, clock = recorded_store()
    ctx = ViewContext(store, clock.now, Mark(1000.0), rate_window=3.0, peak_window=3.0)
    found = evaluate(ctx)
    assert found[0].severity == "critical" and found[0].id == "listen-queue-full"
    assert {"qdisc-drops", "softnet-drops", "tcp-memory-near-pressure"} <= {f.id for f in found}


def test_overflows_without_a_listener_to_name_are_still_a_warning() -> None:
    """A replay of /proc files alone, or a listener already gone: the counter speaks for itself."""
    assert ids(build({"netstat": rising("TcpExt.ListenOverflows", 5)})) == [("listen-overflows", "warning")]
