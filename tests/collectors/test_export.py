"""The export's text, parsed by prometheus_client's own parsers."""

from __future__ import annotations

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families

from conftest import recorded_store
from nettop.collectors.export import NettopCollector, exposition


def samples(text: bytes, openmetrics: bool = False) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    parse = parse_openmetrics if openmetrics else text_string_to_metric_families
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in parse(text.decode()) for s in family.samples}


def test_node_exporter_names_and_nettop_figures() -> None:
    store, _, clock = recorded_store()
    got = samples(exposition(NettopCollector(store, clock=clock)))
    assert got[("node_netstat_TcpExt_ListenOverflows", ())] == 90
    assert got[("node_netstat_Tcp_MaxConn", ())] == -1
    assert got[("node_softnet_dropped_total", (("cpu", "0"),))] == 60
    assert got[("node_network_receive_bytes_total", (("device", "eth0"),))] == 10_000_000 + 30 * 125_000
    assert got[("node_qdisc_drops_total", (("device", "eth0"), ("kind", "pfifo")))] == 210
    assert got[("nettop_listen_accept_queue", (("local", "0.0.0.0:8080"),))] == 4
    assert got[("nettop_listen_backlog", (("local", "0.0.0.0:8080"),))] == 3
    assert got[("nettop_tcp_mem_pages", (("level", "pressure"),))] == 1500
    assert got[("nettop_tcp_mem_pages", (("level", "used"),))] == 1250
    assert got[("nettop_finding", (("id", "listen-queue-full"), ("severity", "critical"),
                                   ("subject", "0.0.0.0:8080")))] == 1


def test_peaks_cover_the_time_since_the_previous_scrape_and_restart() -> None:
    store, _, clock = recorded_store()
    collector = NettopCollector(store, clock=clock)
    key = ("nettop_qdisc_backlog_peak_bytes", (("device", "eth0"), ("handle", "20:"), ("kind", "pfifo")))
    clock.now = 1002.6  # the last burst ended at 1002.4; the first scrape looks back 10 s
    assert samples(exposition(collector))[key] == 12_000
    clock.now = 1005.0  # no sample since: the peak restarted, only the current (empty) backlog is left
    assert samples(exposition(collector))[key] == 0


def test_openmetrics_format_parses_too() -> None:
    store, _, clock = recorded_store()
    got = samples(exposition(NettopCollector(store, clock=clock), openmetrics=True), openmetrics=True)
    assert got[("node_qdisc_backlog", (("device", "eth0"), ("kind", "pfifo")))] == 0
    assert ("nettop_sampler_rate_hz", ()) in got


