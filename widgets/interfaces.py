"""Pane 5: links in their hierarchy with bits/s, packets/s, errors, drops; a chart of one link."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult

from nettop.collectors.keys import Key
from nettop.collectors.views.context import ViewContext
from nettop.collectors.views.interfaces import DROP_COLUMNS, interface_rows
from nettop.collectors.views.series import rate_series

from .chart import Chart
from .fmt import alert, human, rate, tree_label
from .i18n import tr
from .pane import Pane, UiState
from .synctable import SyncTable

CHART_SECONDS = 30.0


class InterfacesPane(Pane):
    def compose(self) -> ComposeResult:
        yield SyncTable(["link", "kind", "state", "rx bit/s", "tx bit/s", "rx pkt/s", "tx pkt/s", "errors",
                         "drops", "missed", "relation"], id="interfaces-table", classes="main")
        yield Chart(id="interfaces-chart", classes="chart")

    def update_view(self, ctx: ViewContext, ui: UiState) -> None:
        rows = interface_rows(ctx)
        table = self.query_one("#interfaces-table", SyncTable)
        table.sync([(r.name, (tree_label(r.name, r.depth), r.kind, r.operstate, rate(r.rx_bps, ""),
                              rate(r.tx_bps, ""), rate(r.rx_pps, ""), rate(r.tx_pps, ""), human(r.errors),
                              alert(human(r.drops), r.drops_rate), human(r.missed), r.relation)) for r in rows],
                   initial=max(rows, key=lambda r: (r.rx_bps or 0) + (r.tx_bps or 0)).name if rows else None)
        chart = self.query_one("#interfaces-chart", Chart)
        chart.display = self.charts_fit()
        name = table.current_key()
        if chart.display and name:
            xs, ys = rate_series(ctx.store, ctx.link_source(), f"{name}/rx_bytes", CHART_SECONDS, ctx.now)
            chart.plot(tr("{name} rx bytes/s", name=name), xs, ys, key=name)

    def sources(self, ctx: ViewContext) -> tuple[Key[Any], ...]:
        return (ctx.link_source(),)

    def note_for_cursor(self) -> str:
        return "figures-link"

    def note_keys(self, ctx: ViewContext) -> list[str]:
        shown = ("rx_bytes", "tx_bytes", "rx_packets", "tx_packets", "rx_errors", "tx_errors", *DROP_COLUMNS)
        return [f"counter-link.{f}" for f in shown]
