"""Prometheus export: the store as metrics, node_exporter's names where it has the figure.

A custom prometheus_client collector reads the store at each scrape, so nothing
is sampled twice; nettop's own figures (peaks between scrapes, listeners' accept
queues, TCP memory against tcp_mem, findings, the sampler's rate) come under
`nettop_`. Peaks cover the time since the previous scrape and restart at each one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from . import keys
from .findings import evaluate
from .keys import COUNTER_KEYS
from .nlstats import format_handle
from .store import Store
from .views.context import Mark, ViewContext, entity, field_of
from .views.memory import mem_limits
from .views.series import sampling_rate

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

# node_exporter's netdev collector names for rtnl_link_stats64 fields
NETDEV = {"rx_bytes": "receive_bytes", "tx_bytes": "transmit_bytes", "rx_packets": "receive_packets",
          "tx_packets": "transmit_packets", "rx_errors": "receive_errs", "tx_errors": "transmit_errs",
          "rx_dropped": "receive_drop", "tx_dropped": "transmit_drop", "rx_fifo_errors": "receive_fifo",
          "tx_fifo_errors": "transmit_fifo", "rx_frame_errors": "receive_frame", "multicast": "receive_multicast",
          "collisions": "transmit_colls", "tx_carrier_errors": "transmit_carrier"}
SOFTNET = {"processed": "processed", "dropped": "dropped", "time_squeeze": "times_squeezed",
           "received_rps": "received_rps", "flow_limit_count": "flow_limit_count"}
QDISC_COUNTERS = {"bytes": "bytes", "packets": "packets", "drops": "drops", "requeues": "requeues",
                  "overlimits": "overlimits"}
MIN_PEAK_WINDOW = 1.0  # a scrape right after another still looks back a second


class NettopCollector:
    """Yields the metric families of one store at each scrape (prometheus_client's Collector)."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.clock = clock
        self._last_scrape: float | None = None
        self._lock = threading.Lock()

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        with self._lock:
            now = self.clock()
            since = self._last_scrape if self._last_scrape is not None else now - 10.0
            self._last_scrape = now
        peak_window = max(MIN_PEAK_WINDOW, now - since)
        ctx = ViewContext(self.store, now, Mark(now), rate_window=peak_window, peak_window=peak_window)
        yield from self._netstat(GaugeMetricFamily)
        yield from self._softnet(CounterMetricFamily, GaugeMetricFamily)
        yield from self._netdev(CounterMetricFamily)
        yield from self._qdiscs(ctx, CounterMetricFamily, GaugeMetricFamily)
        yield from self._listeners(ctx, GaugeMetricFamily)
        yield from self._memory(ctx, GaugeMetricFamily)
        findings = GaugeMetricFamily("nettop_finding", "1 for each finding of nettop doctor over the scrape interval",
                                     labels=["id", "severity", "subject"])
        for f in evaluate(ctx):
            findings.add_metric([f.id, f.severity, f.subject], 1)
        yield findings
        yield GaugeMetricFamily("nettop_sampler_rate_hz", "hot samples taken per second, after the CPU budget",
                                value=sampling_rate(self.store, now) or 0.0)

    def _netstat(self, gauge: Any) -> Iterator[Any]:
        for key in COUNTER_KEYS:
            for name, value in self.store.latest(key)[1].items():
                section, _, field_name = name.partition(".")
                yield gauge(f"node_netstat_{section}_{field_name}", f"{section} {field_name} (/proc/net)",
                            value=value)

    def _softnet(self, counter: Any, gauge: Any) -> Iterator[Any]:
        latest = self.store.latest(keys.SOFTNET)[1]
        families = {k: counter(f"node_softnet_{v}", f"softnet_stat {k} per CPU", labels=["cpu"])
                    for k, v in SOFTNET.items()}
        backlog = gauge("node_softnet_backlog_len", "softnet_stat backlog length per CPU", labels=["cpu"])
        for column, value in latest.items():
            cpu, _, field_name = column.partition("/")
            if field_name in families:
                families[field_name].add_metric([cpu[3:]], value)
            elif field_name == "backlog_len":
                backlog.add_metric([cpu[3:]], value)
        yield from families.values()
        yield backlog

    def _netdev(self, counter: Any) -> Iterator[Any]:
        latest = self.store.latest(keys.LINK_STATS)[1]
        families = {k: counter(f"node_network_{v}", f"{k} (rtnl_link_stats64)", labels=["device"])
                    for k, v in NETDEV.items()}
        for column, value in latest.items():
            if field_of(column) in families:
                families[field_of(column)].add_metric([entity(column)], value)
        yield from families.values()

    def _qdiscs(self, ctx: ViewContext, counter: Any, gauge: Any) -> Iterator[Any]:
        records = self.store.detail(keys.QDISCS) or []
        labels = ["device", "kind"]
        counters = {k: counter(f"node_qdisc_{v}", f"qdisc {k}", labels=labels) for k, v in QDISC_COUNTERS.items()}
        backlog = gauge("node_qdisc_backlog", "qdisc backlog in bytes", labels=labels)
        qlen = gauge("node_qdisc_current_queue_length", "qdisc backlog in packets", labels=labels)
        peak = gauge("nettop_qdisc_backlog_peak_bytes", "highest backlog since the previous scrape",
                     labels=[*labels, "handle"])
        peak_packets = gauge("nettop_qdisc_backlog_peak_packets", "highest qlen since the previous scrape",
                             labels=[*labels, "handle"])
        for r in records:
            values = [r.dev or ctx.link_name(r.ifindex), r.kind]
            for k, family in counters.items():
                family.add_metric(values, getattr(r, k))
            backlog.add_metric(values, r.backlog_bytes)
            qlen.add_metric(values, r.backlog_packets)
            handle = format_handle(r.handle)
            key = ctx.tc_entity(r)
            peak.add_metric([*values, handle], ctx.peak(keys.QDISCS, f"{key}/backlog_bytes") or r.backlog_bytes)
            peak_packets.add_metric([*values, handle], ctx.peak(keys.QDISCS, f"{key}/backlog_packets")
                                    or r.backlog_packets)
        yield from (*counters.values(), backlog, qlen, peak, peak_packets)

    def _listeners(self, ctx: ViewContext, gauge: Any) -> Iterator[Any]:
        queue = gauge("nettop_listen_accept_queue", "connections waiting for accept()", labels=["local"])
        peak = gauge("nettop_listen_accept_queue_peak", "highest accept queue since the previous scrape",
                     labels=["local"])
        backlog = gauge("nettop_listen_backlog", "accept queue limit: listen() backlog cut to somaxconn",
                        labels=["local"])
        for s in self.store.detail(keys.LISTENERS) or []:
            queue.add_metric([s.local], s.rqueue)
            peak.add_metric([s.local], ctx.peak(keys.LISTENERS, f"{s.local}/accept_queue") or s.rqueue)
            backlog.add_metric([s.local], s.wqueue)
        yield from (queue, peak, backlog)

    def _memory(self, ctx: ViewContext, gauge: Any) -> Iterator[Any]:
        pages = gauge("nettop_tcp_mem_pages", "TCP memory: pages used and tcp_mem's marks", labels=["level"])
        used = self.store.latest(keys.SOCKSTAT)[1].get("TCP/mem")
        if used is not None:
            pages.add_metric(["used"], used)
        for level, value in mem_limits(ctx, "TCP").items():
            pages.add_metric([level], value)
        yield pages
        table = self.store.detail(keys.PROTOCOLS)
        if table:
            flag = table.get("TCP", {}).get("press")
            yield gauge("nettop_tcp_memory_pressure", "1 while TCP is in memory-pressure mode",
                        value=1 if flag == "yes" else 0)


def registry_for(collector: NettopCollector) -> CollectorRegistry:
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry


def exposition(collector: NettopCollector, openmetrics: bool = False) -> bytes:
    """One scrape's text, as the HTTP endpoint would serve it."""
    from prometheus_client import generate_latest
    from prometheus_client.openmetrics import exposition as om

    registry = registry_for(collector)
    if openmetrics:
        text: bytes = om.generate_latest(registry)  # type: ignore[no-untyped-call]  # untyped upstream
        return text
    return generate_latest(registry)
