"""Pane 3: every netstat/snmp/snmp6 counter with its delta since the mark and its rate."""

from __future__ import annotations

from textual.app import ComposeResult

from nettop.collectors.views import CounterRow, ViewContext, counter_rows

from .fmt import human, rate
from .pane import Pane, UiState
from .synctable import SyncTable


def select(rows: list[CounterRow], ui: UiState) -> list[CounterRow]:
    """Filter by name, keep only changed ones, sort by rate: what the keys ask."""
    needle = ui.filter.lower()
    out = [r for r in rows if needle in r.name.lower()] if needle else list(rows)
    if ui.changed_only:
        out = [r for r in out if r.delta]
    if ui.sort_by_rate:
        out.sort(key=lambda r: r.rate or 0.0, reverse=True)
    return out


class CountersPane(Pane):
    pane_id = "counters"
    number = 3
    title = "Counters"

    def body(self) -> ComposeResult:
        yield SyncTable(["counter", "value", "Δ mark", "rate/s", "peak/s"], id="counters-table", classes="main")

    def update_view(self, ctx: ViewContext, ui: UiState) -> None:
        rows = select(counter_rows(ctx), ui)
        self.query_one("#counters-table", SyncTable).sync(
            [(r.name, (r.name, human(r.value), "gauge" if r.gauge else human(r.delta),
                       rate(r.rate, ""), rate(r.peak_rate, ""))) for r in rows])
        flags = [f"filter '{ui.filter}'" if ui.filter else "", "changed only" if ui.changed_only else "",
                 "by rate" if ui.sort_by_rate else ""]
        self.set_subtitle(f"({len(rows)})  " + "  ".join(f for f in flags if f))

    def note_for_cursor(self) -> str:
        key = self.query_one("#counters-table", SyncTable).current_key()
        return f"counter-{key}" if key else "pane-counters"
