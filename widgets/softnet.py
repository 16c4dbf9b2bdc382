"""Pane 6: softnet/NAPI per CPU next to the knobs that bound it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from nettop.collectors import keys
from nettop.collectors.views.context import ViewContext
from nettop.collectors.views.softnet import SOFTNET_KNOBS, knob_values, softnet_rows

from .fmt import alert, human, rate
from .pane import Pane, UiState
from .synctable import SyncTable


class SoftnetPane(Pane):
    SOURCES = (keys.SOFTNET,)
    def compose(self) -> ComposeResult:
        yield Static("", id="softnet-knobs")
        yield SyncTable(["cpu", "processed/s", "dropped/s", "squeeze/s", "dropped", "time_squeeze",
                         "backlog peak"], id="softnet-table", classes="main")

    def update_view(self, ctx: ViewContext, ui: UiState) -> None:
        knobs = knob_values(ctx, SOFTNET_KNOBS)
        self.query_one("#softnet-knobs", Static).update(
            "  ".join(f"{k.rpartition('.')[2]}={v}" for k, v in knobs.items()) or "knobs: -")
        self.query_one("#softnet-table", SyncTable).sync([(r.cpu, (
            r.cpu, rate(r.processed_rate, ""), alert(rate(r.dropped_rate, ""), r.dropped_rate),
            alert(rate(r.squeeze_rate, ""), r.squeeze_rate), human(r.dropped), human(r.time_squeeze),
            human(r.backlog_peak))) for r in softnet_rows(ctx)])

    def note_for_cursor(self) -> str:
        return "figures-softnet"

    def note_keys(self, ctx: ViewContext) -> list[str]:
        shown = ("processed", "dropped", "time_squeeze", "backlog_len")
        return [f"counter-softnet.{f}" for f in shown] + [f"sysctl-{k}" for k in SOFTNET_KNOBS]
