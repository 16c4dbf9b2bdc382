"""The nettop TUI: panes pulled from the store on the UI's own timer."""

from __future__ import annotations

import datetime as dt
import json
import socket
import time
from pathlib import Path
from typing import Iterable

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.message import Message
from textual.widgets import Footer, Input, Static

from nettop.collectors.atomic import write_atomic
from nettop.collectors.sources import SYSCTL_SOURCE
from nettop.collectors.views import Mark, ViewContext, counter_rows, sampling_rate
from nettop.widgets.counters import CountersPane
from nettop.widgets.interfaces import InterfacesPane
from nettop.widgets.memory import MemoryPane
from nettop.widgets.overview import OverviewPane
from nettop.widgets.pane import Pane, UiState
from nettop.widgets.qdiscs import QdiscsPane
from nettop.widgets.sockets import SocketsPane
from nettop.widgets.softnet import SoftnetPane
from nettop.widgets.synctable import SyncTable
from nettop.widgets.sysctls import SysctlsPane

from .datasource import DataSource
from .notes import Note, NoteBook
from .screens import HelpScreen, NoteScreen

DEFAULT_PANES = (1, 4, 7)
REFRESH_STEPS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0)
WIDE_WIDTH = 160  # from this width, panes sit in two columns


class PaneGrid(Container):
    """Holds the panes: one column, or two from WIDE_WIDTH columns on."""

    def on_resize(self) -> None:
        self.reflow()

    def reflow(self) -> None:
        shown = [p for p in self.query(Pane) if p.display]
        self.set_class(self.size.width >= WIDE_WIDTH and len(shown) > 1, "-wide")


class SourceEvent(Message):
    """A source went down or came back (sent from the sampler thread)."""

    def __init__(self, source: str, text: str) -> None:
        super().__init__()
        self.source, self.text = source, text


