"""The frame every pane shares: a title, a body, and what the screen asks of it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from textual.containers import Vertical

from nettop.collectors.findings import Finding
from nettop.collectors.keys import Key
from nettop.collectors.views.context import ViewContext


@dataclass(frozen=True)
class PaneInfo:
    """What the pane registry (tui/panes.py) says of a pane."""

    key: str  # the key that shows or hides it
    name: str  # `overview`, also `--panes overview`
    title: str
    note: str  # the note Enter opens when no row has one


def no_summary(_note_key: str) -> str:
    return ""


def no_clock(_t: float) -> str:
    return "?"


@dataclass
class UiState:
    """What every pane may use beyond the data: the name filter (`/`), note summaries, and the
    findings of this frame (evaluated once by the screen, shown by the strip and the Overview)."""

    filter: str = ""
    summary: Callable[[str], str] = no_summary  # one line on what a note key is
    findings: list[Finding] = field(default_factory=list)
    clock: Callable[[float], str] = no_clock  # a sample time as the wall clock shows it: `12:03:04`


class Pane(Vertical):
    """Base of the panes: built from its registry entry, handed a view context each frame."""

    # focus is a heavier line, not an alarm colour; a pane whose figures are not live is faded
    # and says so in its border
    DEFAULT_CSS = """
    Pane { border: round $primary-darken-2; height: 1fr; min-height: 4; }
    Pane:focus-within { border: heavy $primary; }
    Pane.-stale { border-subtitle-style: bold reverse; }
    Pane.-stale > * { text-opacity: 55%; }
    """
    CHART_MIN_HEIGHT = 18  # below this a pane's chart gives way to its table
    SOURCES: ClassVar[tuple[Key[Any], ...]] = ()  # what its figures come from

    def __init__(self, info: PaneInfo) -> None:
        super().__init__(id=f"pane-{info.name}")
        self.info = info
        self._subtitle = ""
        self._stale = ""

    def on_mount(self) -> None:
        self.border_title = f"{self.info.key} {self.info.title}"

    def update_view(self, ctx: ViewContext, ui: UiState) -> None:
        raise NotImplementedError

    def note_for_cursor(self) -> str:
        """The note to open for the row under the cursor; the pane's own by default."""
        return self.info.note

    def open_cursor(self) -> bool:
        """Enter on a row: a pane may open something of its own (a connection's detail) and
        say True; by default Enter opens the row's note."""
        return False

    def note_keys(self, ctx: ViewContext) -> list[str]:
        """Every counter and sysctl this pane shows, as note keys (`counter-X`, `sysctl-Y`)."""
        return []

    def sources(self, ctx: ViewContext) -> tuple[Key[Any], ...]:
        """The sources its figures come from: when one is not live, the pane says so."""
        return self.SOURCES

    def mark_stale(self, note: str) -> None:
        """`STALE since 12:03:04: why`, or "" when its figures are live."""
        if note != self._stale:
            self._stale = note
            self.set_class(bool(note), "-stale")
            self._show_subtitle()

    def set_subtitle(self, text: str) -> None:
        self._subtitle = text
        self._show_subtitle()

    def _show_subtitle(self) -> None:
        self.border_subtitle = "  ".join(t for t in (self._stale, self._subtitle) if t)

    def charts_fit(self) -> bool:
        return self.size.height >= self.CHART_MIN_HEIGHT

    def on_resize(self) -> None:
        for chart in self.query(".chart"):
            chart.display = self.charts_fit()
