"""Pane 7: listeners' accept queue (now and peak) against their backlog; TCP states."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from nettop.collectors import keys
from nettop.collectors.views.context import ViewContext
from nettop.collectors.views.sockets import breakdown_age, listener_rows, live_totals, state_counts

from .fmt import alert, bar, human, rate, style
from .i18n import tr
from .pane import Pane, UiState
from .synctable import SyncTable

FRESH_SECONDS = 5.0  # older than this, the breakdown says how old


def _counts(text: Text, counts: list[tuple[str, int, float | None]]) -> None:
    for what, count, change in counts:
        text.append(f" {what} {human(count)}")
        if change:
            text.append(f" ({'+' if change > 0 else ''}{rate(change)})", style=style("rising"))


class SocketsPane(Pane):
    SOURCES = (keys.LISTENERS, keys.TCP_STATES)
    def compose(self) -> ComposeResult:
        yield SyncTable(["listener", "queue", "peak", "backlog", "fill (peak)"], id="sockets-listeners", classes="main")
        yield Static("", id="sockets-states")

    def update_view(self, ctx: ViewContext, ui: UiState) -> None:
        rows = listener_rows(ctx)
        self.query_one("#sockets-listeners", SyncTable).sync([(r.local, (
            r.local, human(r.accept_queue), alert(human(r.peak), (r.peak or 0) >= r.backlog > 0),
            human(r.backlog), bar(r.peak, r.backlog + 1 if r.backlog else None, 12))) for r in rows])
        text = Text(tr("TCP now:"))
        _counts(text, live_totals(ctx))
        age = breakdown_age(ctx)
        text.append("\n" + (tr("by state (not read yet)") if age is None else
                            tr("by state:") if age < FRESH_SECONDS else
                            tr("by state, {age} s ago:", age=f"{age:.0f}")),
                    style="" if age is None or age < FRESH_SECONDS else style("stale"))
        _counts(text, state_counts(ctx)[:-1])  # orphans: live above
        self.query_one("#sockets-states", Static).update(text)

    DEFAULT_CSS = "#sockets-states { height: auto; }"

    def note_for_cursor(self) -> str:
        return "figures-listener" if self.query_one("#sockets-listeners", SyncTable).current_key() \
            else self.info.note

    def note_keys(self, ctx: ViewContext) -> list[str]:
        keys = ["counter-listener.accept_queue", "counter-listener.backlog", "counter-TcpExt.ListenOverflows"]
        return keys + [f"counter-tcp_state.{state}" for state, _, _ in state_counts(ctx)]
