"""Pane 2: protocol memory against tcp_mem/udp_mem, the pressure counters, a TCP memory chart."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from nettop.collectors import keys
from nettop.collectors.views.context import ViewContext
from nettop.collectors.views.counters import tcpext_rows
from nettop.collectors.views.memory import memory_states
from nettop.collectors.views.series import series

from .chart import Chart
from .fmt import alert, bar, human, rate, status
from .i18n import tr
from .pane import Pane, UiState
from .synctable import SyncTable

PRESSURE_COUNTERS = ("TCPMemoryPressures", "TCPMemoryPressuresChrono", "PruneCalled", "RcvPruned",
                     "OfoPruned", "TCPRcvQDrop", "TCPAbortOnMemory", "TCPAbortFailed")
CHART_SECONDS = 60.0


class MemoryPane(Pane):
    SOURCES = (keys.SOCKSTAT, keys.NETSTAT)
    def compose(self) -> ComposeResult:
        yield SyncTable(["proto", "state", "pages", "of high", "low", "pressure", "high", "press", "peak"],
                        id="memory-table")
        yield Static("", id="memory-sockstat")
        yield SyncTable(["pressure counter", "value", "Δ mark", "rate/s"], id="memory-counters")
        yield Chart(id="memory-chart", classes="chart")

    def update_view(self, ctx: ViewContext, ui: UiState) -> None:
        states = memory_states(ctx)
        self.query_one("#memory-table", SyncTable).sync([(m.proto, (
            m.proto, status(m.status), human(m.pages),
            bar(m.pages, m.high, 14, tuple(x for x in (m.low, m.pressure) if x)),
            human(m.low), human(m.pressure), human(m.high), m.press or "-", human(m.peak_pages)))
            for m in states])
        sockstat = ctx.latest(keys.SOCKSTAT)
        tcp = {k.partition("/")[2]: v for k, v in sockstat.items() if k.startswith("TCP/")}
        self.query_one("#memory-sockstat", Static).update(
            "sockstat TCP: " + "  ".join(f"{k} {v:,}" for k, v in tcp.items()) if tcp else "sockstat: -")
        self.query_one("#memory-counters", SyncTable).sync(
            [(r.name, (r.name.partition(".")[2], human(r.value), human(r.delta), alert(rate(r.rate, ""), r.rate)))
             for r in tcpext_rows(ctx, PRESSURE_COUNTERS)])
        chart = self.query_one("#memory-chart", Chart)
        chart.display = self.charts_fit()
        if chart.display:
            xs, ys = series(ctx.store, keys.SOCKSTAT, "TCP/mem", CHART_SECONDS, ctx.now)
            tcp_state = states[0]
            lines = [(label, float(v)) for label, v in (("low", tcp_state.low), ("pressure", tcp_state.pressure),
                                                        ("high", tcp_state.high)) if v]
            chart.plot(tr("TCP memory (pages), last 60 s"), xs, ys, lines)

    def note_keys(self, ctx: ViewContext) -> list[str]:
        sockstat = ctx.latest(keys.SOCKSTAT)
        out = [f"counter-TcpExt.{n}" for n in PRESSURE_COUNTERS]
        out += [f"counter-sockstat.{k.replace('/', '.')}" for k in sockstat if k.startswith(("TCP/", "UDP/"))]
        return [*out, "counter-protocols.press", "sysctl-net.ipv4.tcp_mem", "sysctl-net.ipv4.udp_mem"]

    def note_for_cursor(self) -> str:
        key = self.query_one("#memory-counters", SyncTable).current_key()
        if self.query_one("#memory-counters", SyncTable).has_focus and key:
            return f"counter-{key}"
        proto = self.query_one("#memory-table", SyncTable).current_key()
        return "sysctl-net.ipv4.udp_mem" if proto == "UDP" else "sysctl-net.ipv4.tcp_mem"
