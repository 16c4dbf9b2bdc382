"""The frame every pane shares: a title, a body, and what the UI asks of it."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Vertical

from nettop.collectors.views import ViewContext


@dataclass
class UiState:
    """What the operator chose: filter, changed-only, sort, visible charts."""

    filter: str = ""
    changed_only: bool = False
    sort_by_rate: bool = False
    charts: bool = True


class Pane(Vertical):
    """Base of the eight panes. Subclasses set `pane_id`, `number`, `title`."""

    DEFAULT_CSS = """
    Pane { border: round $primary-darken-2; height: 1fr; min-height: 4; }
    Pane:focus-within { border: round $accent; }
    """
    CHART_MIN_HEIGHT = 18  # below this a pane's chart gives way to its table
    pane_id = "pane"
    number = 0
    title = ""

    def compose(self) -> ComposeResult:
        yield from self.body()

    def body(self) -> ComposeResult:
        return iter(())

    def on_mount(self) -> None:
        self.border_title = f"{self.number} {self.title}"

    def update_view(self, ctx: ViewContext, ui: UiState) -> None:
        raise NotImplementedError

    def note_for_cursor(self) -> str:
        """The note to open for the row under the cursor; the pane's own by default."""
        return f"pane-{self.pane_id}"

    def note_keys(self, ctx: ViewContext) -> list[str]:
        """Every counter and sysctl this pane shows, as note keys (`counter-X`, `sysctl-Y`)."""
        return []

    def set_subtitle(self, text: str) -> None:
        self.border_subtitle = text

    def charts_fit(self, ui: UiState) -> bool:
        return ui.charts and self.size.height >= self.CHART_MIN_HEIGHT

    def on_resize(self) -> None:
        for chart in self.query(".chart"):
            chart.display = self.size.height >= self.CHART_MIN_HEIGHT
