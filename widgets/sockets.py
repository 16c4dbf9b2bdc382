"""Pane 7: listeners' accept queue (now and peak) against their backlog; TCP states."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from nettop.collectors import keys
from nettop.collectors.views.context import ViewContext
from nettop.collectors.views.sockets import listener_rows, state_counts

from .fmt import alert, bar, human, rate, style
from .pane import Pane, UiState
from .synctable import SyncTable


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
        text = Text("TCP ")
        for state, count, change in state_counts(ctx):
            text.append(f" {state} {human(count)}")
            if change:
                text.append(f" ({'+' if change > 0 else ''}{rate(change)})", style=style("rising"))
        self.query_one("#sockets-states", Static).update(text)

    def note_for_cursor(self) -> str:
        return "figures-listener" if self.query_one("#sockets-listeners", SyncTable).current_key() \
            else self.info.note

    def note_keys(self, ctx: ViewContext) -> list[str]:
        keys = ["counter-listener.accept_queue", "counter-listener.backlog", "counter-TcpExt.ListenOverflows"]
        return keys + [f"counter-tcp_state.{state}" for state, _, _ in state_counts(ctx)]
