"""The main screen: the panes, pulled from the store on the screen's own timer.

It owns the keys that act on the display as a whole (panes, pause, mark, filter,
snapshot, notes, refresh rate); a pane owns the keys that act on it alone; the
live and replay screens add recording and playback.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input

from nettop.collectors import keys
from nettop.collectors.findings import evaluate
from nettop.collectors.owners import SocketOwners
from nettop.collectors.views.context import Freshness, Mark, ViewContext
from nettop.widgets.alerts import FindingsStrip, Stale
from nettop.widgets.i18n import localize_bindings, tr
from nettop.widgets.pane import Pane, UiState
from nettop.widgets.status import StatusLine
from nettop.widgets.synctable import SyncTable

from .datasource import DataSource
from .notebook import NoteBook
from .notelive import StoreValues
from .panegrid import PaneGrid
from .panes import PANES
from .snapshots import write_snapshot
from .status import DisplayState, status_parts

if TYPE_CHECKING:
    pass

REFRESH_STEPS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0)
FINDINGS_WINDOW = 10.0  # seconds: findings judge a trend, not one frame
STALE_CHECK = 1.0  # seconds: even when nothing changes (a sampler stopped), a frame says so

SAMPLER_START_DELAY = 0.1  # seconds after the first frame


class SourceEvent(Message):
    """A source went down or came back (sent from the sampler thread)."""

    def __init__(self, source: str, text: str) -> None:
        super().__init__()
        self.source, self.text = source, text

    def can_replace(self, message: Message) -> bool:
        """A burst of events about one source coalesces into the newest."""
        return isinstance(message, SourceEvent) and message.source == self.source


@dataclass
class ScreenOptions:
    panes: list[str] = field(default_factory=list)
    refresh: float = 0.5  # seconds between frames
    snapshot_dir: Path = Path(".")
    timers: bool = True  # tests drive frames themselves


def pane_bindings() -> list[BindingType]:
    return [Binding(p.key, f"toggle_pane('{p.name}')", p.title, show=False,
                    tooltip=f"show or hide the {p.title} pane") for p in PANES]


class MonitorScreen(Screen[None]):
    AUTO_FOCUS = "SyncTable"
    BINDINGS: ClassVar[list[BindingType]] = [
        *pane_bindings(),
        Binding("tab", "app.focus_next", "next table", show=False, tooltip="move the focus to the next table"),
        Binding("slash", "filter", "filter", tooltip="filter counters and sysctls by name (Enter applies, Esc clears)"),
        Binding("p", "pause", "pause", tooltip="pause the display (sampling goes on)"),
        Binding("m", "mark", "mark", tooltip="mark: deltas count from now"),
        Binding("s", "snapshot", "snapshot", tooltip="snapshot the whole state to a JSON file"),
        Binding("enter", "note", "note", show=False, tooltip="open the note for the row under the cursor"),
        Binding("i", "pane_note", "about", show=False,
                tooltip="what the focused pane shows, with the notes of everything on it"),
        Binding("plus", "refresh_rate(-1)", "faster", show=False, tooltip="refresh the display faster"),
        Binding("minus", "refresh_rate(1)", "slower", show=False, tooltip="refresh the display slower"),
    ]

    def __init__(self, data: DataSource, notes: NoteBook, options: ScreenOptions) -> None:
        super().__init__()
        localize_bindings(self)
        self.data = data
        self.notes = notes
        self.initial_panes = options.panes
        self.refresh_interval = options.refresh
        self.snapshot_dir = options.snapshot_dir
        self.timers = options.timers
        self.ui = UiState(summary=notes.summary, clock=self.clock_text)
        self.owners = SocketOwners()
        self.paused = False
        self.mark = Mark(data.now())
        self.events: dict[str, str] = {}
        self._timer: Timer | None = None
        self._versions: dict[str, int] = {}
        self._busy_until = 0.0
        self._next_check = 0.0

    def compose(self) -> ComposeResult:
        yield FindingsStrip(id="findings")
        yield PaneGrid(self.initial_panes)
        yield Input(placeholder=tr("filter counters and sysctls by name"), id="filter")
        yield from self.compose_extra()
        yield StatusLine(id="status")
        yield Footer()

    def compose_extra(self) -> ComposeResult:
        """What a live or replay screen adds above the status line."""
        yield from ()

    @property
    def grid(self) -> PaneGrid:
        return self.query_one(PaneGrid)

    def _start_sampling(self) -> None:
        def on_event(src: str, text: str) -> None:
            self.post_message(SourceEvent(src, text))

        self.data.start(on_event)

    def on_mount(self) -> None:
        # the sampler's first pass (its imports, every tier, pyroute2) would hold the GIL while the
        # first frame is drawn and while Textual's writer thread sends it to the terminal: it
        # starts a moment after that frame
        self.call_after_refresh(self.set_timer, SAMPLER_START_DELAY, self._start_sampling)
        origin = self.data.origin()
        self.mark = (Mark.at(self.data.store, origin) if origin is not None
                     else Mark.take(self.data.store, self.data.now()))
        self.grid.reflow()
        self.refresh_panes()
        self.call_after_refresh(self.refresh_panes, True)  # again once panes know their size
        if self.timers:
            self._timer = self.set_interval(self.refresh_interval, self.refresh_panes)

    def on_unmount(self) -> None:
        self.data.stop()

    # --- refresh -------------------------------------------------------------------------

    def context(self) -> ViewContext:
        self.mark.fill_missing(self.data.store)
        return ViewContext(self.data.store, self.data.now(), self.mark,
                           rate_window=max(1.0, self.refresh_interval),
                           peak_window=max(2.0, 2 * self.refresh_interval), owners=self.owners)

    def clock_text(self, t: float) -> str:
        return time.strftime("%H:%M:%S", time.localtime(self.data.wall(t)))

    def stale_text(self, fresh: Freshness) -> str:
        seen = self.clock_text(fresh.last_seen) if fresh.last_seen is not None else "never"
        return tr("STALE since {seen}: {why}", seen=seen, why=fresh.reason or tr(fresh.state))

    def show_alerts(self, ctx: ViewContext) -> None:
        """Findings over the last 10 s, evaluated once for the strip and the Overview; none while
        the figures are not live (the strip says why instead)."""
        core = ctx.freshness(keys.NETSTAT)
        window = max(FINDINGS_WINDOW, ctx.rate_window)
        findings = evaluate(replace(ctx, rate_window=window, peak_window=window))
        self.ui.findings = findings
        stale = None
        failure = self.data.live.failure if self.data.live else None
        if failure or core.state in ("stale", "down"):
            seen = self.clock_text(core.last_seen) if core.last_seen is not None else "never"
            stale = Stale(seen, tr("the sampler stopped: {why}", why=failure) if failure
                          else core.reason or tr(core.state))
        self.query_one(FindingsStrip).show(findings, stale)

    def mark_stale_panes(self, ctx: ViewContext) -> None:
        for pane in self.grid.shown_panes():
            gone = [f for f in (ctx.freshness(k) for k in pane.sources(ctx)) if f.state in ("stale", "down")]
            pane.mark_stale(self.stale_text(gone[0]) if gone else "")

    def before_frame(self) -> None:
        """Called before each frame (a replay moves its position on here)."""

    def refresh_panes(self, force: bool = False) -> None:
        if self.paused and not force:
            self.show_status()
            return
        started = time.monotonic()
        self.before_frame()
        if not force and started < self._busy_until:
            return  # the last frame was expensive (a very large host): keys come first
        store = self.data.store
        version = {k.name: store.version(k) for k in store.sources()}
        if force or version != self._versions or started >= self._next_check:
            self._versions = version
            self._next_check = started + STALE_CHECK
            ctx = self.context()
            with self.app.batch_update():
                self.show_alerts(ctx)
                for pane in self.grid.shown_panes():
                    pane.update_view(ctx, self.ui)
                self.mark_stale_panes(ctx)
        self.show_status()
        cost = time.monotonic() - started
        # never spend more than about a third of the UI's time computing frames
        self._busy_until = started + max(0.0, 3 * cost - self.refresh_interval)

    def show_status(self) -> None:
        display = DisplayState(self.paused, self.refresh_interval, self.data.now() - self.mark.t)
        self.query_one(StatusLine).show(status_parts(self.data, display))

    # --- actions -------------------------------------------------------------------------

    def action_toggle_pane(self, name: str) -> None:
        self.grid.toggle(name)
        # the new layout is drawn first, the figures right after: a key answers within a frame
        self.call_after_refresh(self.refresh_panes, True)

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.value = self.ui.filter
        box.focus()

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        self.ui.filter = event.value.strip()
        event.input.display = False
        self.focus_first_table()
        if self.ui.filter:
            self.grid.show("counters")
        self.refresh_panes(force=True)

    def key_escape(self) -> None:
        box = self.query_one("#filter", Input)
        if box.display:
            box.display = False
            self.ui.filter = ""
            self.focus_first_table()
            self.refresh_panes(force=True)

    def focus_first_table(self) -> None:
        for table in self.query(SyncTable):
            if table.display and table.parent is not None and table.parent.display:
                table.focus()
                return

    def action_pause(self) -> None:
        self.paused = not self.paused
        self.refresh_panes(force=not self.paused)

    def action_mark(self) -> None:
        self.set_mark(Mark.take(self.data.store, self.data.now()))
        self.notify(tr("mark set: deltas count from now"), timeout=2)

    def set_mark(self, mark: Mark) -> None:
        self.mark = mark
        self.refresh_panes(force=True)

    def action_refresh_rate(self, step: int) -> None:
        steps = list(REFRESH_STEPS)
        i = min(range(len(steps)), key=lambda k: abs(steps[k] - self.refresh_interval))
        self.refresh_interval = steps[max(0, min(len(steps) - 1, i + step))]
        if self._timer is not None:
            self._timer.stop()
            self._timer = self.set_interval(self.refresh_interval, self.refresh_panes)
        self.show_status()

    def action_snapshot(self) -> None:
        try:
            path = write_snapshot(self.data, self.snapshot_dir)
        except OSError as exc:
            where = exc.filename or self.snapshot_dir
            self.notify(tr("snapshot failed: {why}: {where}", why=exc.strerror or exc, where=where), severity="error",
                        timeout=8)
            return
        self.notify(tr("snapshot written to {path}", path=path), timeout=5)

    def action_pane_note(self) -> None:
        pane = self.focused_pane()
        self.open_note(pane.info.note if pane else "pane-overview", pane)

    def action_note(self) -> None:
        pane = self.focused_pane()
        if pane is not None and pane.open_cursor():
            return
        self.open_note(pane.note_for_cursor() if pane else "pane-overview", pane)

    def open_note(self, key: str, pane: Pane | None) -> None:
        note = self.notes.get(key) or (self.notes.get(pane.info.note) if pane else None)
        if note is None:
            self.notify(tr("no note for {key} yet", key=key), timeout=3)
            return
        shown = self.pane_notes(pane) if pane is not None and note.id == pane.info.note else []
        direct = self.data.root if self.data.live is not None and self.data.netns is None else None
        from .notescreen import NoteScreen  # markdown and its parser: not needed for the first frame

        self.app.push_screen(NoteScreen(self.notes, note, lambda: StoreValues(self.context(), direct), shown))

    def pane_notes(self, pane: Pane) -> list[str]:
        """The notes of what a pane shows, once each: the pane's own note lists them."""
        seen: list[str] = []
        for key in pane.note_keys(self.context()):
            found = self.notes.get(key)
            if found is not None and found.id != pane.info.note and found.id not in seen:
                seen.append(found.id)
        return seen

    def focused_pane(self) -> Pane | None:
        node = self.focused
        while node is not None and not isinstance(node, Pane):
            node = node.parent  # type: ignore[assignment]  # DOMNode parents of a widget are widgets here
        if node is None:
            shown = self.grid.shown_panes()
            return shown[0] if shown else None
        return node

    @on(SyncTable.RowSelected)
    def _row_selected(self, event: SyncTable.RowSelected) -> None:
        """Enter on a table row: DataTable takes the key, so its message opens the note."""
        event.stop()
        self.action_note()

    @on(SourceEvent)
    def _source_event(self, event: SourceEvent) -> None:
        self.events[event.source] = event.text
        if event.source == "sampler":
            self.notify(tr("sampler {what}", what=event.text), severity="error", timeout=8)
        self.refresh_panes(force=True)
