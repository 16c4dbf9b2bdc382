"""Pane 9: why the kernel dropped packets — its own reason and the code location, live."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from nettop.collectors import keys
from nettop.collectors.views.context import ViewContext
from nettop.collectors.views.drops import NOT_SPECIFIED, ROUTINE, DropRow, info, pair_rows, reason_rows, top_location

from .fmt import alert, human, rate, style
from .i18n import tr
from .pane import Pane, PaneInfo, UiState
from .synctable import SyncTable

METHOD = {"bpf": "every drop counted (BPF)", "perf-sample": "sampled: totals exact, split by reason estimated"}


def figure(row: DropRow, text: str, value: float | None) -> Text:
    """Drops are red and bold, except routine ones and NOT_SPECIFIED (never a diagnosis)."""
    if row.reason in ROUTINE or row.reason == NOT_SPECIFIED:
        return Text(text)
    return alert(text, value)


def share(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def counter_cell(row: DropRow) -> str:
    return f"{row.counter} {rate(row.counter_rate, '/s')}" if row.counter else ""


class DropsPane(Pane):
    SOURCES = (keys.DROPS,)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("g", "group", "by reason", tooltip="drops: one row per reason / per reason and location"),
    ]

    def __init__(self, info: PaneInfo) -> None:
        super().__init__(info)
        self.by_reason = False
        self._last: tuple[ViewContext, UiState] | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="drops-how")
        yield SyncTable(["reason", "location", "Δ mark", "rate/s", "peak/s", "share", "counter"],
                        id="drops-table", classes="main")

    def update_view(self, ctx: ViewContext, ui: UiState) -> None:
        self._last = (ctx, ui)
        rows = reason_rows(ctx) if self.by_reason else pair_rows(ctx)
        needle = ui.filter.lower()
        if needle:
            rows = [r for r in rows if needle in r.column.lower()]
        self.query_one("#drops-table", SyncTable).sync([(r.column, self._cells(ctx, r)) for r in rows])
        self.query_one("#drops-how", Static).update(self._how(ctx, bool(rows)))
        self.set_subtitle(f"({len(rows)})  " + (tr("by reason") if self.by_reason else ""))

    def _cells(self, ctx: ViewContext, r: DropRow) -> tuple[object, ...]:
        location = top_location(ctx, r.reason) if self.by_reason else r.location
        return (figure(r, r.reason, r.rate), location, human(r.delta), figure(r, rate(r.rate, ""), r.rate),
                rate(r.peak_rate, ""), share(r.share), counter_cell(r))

    def _how(self, ctx: ViewContext, any_rows: bool) -> Text:
        detail = info(ctx)
        line = Text()
        if detail is None:
            return line
        line.append(tr(METHOD.get(detail.method, detail.method)))
        if detail.note:
            line.append("  ")
            line.append(tr(detail.note), style=style("warn"))
        if not any_rows:
            line.append("  " + tr("no drop since nettop started"))
        return line

    def action_group(self) -> None:
        self.by_reason = not self.by_reason
        if self._last is not None:
            self.update_view(*self._last)

    def note_for_cursor(self) -> str:
        key = self.query_one("#drops-table", SyncTable).current_key()
        return f"counter-drop.{key.partition('@')[0]}" if key else self.info.note

    def note_keys(self, ctx: ViewContext) -> list[str]:
        return [f"counter-drop.{r.reason}" for r in reason_rows(ctx) if not r.reason.startswith("(")]
