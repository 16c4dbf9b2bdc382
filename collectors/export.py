"""Prometheus export: the store as metrics, node_exporter's names where it has the figure.

A custom prometheus_client collector reads the store at each scrape, so nothing
is sampled twice; nettop's own figures (peaks between scrapes, listeners' accept
queues, TCP memory against tcp_mem, findings, the sampler's rate) come under
`nettop_`. Peaks cover the time since the previous scrape and restart at each one.

Never a frozen figure served as current: a source that is down or stale (ViewContext.freshness)
has its families left empty and `nettop_source_up{source}` 0, with the state and reason in
`nettop_source_info{source,state,reason}`. While nothing can be said about now (no complete
first sample yet, the watched namespace gone, the sampler stopped), `Exporter.respond` answers
503 with the reason instead: Prometheus's `up` is then 0 and every series goes stale.
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
from .views.context import NOT_APPLICABLE, PENDING, STALE, Mark, ViewContext, entity, field_of
from .views.memory import mem_limits
from .views.series import sampling_rate

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from .keys import Key
    from .metrics_server import Response
    from .sampler import Sampler

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
MAX_REASON = 160  # characters of a reason in a label
GZIP_LEVEL = 1  # most of the saving for a fraction of level 9's CPU


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
        yield from self._sources(ctx, GaugeMetricFamily)
        yield from self._netstat(ctx, GaugeMetricFamily)
        yield from self._softnet(ctx, CounterMetricFamily, GaugeMetricFamily)
        yield from self._netdev(ctx, CounterMetricFamily)
        yield from self._qdiscs(ctx, CounterMetricFamily, GaugeMetricFamily)
        yield from self._listeners(ctx, GaugeMetricFamily)
        yield from self._memory(ctx, GaugeMetricFamily)
        yield from self._drops(ctx, CounterMetricFamily)
        yield from self._connections(ctx, GaugeMetricFamily)
        findings = GaugeMetricFamily("nettop_finding", "1 for each finding of nettop doctor over the scrape interval",
                                     labels=["id", "severity", "subject"])
        for f in evaluate(ctx):
            findings.add_metric([f.id, f.severity, f.subject], 1)
        yield findings
        yield GaugeMetricFamily("nettop_sampler_rate_hz", "hot samples taken per second, after the CPU budget",
                                value=sampling_rate(self.store, now) or 0.0)

    def _sources(self, ctx: ViewContext, gauge: Any) -> Iterator[Any]:
        up = gauge("nettop_source_up", "1 while the source's figures are current, 0 when it is down or stale "
                   "(its metrics are then left out)", labels=["source"])
        info = gauge("nettop_source_info", "each source's state (live, stale, down, not applicable, pending) "
                     "and why", labels=["source", "state", "reason"])
        for key in sorted(self.store.sources(), key=lambda k: k.name):
            fresh = ctx.freshness(key)
            reason = fresh.reason or ""
            if fresh.state == STALE:  # a steady label: "no sample for 12 s" would make a new series each scrape
                reason = f"no sample for more than {self.store.max_age(key) or 0:g} s"
            info.add_metric([key.name, fresh.state, reason[:MAX_REASON]], 1)
            if fresh.state != NOT_APPLICABLE:  # IPv6 off is not an outage to alert on
                up.add_metric([key.name], 1 if fresh.live else 0)
        yield from (up, info)

    @staticmethod
    def _current(ctx: ViewContext, key: Key[Any]) -> dict[str, int]:
        """The newest values of a live source; nothing for a source down or stale."""
        return ctx.latest(key) if ctx.freshness(key).live else {}

    def _detail(self, ctx: ViewContext, key: Key[Any]) -> Any:
        return self.store.detail(key) if ctx.freshness(key).live else None

    def _netstat(self, ctx: ViewContext, gauge: Any) -> Iterator[Any]:
        for key in COUNTER_KEYS:
            for name, value in self._current(ctx, key).items():
                section, _, field_name = name.partition(".")
                yield gauge(f"node_netstat_{section}_{field_name}", f"{section} {field_name} (/proc/net)",
                            value=value)

    def _softnet(self, ctx: ViewContext, counter: Any, gauge: Any) -> Iterator[Any]:
        latest = self._current(ctx, keys.SOFTNET)
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

    def _drops(self, ctx: ViewContext, counter: Any) -> Iterator[Any]:
        """The kernel's drop reasons: one series per (reason, location), at most the source's
        MAX_PAIRS plus one `other` per reason, so the label set stays bounded."""
        from .drops.info import split_column

        latest = self._current(ctx, keys.DROPS)
        if not latest:
            return
        family = counter("nettop_drops", "packets the kernel dropped (skb:kfree_skb) by reason and code "
                         "location, host-wide, since nettop started", labels=["reason", "location"])
        for column, value in latest.items():
            family.add_metric(list(split_column(column)), value)
        yield family

    def _connections(self, ctx: ViewContext, gauge: Any) -> Iterator[Any]:
        """Aggregates of the connections dump only: no per-peer labels, so nothing grows."""
        latest = self._current(ctx, keys.CONNECTIONS)
        if not latest:
            return
        yield gauge("nettop_tcp_connections", "TCP connections not in LISTEN (sock_diag)",
                    value=latest.get("tcp/connections", 0))
        rates = gauge("nettop_tcp_bytes_per_second", "bytes per second over all TCP connections",
                      labels=["direction"])
        rates.add_metric(["send"], latest.get("tcp/send_bps", 0))
        rates.add_metric(["receive"], latest.get("tcp/recv_bps", 0))
        yield rates
        yield gauge("nettop_tcp_retransmits_per_second", "TCP retransmitted segments per second, all connections",
                    value=latest.get("tcp/retrans_per_s", 0))
        limited = gauge("nettop_tcp_connections_limited", "connections limited half their busy time or more",
                        labels=["by"])
        limited.add_metric(["receive_window"], latest.get("tcp/rwnd_limited", 0))
        limited.add_metric(["send_buffer"], latest.get("tcp/sndbuf_limited", 0))
        yield limited
        yield gauge("nettop_udp_socket_drops_per_second", "datagrams dropped per second by UDP sockets "
                    "(SK_MEMINFO_DROPS)", value=latest.get("udp/drops_per_s", 0))

    def _netdev(self, ctx: ViewContext, counter: Any) -> Iterator[Any]:
        latest = self._current(ctx, keys.LINK_STATS)
        families = {k: counter(f"node_network_{v}", f"{k} (rtnl_link_stats64)", labels=["device"])
                    for k, v in NETDEV.items()}
        for column, value in latest.items():
            if field_of(column) in families:
                families[field_of(column)].add_metric([entity(column)], value)
        yield from families.values()

    def _qdiscs(self, ctx: ViewContext, counter: Any, gauge: Any) -> Iterator[Any]:
        records: list[Any] = self._detail(ctx, keys.QDISCS) or []
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
        for s in self._detail(ctx, keys.LISTENERS) or []:
            queue.add_metric([s.local], s.rqueue)
            peak.add_metric([s.local], ctx.peak(keys.LISTENERS, f"{s.local}/accept_queue") or s.rqueue)
            backlog.add_metric([s.local], s.wqueue)
        yield from (queue, peak, backlog)

    def _memory(self, ctx: ViewContext, gauge: Any) -> Iterator[Any]:
        pages = gauge("nettop_tcp_mem_pages", "TCP memory: pages used and tcp_mem's marks", labels=["level"])
        used = self._current(ctx, keys.SOCKSTAT).get("TCP/mem")
        if used is not None:
            pages.add_metric(["used"], used)
        if ctx.freshness(keys.SYSCTLS).live:
            for level, value in mem_limits(ctx, "TCP").items():
                pages.add_metric([level], value)
        yield pages
        table = self._detail(ctx, keys.PROTOCOLS)
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


class Exporter:
    """What /metrics answers: the collector's text in the format asked, or 503 and why."""

    def __init__(self, collector: NettopCollector, sampler: Sampler | None = None) -> None:
        self.collector = collector
        self.sampler = sampler
        self.registry = registry_for(collector)

    def problem(self) -> tuple[str, bool] | None:
        """Why the figures cannot describe now, and whether waiting helps; None when they can."""
        if self.sampler is not None and self.sampler.gone:
            return f"nothing is watched any more: {self.sampler.gone}", False
        if self.sampler is not None and self.sampler.failed is not None:
            exc = self.sampler.failed
            return f"the sampler stopped: {type(exc).__name__}: {exc}", False
        now = self.collector.clock()
        ctx = ViewContext(self.collector.store, now, Mark(now))
        pending = sorted(k.name for k in self.collector.store.sources() if ctx.freshness(k).state == PENDING)
        if pending:
            return "no complete sample yet of " + ", ".join(pending), True
        return None

    def respond(self, accept: str, accept_encoding: str) -> Response:
        """The scrape (called in the server's render thread)."""
        import gzip

        from prometheus_client.exposition import choose_encoder, gzip_accepted

        from .metrics_server import Response

        problem = self.problem()
        if problem is not None:
            reason, retry = problem
            return Response(503, f"nettop: {reason}\n".encode(), headers=(("Retry-After", "1"),) if retry else ())
        encoder, content_type = choose_encoder(accept)
        body = encoder(self.registry)
        headers: tuple[tuple[str, str], ...] = (("Vary", "Accept, Accept-Encoding"),)
        if gzip_accepted(accept_encoding):
            body = gzip.compress(body, compresslevel=GZIP_LEVEL)
            headers += (("Content-Encoding", "gzip"),)
        return Response(200, body, content_type, headers)

