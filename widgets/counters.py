"""Counters: every netstat/snmp/snmp6 counter with its delta since the mark and its rate."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from nettop.collectors import keys
from nettop.collectors.views.context import ViewContext
from nettop.collectors.views.counters import CounterRow, counter_note_keys, counter_rows, counter_weight

from .fmt import human, rate
from .i18n import tr
from .pane import Pane, PaneInfo, UiState
from .synctable import SyncTable


def select(rows: list[CounterRow], ui: UiState, changed_only: bool, by_rate: bool) -> list[CounterRow]:
    """Filter by name, keep only changed ones, sort by rate: what the keys ask."""
    needle = ui.filter.lower()
    out = [r for r in rows if needle in r.name.lower()] if needle else list(rows)
    if changed_only:
        out = [r for r in out if r.delta]
    if by_rate:  # drops and errors first, then signs of trouble, then traffic; by rate within each
        out.sort(key=lambda r: (counter_weight(r.name), r.rate or 0.0), reverse=True)
    return out


class CountersPane(Pane):
    SOURCES = (keys.NETSTAT, keys.SNMP)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "changed_only", "changed", tooltip="counters: only those that changed since the mark"),
        Binding("o", "sort", "sort", tooltip="counters: sort by rate / by name"),
    ]

    def __init__(self, info: PaneInfo) -> None:
        super().__init__(info)
        self.changed_only = False
        self.by_rate = False
        self._last: tuple[ViewContext, UiState] | None = None

    def compose(self) -> ComposeResult:
        yield SyncTable(["counter", "value", "Δ mark", "rate/s", "peak/s"], id="counters-table", classes="main")

    def update_view(self, ctx: ViewContext, ui: UiState) -> None:
        self._last = (ctx, ui)
        rows = select(counter_rows(ctx), ui, self.changed_only, self.by_rate)
        self.query_one("#counters-table", SyncTable).sync(
            [(r.name, (r.name, human(r.value), "gauge" if r.gauge else human(r.delta),
                       rate(r.rate, ""), rate(r.peak_rate, ""))) for r in rows])
        flags = [tr("filter '{text}'", text=ui.filter) if ui.filter else "", tr("changed only") if self.changed_only
                 else "", tr("by rate") if self.by_rate else ""]
        self.set_subtitle(f"({len(rows)})  " + "  ".join(f for f in flags if f))

    def _redraw(self) -> None:
        if self._last is not None:
            self.update_view(*self._last)

    def action_changed_only(self) -> None:
        self.changed_only = not self.changed_only
        self._redraw()

    def action_sort(self) -> None:
        self.by_rate = not self.by_rate
        self._redraw()

    def note_for_cursor(self) -> str:
        key = self.query_one("#counters-table", SyncTable).current_key()
        return f"counter-{key}" if key else self.info.note

    def note_keys(self, ctx: ViewContext) -> list[str]:
        return counter_note_keys(ctx)