class NettopApp(App[None]):
    TITLE = "nettop"
    CSS_PATH = "app.tcss"
    AUTO_FOCUS = "SyncTable"
    BINDINGS = [
        *(Binding(str(n), f"toggle_pane({n})", f"pane {n}", show=False) for n in range(1, 9)),
        Binding("question_mark", "help", "keys"),
        Binding("slash", "filter", "filter"),
        Binding("c", "changed_only", "changed"),
        Binding("o", "sort", "sort", show=False),
        Binding("p", "pause", "pause"),
        Binding("m", "mark", "mark"),
        Binding("s", "snapshot", "snapshot"),
        Binding("enter", "note", "note", show=False),
        Binding("r", "record", "record"),
        Binding("space", "play_pause", "play", show=False),
        Binding("less_than_sign", "slower_replay", "slower", show=False),
        Binding("greater_than_sign", "faster_replay", "faster", show=False),
        Binding("left", "seek(-10)", "-10 s", show=False, priority=True),
        Binding("right", "seek(10)", "+10 s", show=False, priority=True),
        Binding("g", "goto", "go to", show=False),
        Binding("plus", "faster", "faster", show=False),
        Binding("minus", "slower", "slower", show=False),
        Binding("q", "quit", "quit"),
    ]
    HELP = [
        ("1 .. 8", "show or hide a pane: 1 overview, 2 memory, 3 counters, 4 qdiscs, 5 interfaces, "
                   "6 softnet, 7 sockets, 8 sysctls"),
        ("Tab", "move focus to the next table"),
        ("Enter", "open the note for the row under the cursor"),
        ("/", "filter counters and sysctls by name (Enter applies, Esc clears)"),
        ("c", "counters: only those that changed since the mark"),
        ("o", "counters: sort by rate / by name"),
        ("p", "pause the display (sampling goes on)"),
        ("m", "mark: deltas count from now"),
        ("s", "snapshot the whole state to a JSON file"),
        ("+ / -", "refresh the display faster / slower"),
        ("r", "start / stop recording to nettop-<host>-<time>.ntr (live)"),
        ("space", "replay: play / pause"),
        ("< / >", "replay: slower / faster (1x to 60x)"),
        ("left/right", "replay: 10 s back / forward"),
        ("g", "replay: go to a time (HH:MM:SS from the start)"),
        ("?", "this list"),
        ("q", "quit"),
    ]

    def __init__(self, data: DataSource, panes: Iterable[int] = DEFAULT_PANES, refresh: float = 0.5,
                 snapshot_dir: Path = Path("."), lang: str = "en", timers: bool = True) -> None:
        super().__init__()
        self.data = data
        self.shown_panes = set(panes)
        self.refresh_interval = refresh
        self.snapshot_dir = snapshot_dir
        self.notes = NoteBook(lang)
        self.timers = timers
        self.ui = UiState()
        self.paused = False
        self.mark = Mark(data.now())
        self.events: dict[str, str] = {}
        self._timer = None
        self._versions: dict[str, int] = {}
        self._busy_until = 0.0

    # --- layout ------------------------------------------------------------------------

    def make_pane(self, number: int) -> Pane:
        factories = {1: OverviewPane, 2: MemoryPane, 3: CountersPane, 4: QdiscsPane, 5: InterfacesPane,
                     6: SoftnetPane, 7: SocketsPane}
        if number == 8:
            return SysctlsPane(lambda k: self.notes.summary(f"sysctl-{k}"), id="pane-8")
        return factories[number](id=f"pane-{number}")

    def compose(self) -> ComposeResult:
        # only the panes shown are built now; the others when first asked for (a faster first frame)
        with PaneGrid(id="panes"):
            for number in sorted(self.shown_panes):
                yield self.make_pane(number)
        yield Input(placeholder="filter counters and sysctls by name", id="filter")
        yield Input(placeholder="go to HH:MM:SS from the start of the recording", id="goto")
        yield Static("", id="status")
        yield Footer()

    def on_mount(self) -> None:
        # the sampler's first pass (every tier, pyroute2's import) would hold the GIL while the
        # first frame is drawn: it starts right after that frame
        self.call_after_refresh(self._start_sampling)
        origin = self.data.origin()
        self.mark = (Mark.at(self.data.store, origin) if origin is not None
                     else Mark.take(self.data.store, self.data.now()))
        self._reflow()
        self.refresh_panes()
        self.call_after_refresh(self.refresh_panes, True)  # again once panes know their size
        if self.timers:
            self._timer = self.set_interval(self.refresh_interval, self.refresh_panes)

    def _start_sampling(self) -> None:
        self.data.start(on_event=lambda src, text: self.post_message(SourceEvent(src, text)))

    def on_unmount(self) -> None:
        self.data.stop()

    def _ensure_mounted(self, number: int) -> None:
        mounted = {p.number: p for p in self.query(Pane)}
        if number in mounted:
            return
        grid = self.query_one(PaneGrid)
        after = [n for n in mounted if n < number]
        if after:
            grid.mount(self.make_pane(number), after=mounted[max(after)])
        else:
            grid.mount(self.make_pane(number), before=0) if mounted else grid.mount(self.make_pane(number))

    def _reflow(self) -> None:
        for pane in self.query(Pane):
            pane.display = pane.number in self.shown_panes
        self.query_one(PaneGrid).reflow()

    # --- refresh -------------------------------------------------------------------------

    def context(self) -> ViewContext:
        self.mark.fill_missing(self.data.store)
        return ViewContext(self.data.store, self.data.now(), self.mark,
                           rate_window=max(1.0, self.refresh_interval),
                           peak_window=max(2.0, 2 * self.refresh_interval))

    def refresh_panes(self, force: bool = False) -> None:
        if self.paused and not force:
            self._status()
            return
        started = time.monotonic()
        tick = getattr(self.data, "tick", None)
        if tick is not None:  # a replay moves on with the display's own clock
            tick()
        if not force and started < self._busy_until:
            return  # the last frame was expensive (a very large host): keys come first
        ctx = self.context()
        version = {s: self.data.store.version(s) for s in self.data.store.sources()}
        changed = force or version != self._versions
        self._versions = version
        if changed:
            with self.batch_update():
                for pane in self.query(Pane):
                    if pane.display:
                        pane.update_view(ctx, self.ui)
        self._status()
        cost = time.monotonic() - started
        # never spend more than about a third of the UI's time computing frames
        self._busy_until = started + max(0.0, 3 * cost - self.refresh_interval)

    def _status(self) -> None:
        """What state the display is in comes first (it must show at 80 columns), figures after."""
        store, now = self.data.store, self.data.now()
        where = f"netns {self.data.netns.spec}" if self.data.netns else "host namespace"
        describe = getattr(self.data, "describe", None)
        if self._replay():
            header = self.data.recording.header  # type: ignore[attr-defined]
            where = f"recording of {header.get('host')}" + (f" netns {header['netns']}" if header.get("netns") else "")
        recorder = getattr(self.data, "recorder", None)
        down = [s for s in store.sources() if store.status(s).ok is False]
        alerts = ["PAUSED" if self.paused else "",
                  f"GONE: {self.data.gone}" if self.data.gone else "",
                  f"REC {recorder.path.name} ({recorder.samples} samples)" if recorder is not None else "",
                  f"{len(down)} down: {', '.join(down)}" if down and not self.data.gone else ""]
        hz = sampling_rate(store, now)
        cpu = self.data.cpu_percent()
        figures = [describe() if describe is not None else
                   (f"sampling {hz:.0f} Hz {self.data.budget_note()}".rstrip() if hz else "sampling -"),
                   f"nettop CPU {cpu:.1f}%" if cpu is not None else "",
                   f"refresh {self.refresh_interval:g}s", f"mark {now - self.mark.t:.0f}s ago",
                   f"{down[0]}: {store.status(down[0]).error}" if down else ""]
        self.query_one("#status", Static).update("  |  ".join(p for p in [where, *alerts, *figures] if p))

    # --- actions -------------------------------------------------------------------------

    def action_toggle_pane(self, number: int) -> None:
        if number in self.shown_panes and len(self.shown_panes) > 1:
            self.shown_panes.discard(number)
        else:
            self.shown_panes.add(number)
            self._ensure_mounted(number)
        self._reflow()
        # the new layout is drawn first, the figures right after: a key answers within a frame
        self.call_after_refresh(self.refresh_panes, True)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.HELP))

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.value = self.ui.filter
        box.focus()

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        self.ui.filter = event.value.strip()
        event.input.display = False
        self._focus_first_table()
        if 3 not in self.shown_panes and self.ui.filter:
            self.shown_panes.add(3)
            self._reflow()
        self.refresh_panes(force=True)

    def key_escape(self) -> None:
        box = self.query_one("#filter", Input)
        if box.display:
            box.display = False
            self.ui.filter = ""
            self._focus_first_table()
            self.refresh_panes(force=True)

    def _focus_first_table(self) -> None:
        for table in self.query(SyncTable):
            if table.display and table.parent is not None and table.parent.display:
                table.focus()
                return

    def action_changed_only(self) -> None:
        self.ui.changed_only = not self.ui.changed_only
        self.refresh_panes(force=True)

    def action_sort(self) -> None:
        self.ui.sort_by_rate = not self.ui.sort_by_rate
        self.refresh_panes(force=True)

    def action_pause(self) -> None:
        self.paused = not self.paused
        self.refresh_panes(force=not self.paused)

    def action_mark(self) -> None:
        self.mark = Mark.take(self.data.store, self.data.now())
        recorder = getattr(self.data, "recorder", None)
        if recorder is not None:  # a recording keeps the operator's marks
            recorder.mark(self.mark.t)
        self.notify("mark set: deltas count from now", timeout=2)
        self.refresh_panes(force=True)

    def action_faster(self) -> None:
        self._set_refresh(-1)

    def action_slower(self) -> None:
        self._set_refresh(+1)

    def _set_refresh(self, step: int) -> None:
        steps = list(REFRESH_STEPS)
        i = min(range(len(steps)), key=lambda k: abs(steps[k] - self.refresh_interval))
        self.refresh_interval = steps[max(0, min(len(steps) - 1, i + step))]
        if self._timer is not None:
            self._timer.stop()
            self._timer = self.set_interval(self.refresh_interval, self.refresh_panes)
        self._status()

    def action_snapshot(self) -> None:
        path = self.write_snapshot()
        if path is not None:
            self.notify(f"snapshot written to {path}", timeout=5)

    def write_snapshot(self) -> Path | None:
        now = self.data.now()
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        path = self.snapshot_dir / f"nettop-{socket.gethostname()}-{stamp}.json"
        from nettop.collectors.snapshot import build_snapshot

        snap = build_snapshot(self.data.store, self.data.root, since=now - 1.0, duration_s=1.0,
                              netns=self.data.netns, netns_gone=self.data.gone)
        try:
            write_atomic(path, (json.dumps(snap, indent=2) + "\n").encode())
        except OSError as exc:
            self.notify(f"snapshot failed: {exc.strerror or exc}: {path}", severity="error", timeout=8)
            return None
        return path

    def action_note(self) -> None:
        pane = self._focused_pane()
        key = pane.note_for_cursor() if pane else "pane-overview"
        note = self.notes.get(key) or (self.notes.get(f"pane-{pane.pane_id}") if pane else None)
        if note is None:
            self.notify(f"no note for {key} yet", timeout=3)
            return
        self.push_screen(NoteScreen(note, self.live_values))

    def _focused_pane(self) -> Pane | None:
        node = self.focused
        while node is not None and not isinstance(node, Pane):
            node = node.parent  # type: ignore[assignment]
        if node is None:
            shown = [p for p in self.query(Pane) if p.display]
            return shown[0] if shown else None
        return node

    def live_values(self, note: Note) -> str:
        ctx = self.context()
        rows = {r.name: r for r in counter_rows(ctx)}
        lines = []
        for name in note.counters:
            r = rows.get(name)
            if r is not None:
                rate = "-" if r.rate is None else f"{r.rate:,.1f}/s"
                lines.append(f"- `{name}` = {r.value:,} (since mark {r.delta if r.delta is not None else '-'}, {rate})")
            else:
                lines.append(f"- `{name}`: not on this kernel")
        reading = self.data.store.detail(SYSCTL_SOURCE)
        for name in note.sysctls:
            if reading is not None and name in reading.values:
                lines.append(f"- `{name}` = {reading.values[name]}")
            elif reading is not None and name in reading.absent:
                lines.append(f"- `{name}`: {reading.absent[name]}")
        return "\n".join(lines)

    # --- recording and replay ------------------------------------------------------------

    def action_record(self) -> None:
        start = getattr(self.data, "start_recording", None)
        if start is None:
            self.notify("recording works on live data, not on a replay", timeout=3)
            return
        if self.data.recorder is not None:  # type: ignore[attr-defined]
            path = self.data.stop_recording()  # type: ignore[attr-defined]
            self.notify(f"recording stopped: {path}", timeout=5)
        else:
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            path = self.snapshot_dir / f"nettop-{socket.gethostname()}-{stamp}.ntr"
            try:
                start(path)
            except OSError as exc:
                self.notify(f"cannot record to {path}: {exc.strerror or exc}", severity="error", timeout=8)
                return
            self.notify(f"recording to {path}", timeout=5)
        self._status()

    def _replay(self) -> object | None:
        return self.data if hasattr(self.data, "player") else None

    def action_play_pause(self) -> None:
        if self._replay():
            self.data.playing = not self.data.playing  # type: ignore[attr-defined]
            self.data.tick()  # type: ignore[attr-defined]
            self._status()

    def _speed(self, step: int) -> None:
        from nettop.collectors.replay import SPEEDS

        if self._replay():
            i = min(range(len(SPEEDS)), key=lambda k: abs(SPEEDS[k] - self.data.speed))  # type: ignore[attr-defined]
            self.data.speed = SPEEDS[max(0, min(len(SPEEDS) - 1, i + step))]  # type: ignore[attr-defined]
            self._status()

    def action_slower_replay(self) -> None:
        self._speed(-1)

    def action_faster_replay(self) -> None:
        self._speed(+1)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Replay keys exist only in a replay: live, left/right scroll the tables."""
        if action in ("seek", "play_pause", "slower_replay", "faster_replay", "goto") and not self._replay():
            return False
        return True

    def action_seek(self, seconds: float) -> None:
        if self._replay():
            self._seek_to(self.data.now() + seconds)

    def _seek_to(self, t: float) -> None:
        self.data.seek(t)  # type: ignore[attr-defined]
        self.mark = Mark.at(self.data.store, min(self.mark.t, self.data.now()))
        self.refresh_panes(force=True)

    def action_goto(self) -> None:
        if self._replay():
            box = self.query_one("#goto", Input)
            box.display = True
            box.value = ""
            box.focus()

    @on(Input.Submitted, "#goto")
    def _goto_done(self, event: Input.Submitted) -> None:
        from .datasource import parse_hms

        event.input.display = False
        self._focus_first_table()
        try:
            offset = parse_hms(event.value)
        except ValueError as exc:
            self.notify(str(exc), severity="error", timeout=4)
            return
        self._seek_to(self.data.recording.start + offset)  # type: ignore[attr-defined]

    @on(SyncTable.RowSelected)
    def _row_selected(self, event: SyncTable.RowSelected) -> None:
        """Enter on a table row: DataTable takes the key, so its message opens the note."""
        event.stop()
        self.action_note()

    @on(SourceEvent)
    def _source_event(self, event: SourceEvent) -> None:
        self.events[event.source] = event.text
        self._status()
