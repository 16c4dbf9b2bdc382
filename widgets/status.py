"""The status line: what state the display is in first (it must show at 80 columns), figures after."""

from __future__ import annotations

from textual.widgets import Static


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text; }
    """

    def show(self, parts: list[str]) -> None:
        self.update("  |  ".join(p for p in parts if p))
