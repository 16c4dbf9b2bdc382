"""The frame every pane shares: a title, a body, and what the screen asks of it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nettop.collectors.views.context import ViewContext
from textual.containers import Vertical


@dataclass(frozen=True)
class PaneInfo:
    """What the pane registry (tui/panes.py) says of a pane."""

    key: str  # the key that shows or hides it
    name: str  # `overview`, also `--panes overview`
    title: str
    note: str  # the note Enter opens when no row has one


def no_summary(_note_key: str) -> str:
    return ""


@dataclass
class UiState:
    """What every pane may use beyond the data: the name filter (`/`) and note summaries."""

    filter: str = ""
    summary: Callable[[str], str] = no_summary  # one line on what a note key is


class Pane(Vertical):
    """Base of the panes: built from its registry entry, handed a view context each frame."""

    DEFAULT_CSS = """
    Pane { border: round $primary-darken-2; height: 1fr; min-height: 4; }
    Pane:focus-within { border: round $accent; }
    """
    CHART_MIN_HEIGHT = 18  # below this a pane's chart gives way to its table

    def __init__(self, info: PaneInfo) -> None:
        super().__init__(id=f"pane-{info.name}")
        self.info = info

    def on_mount(self) -> None:
        self.border_title = f"{self.info.key} {self.info.title}"

    def update_view(self, ctx: ViewContext, ui: UiState) -> None:
        raise NotImplementedError

    def note_for_cursor(self) -> str:
        """The note to open for the row under the cursor; the pane's own by default."""
        return self.info.note

    def note_keys(self, ctx: ViewContext) -> list[str]:
        """Every counter and sysctl this pane shows, as note keys (`counter-X`, `sysctl-Y`)."""
        return []

    def set_subtitle(self, text: str) -> None:
        self.border_subtitle = text

    def charts_fit(self) -> bool:
        return self.size.height >= self.CHART_MIN_HEIGHT

    def on_resize(self) -> None:
        for chart in self.query(".chart"):
            chart.display = self.charts_fit()
