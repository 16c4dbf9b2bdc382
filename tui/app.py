"""The nettop TUI: the app holds the data source and the notes; screens do the rest."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from nettop.widgets import cjkwrap
from nettop.widgets.i18n import localize_bindings, set_language, tr

from . import exitcodes
from .datasource import DataSource
from .livescreen import LiveScreen
from .monitor import MonitorScreen, ScreenOptions
from .notebook import NoteBook
from .panes import DEFAULT_PANES, PANES, ordered
from .screens import HelpLine, HelpScreen, binding_lines

EXIT_GRACE = 3.0  # seconds Textual gets to give the terminal back after SIGTERM or SIGHUP
SAMPLER_FAILED = 70  # EX_SOFTWARE: the display was showing figures that had stopped


def own_bindings(cls: type, stop: type) -> list[BindingType]:
    """Bindings declared by `cls` and its bases below `stop` (not inherited from it)."""
    return [b for base in cls.__mro__ if base is not stop and issubclass(base, stop)
            for b in base.__dict__.get("BINDINGS", [])]


class NettopApp(App[int]):
    TITLE = "nettop"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = False  # its footer entry would take the room of our keys at 80 columns
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "keys", tooltip="every key, this list"),
        Binding("q", "quit", "quit", tooltip="quit"),
    ]

    def __init__(self, data: DataSource, panes: Iterable[str] = DEFAULT_PANES, refresh: float = 0.5,
                 snapshot_dir: Path = Path("."), lang: str = "en", timers: bool = True) -> None:
        set_language(lang)
        cjkwrap.install()  # Japanese anywhere (notes, a link name) wraps between characters
        super().__init__()
        localize_bindings(self)
        self.data = data
        self.notes = NoteBook(lang)
        self.options = ScreenOptions(ordered(panes), refresh, snapshot_dir, timers)

    def get_default_screen(self) -> Screen[None]:
        if self.data.playback is not None:
            from .replayscreen import ReplayScreen  # not on a live start's path to its first frame

            return ReplayScreen(self.data, self.notes, self.options)
        if self.data.recorder is not None:
            return LiveScreen(self.data, self.notes, self.options)
        return MonitorScreen(self.data, self.notes, self.options)

    @property
    def monitor(self) -> MonitorScreen:
        screen = self.screen_stack[0]
        assert isinstance(screen, MonitorScreen)
        return screen

    def help_sections(self) -> list[tuple[str, list[HelpLine]]]:
        """Every key, from the bindings themselves: the screen's and the app's, what a live or
        replay screen adds, and each pane's own."""
        display = self.get_key_display
        screen = type(self.monitor)
        sections = [("everywhere", binding_lines([*MonitorScreen.BINDINGS, *self.BINDINGS], display)),
                    ("replay" if self.data.playback else "live", binding_lines(own_bindings(screen, MonitorScreen),
                                                                               display))]
        for spec in PANES:
            own = spec.load().__dict__.get("BINDINGS", [])
            sections.append((tr("{pane} pane (when it has the focus)", pane=tr(spec.title)),
                             binding_lines(own, display)))
        return sections

    def on_mount(self) -> None:
        # SIGTERM and SIGHUP (the SSH session went) end the app like `q`: the terminal is given back
        # (alternate screen left, mouse tracking off) instead of being left in the app's state
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self._on_signal)

    def _on_signal(self) -> None:
        self.exit()
        threading.Thread(target=self._exit_anyway, name="nettop-exit", daemon=True).start()

    def _exit_anyway(self) -> None:
        """Textual's shutdown can block for good writing to a terminal that is gone (a SIGHUP as
        the first frame is drawn: its writer queue fills and is never drained). Past a grace
        period the sampler and any recording are stopped (what was recorded is flushed) and the
        process ends: nettop never outlives its terminal."""
        time.sleep(EXIT_GRACE)
        with contextlib.suppress(Exception):
            self.data.stop()
        os._exit(exitcodes.OK)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.help_sections()))

    async def action_quit(self) -> None:
        """Quit; non-zero when the sampler had stopped, so a wrapper script notices."""
        failure = self.data.live.failure if self.data.live else None
        if failure:
            self.exit(return_code=SAMPLER_FAILED, message=f"nettop: the sampler stopped: {failure}")
        else:
            self.exit()