def test_the_grafana_dashboard_uses_only_metrics_the_export_serves() -> None:
    import json
    import re
    from pathlib import Path

    store, _, clock = recorded_store()
    served = {name for name, _ in samples(exposition(NettopCollector(store, clock=clock)))}
    served |= {n[: -len("_total")] for n in served if n.endswith("_total")}
    dashboard = json.loads((Path(__file__).parents[2] / "docs" / "grafana-nettop.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    names = {m for e in exprs for m in re.findall(r"\b(node_[a-z0-9_A-Z]+|nettop_[a-z_]+)\b", e)}
    assert names and names <= served, names - served


def source_states(got: dict[tuple[str, tuple[tuple[str, str], ...]], float]) -> dict[str, tuple[float | None, str]]:
    """source -> (nettop_source_up or None, state) from a parsed scrape."""
    states = {dict(labels)["source"]: dict(labels)["state"] for name, labels in got if name == "nettop_source_info"}
    return {s: (got.get(("nettop_source_up", (("source", s),))), state) for s, state in states.items()}


def test_every_source_is_up_while_its_samples_are_current() -> None:
    store, _, clock = recorded_store()
    states = source_states(samples(exposition(NettopCollector(store, clock=clock))))
    assert states["netstat"] == (1, "live")
    assert states["qdiscs"] == (1, "live")
    assert all(up in (1, None) for up, _ in states.values())
    assert all(state == "not applicable" for up, state in states.values() if up is None)


def test_a_stale_source_is_down_and_its_figures_are_left_out() -> None:
    from nettop.collectors import keys

    store, _, clock = recorded_store()
    for key in (keys.QDISCS, keys.LISTENERS):  # declared again by the fixture, without the sampler's max age
        store.declare(key, lambda c: True, max_age=3.0)
    clock.now = 1003.0 + 60  # the sampler stopped a minute ago: every hot and warm figure is frozen
    got = samples(exposition(NettopCollector(store, clock=clock)))
    states = source_states(got)
    assert states["netstat"] == (0, "stale")
    assert states["qdiscs"] == (0, "stale")
    reasons = {dict(labels)["source"]: dict(labels)["reason"] for name, labels in got if name == "nettop_source_info"}
    assert reasons["netstat"] == "no sample for more than 3 s"  # steady: one series, not one per scrape
    names = {name for name, _ in got}
    assert not any(n.startswith(("node_netstat_", "node_qdisc_", "node_network_", "node_softnet_")) for n in names)
    assert ("nettop_listen_accept_queue", (("local", "0.0.0.0:8080"),)) not in got
    assert ("nettop_tcp_mem_pages", (("level", "used"),)) not in got
    assert not any(n == "nettop_finding" for n in names)


def test_a_down_source_says_why_and_the_others_stay() -> None:
    from nettop.collectors import keys

    store, _, clock = recorded_store()
    store.mark_unavailable(keys.QDISCS, clock.now, "netlink: permission denied")
    got = samples(exposition(NettopCollector(store, clock=clock)))
    assert source_states(got)["qdiscs"] == (0, "down")
    assert ("nettop_source_info", (("reason", "netlink: permission denied"), ("source", "qdiscs"),
                                   ("state", "down"))) in got
    assert not any(name.startswith("node_qdisc_") for name, _ in got)
    assert got[("node_netstat_TcpExt_ListenOverflows", ())] == 90


class FakeSampler:
    gone: str | None = None
    failed: BaseException | None = None


def test_503_until_every_source_has_a_first_sample() -> None:
    from nettop.collectors.export import Exporter
    from nettop.collectors.procfs import ProcRoot
    from nettop.collectors.sampler import Sampler
    from nettop.collectors.store import Store

    store, root, clock = recorded_store()
    fresh = Store()
    Sampler(ProcRoot(root.proc, root.sys), fresh, clock=clock)  # declares its sources, reads none
    response = Exporter(NettopCollector(fresh, clock=clock)).respond("", "")
    assert response.status == 503
    assert ("Retry-After", "1") in response.headers
    assert b"no complete sample yet of" in response.body and b"netstat" in response.body
    assert Exporter(NettopCollector(store, clock=clock)).respond("", "").status == 200


@pytest.mark.parametrize(("attr", "value", "says"), [
    ("gone", "network namespace nettop-x was deleted", b"nothing is watched any more: network namespace nettop-x"),
    ("failed", RuntimeError("netlink socket closed"), b"the sampler stopped: RuntimeError: netlink socket closed"),
])
def test_503_with_the_reason_when_the_namespace_is_gone_or_the_sampler_stopped(attr: str, value: object,
                                                                              says: bytes) -> None:
    from nettop.collectors.export import Exporter

    store, _, clock = recorded_store()
    sampler = FakeSampler()
    setattr(sampler, attr, value)
    response = Exporter(NettopCollector(store, clock=clock), sampler).respond("", "")  # type: ignore[arg-type]
    assert response.status == 503
    assert says in response.body
    assert not any(k == "Retry-After" for k, _ in response.headers)  # waiting will not bring it back


def test_content_negotiation_and_gzip() -> None:
    import gzip

    from nettop.collectors.export import Exporter

    store, _, clock = recorded_store()
    exporter = Exporter(NettopCollector(store, clock=clock))
    om = exporter.respond("application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5", "")
    assert om.content_type.startswith("application/openmetrics-text")
    assert om.body.endswith(b"# EOF\n")
    assert samples(om.body, openmetrics=True)[("node_netstat_TcpExt_ListenOverflows", ())] == 90
    text = exporter.respond("text/plain", "gzip, deflate")
    assert text.content_type.startswith("text/plain; version=0.0.4")
    assert ("Content-Encoding", "gzip") in text.headers
    assert samples(gzip.decompress(text.body))[("node_netstat_TcpExt_ListenOverflows", ())] == 90
