"""Pane 0: who suffers — TCP connections by peer, service port or process, live, and the UDP
sockets that drop."""

from __future__ import annotations

from collections import deque
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from nettop.collectors import keys
from nettop.collectors.conn.model import GROUPINGS, PEER, PORT, PROCESS, Conn
from nettop.collectors.views.connections import CONNECTION, SORTS, Row, detail, dropping_udp, rows
from nettop.collectors.views.context import ViewContext

from .fmt import alert, human, rate
from .i18n import tr
from .pane import Pane, PaneInfo, UiState
from .synctable import SyncTable

VIEWS = (*GROUPINGS, CONNECTION)
COLUMNS = ["who", "conns/state", "owner", "send B/s", "recv B/s", "retrans/s", "rtt ms", "min_rtt ms", "limited"]
# a header click sorts by that column, where it is a sort
HEADER_SORT = {3: "bytes", 4: "bytes", 5: "retrans", 6: "rtt", 7: "rtt", 8: "limited"}
HISTORY = 60  # samples kept per connection, for the busiest ones only
History = dict[int, deque[tuple[float, float, float, float]]]  # cookie -> (t, rtt ms, bytes/s, retrans/s)


def ms(us: int | None) -> str:
    return "-" if us is None else f"{us / 1000:.1f}"


def limited_cell(row: Row) -> Text:
    rwnd, snd = row.rwnd_limited, row.sndbuf_limited
    if rwnd is None and snd is None:
        return Text("-")
    worst = max(rwnd or 0.0, snd or 0.0)
    text = f"rwnd {100 * (rwnd or 0):.0f}% snd {100 * (snd or 0):.0f}%"
    return alert(text, worst if worst >= 0.5 else 0)


def matches(conn: Conn, by: str, name: str) -> bool:
    """Whether a connection belongs to a group the user drilled into."""
    if by == PEER:
        return conn.remote.rpartition(":")[0] == name
    if by == PORT:
        port = name.removeprefix("to ")
        return conn.local.endswith(port) if not name.startswith("to ") else conn.remote.endswith(port)
    if by == PROCESS:
        return (conn.owner or "?") == name
    return True


class ConnectionsPane(Pane):
    SOURCES = (keys.CONNECTIONS,)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("v", "view", "group", tooltip="connections: by peer / port / process / each connection"),
        Binding("o", "sort", "sort", tooltip="connections: sort by retransmits / rtt / bytes / limited share"),
    ]

    def __init__(self, info: PaneInfo) -> None:
        super().__init__(info)
        self.view, self.sort = PEER, "retrans"
        self.within: tuple[str, str] | None = None  # (grouping, name) drilled into with Enter
        self.history: History = {}
        self._seen: object = None
        self._last: tuple[ViewContext, UiState] | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="conn-summary")
        yield SyncTable(COLUMNS, id="conn-table", classes="main")

    def update_view(self, ctx: ViewContext, ui: UiState) -> None:
        self._last = (ctx, ui)
        self._remember(ctx)
        shown = rows(ctx, self.view, self.sort)
        if self.within is not None and self.view == CONNECTION:
            shown = [r for r in shown if isinstance(r, Conn) and matches(r, *self.within)]
        needle = ui.filter.lower()
        if needle:
            shown = [r for r in shown if needle in self._key(r).lower() or needle in self._who(r).lower()]
        self.query_one("#conn-table", SyncTable).sync([(self._key(r), self._cells(r)) for r in shown])
        self.query_one("#conn-summary", Static).update(self._summary(ctx))
        where = f"  {tr('in')} {self.within[1]}" if self.within and self.view == CONNECTION else ""
        self.set_subtitle(f"({len(shown)})  {tr('by ' + self.view)}  {tr('sorted by ' + self.sort)}{where}")

    @property
    def last_context(self) -> ViewContext | None:
        """The view context of the last frame: what the detail screen reads."""
        return self._last[0] if self._last else None

    def _remember(self, ctx: ViewContext) -> None:
        """History of the busiest connections, one point per dump; the rest is forgotten."""
        d = detail(ctx)
        if d is None or d is self._seen:
            return
        self._seen = d
        t = ctx.store.latest(keys.CONNECTIONS)[0] or ctx.now
        alive = set()
        for c in d.conns:
            alive.add(c.cookie)
            points = self.history.setdefault(c.cookie, deque(maxlen=HISTORY))
            points.append((t, (c.rtt_us or 0) / 1000, (c.send_bps or 0.0) + (c.recv_bps or 0.0),
                           c.retrans_per_s or 0.0))
        for cookie in [k for k in self.history if k not in alive]:
            del self.history[cookie]

    @staticmethod
    def _key(r: Row) -> str:
        return str(r.cookie) if isinstance(r, Conn) else f"{r.by}:{r.name}"

    @staticmethod
    def _who(r: Row) -> str:
        return f"{r.local} -> {r.remote}" if isinstance(r, Conn) else r.name

    def _cells(self, r: Row) -> tuple[Any, ...]:
        if isinstance(r, Conn):
            second, owner = r.state, r.owner
        else:
            second, owner = str(r.conns), r.owners
        return (self._who(r), second, owner, human(r.send_bps), human(r.recv_bps),
                alert(rate(r.retrans_per_s, ""), r.retrans_per_s), ms(r.rtt_us), ms(r.min_rtt_us), limited_cell(r))

    def _summary(self, ctx: ViewContext) -> Text:
        latest = ctx.latest(keys.CONNECTIONS)
        line = Text()
        if not latest:
            return line
        line.append(tr("{n} TCP connections, send {send}B/s, recv {recv}B/s, retrans {retrans}/s",
                       n=latest.get("tcp/connections", 0), send=human(latest.get("tcp/send_bps")),
                       recv=human(latest.get("tcp/recv_bps")), retrans=latest.get("tcp/retrans_per_s", 0)))
        for u in dropping_udp(ctx)[:2]:
            line.append("  ")
            line.append(tr("UDP {local} ({owner}) drops {rate}/s", local=u.local, owner=u.owner or "?",
                           rate=human(u.drops_per_s)), style="bold")
        return line

    def _redraw(self) -> None:
        if self._last is not None:
            self.update_view(*self._last)

    def action_view(self) -> None:
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]
        self.within = None
        self._redraw()

    def action_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self._redraw()

    @on(DataTable.HeaderSelected)
    def _header(self, event: DataTable.HeaderSelected) -> None:
        sort = HEADER_SORT.get(event.column_index)
        if sort is not None:
            self.sort = sort
            self._redraw()

    def open_cursor(self) -> bool:
        """Enter on a group shows its connections; on a connection, its detail."""
        key = self.query_one("#conn-table", SyncTable).current_key()
        if key is None or self._last is None:
            return False
        if self.view != CONNECTION:
            by, _, name = key.partition(":")
            self.view, self.within = CONNECTION, (by, name)
            self._redraw()
            return True
        from nettop.tui.connscreen import ConnScreen

        self.app.push_screen(ConnScreen(int(key), self))
        return True

    def note_for_cursor(self) -> str:
        return "conn-rtt" if self.sort == "rtt" else "conn-loss" if self.sort == "retrans" else \
            "conn-limited" if self.sort == "limited" else "conn-window"

    def note_keys(self, ctx: ViewContext) -> list[str]:
        return ["conn-rtt", "conn-window", "conn-loss", "conn-limited", "conn-udp"]
