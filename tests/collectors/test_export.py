"""The export's text, parsed by prometheus_client's own parsers."""

from __future__ import annotations

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
