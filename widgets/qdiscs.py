"""Pane 4: per device, each qdisc and its classes as a tree; a chart of the selected backlog."""

from __future__ import annotations

from textual.app import ComposeResult

from nettop.collectors import keys
from nettop.collectors.nlstats import TC_COUNTERS, TC_GAUGES
from nettop.collectors.views.context import ViewContext
from nettop.collectors.views.series import series
from nettop.collectors.views.tc import SOURCE_OF, TcRow, tc_rows

from .chart import Chart
from .fmt import alert, human, rate
from .i18n import tr
from .pane import Pane, UiState
from .synctable import SyncTable

CHART_SECONDS = 30.0


def busiest(rows: list[TcRow]) -> str | None:
    """The row whose queue peaked highest (then the most bytes/s): where the chart starts."""
    if not rows:
        return None
    top = max(rows, key=lambda r: (r.peak_backlog_bytes or 0, r.bytes_rate or 0))
    return f"{top.what}:{top.key}"


class QdiscsPane(Pane):
    SOURCES = (keys.QDISCS,)
    def compose(self) -> ComposeResult:
        yield SyncTable(["device / object", "kind", "backlog B", "peak B", "qlen", "drops/s", "overlim/s",
                         "requeue/s", "bytes/s"], id="qdiscs-table", classes="main")
        yield Chart(id="qdiscs-chart", classes="chart")

    def update_view(self, ctx: ViewContext, ui: UiState) -> None:
        rows = tc_rows(ctx)
        table = self.query_one("#qdiscs-table", SyncTable)
        table.sync([(f"{r.what}:{r.key}", (
            f"{r.dev} {r.what} {r.handle}" if r.depth == 0 else f"{'  ' * (r.depth - 1)}└ {r.what} {r.handle}",
            r.kind, human(r.backlog_bytes), alert(human(r.peak_backlog_bytes), r.peak_backlog_bytes),
            human(r.backlog_packets), alert(rate(r.drops_rate, ""), r.drops_rate), rate(r.overlimits_rate, ""),
            rate(r.requeues_rate, ""), rate(r.bytes_rate, ""))) for r in rows],
            initial=busiest(rows))
        chart = self.query_one("#qdiscs-chart", Chart)
        chart.display = self.charts_fit()
        key = table.current_key()
        if chart.display and key:
            what, _, prefix = key.partition(":")
            xs, ys = series(ctx.store, SOURCE_OF[what], f"{prefix}/backlog_bytes", CHART_SECONDS, ctx.now)
            chart.plot(tr("backlog of {what} (bytes), every sample", what=prefix), xs, ys, key=key)

    def note_for_cursor(self) -> str:
        return "figures-qdisc"

    def note_keys(self, ctx: ViewContext) -> list[str]:
        return [f"counter-qdisc.{f}" for f in (*TC_COUNTERS, *TC_GAUGES)]
