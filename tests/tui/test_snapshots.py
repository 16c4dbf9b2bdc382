"""SVG snapshots of every pane at 80x24 and 160x48, fed from recorded samples.

Regenerate after a deliberate change of looks with `pytest tests/tui/test_snapshots.py --snapshot-update`
and look at the SVGs before committing them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.color import Color as RichColor
from rich.color import ColorSystem
from rich.segment import Segment
from rich.style import Style
from rich.terminal_theme import DEFAULT_TERMINAL_THEME as XTERM
from textual.color import Color
from textual.filter import LineFilter

from conftest import recorded_store
from nettop.tui.app import NettopApp
from nettop.tui.datasource import RecordedSource
from nettop.tui.panes import PANES


def app_for(panes: tuple[str, ...]) -> NettopApp:
    store, root, clock = recorded_store()
    return NettopApp(RecordedSource(store, root, clock=clock, first_sample=1000.0), panes=panes,
                     snapshot_dir=Path("/nonexistent"), timers=False)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
@pytest.mark.parametrize("pane", [p.key for p in PANES])
def test_pane_looks(snap_compare, pane: str, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    name = next(p.name for p in PANES if p.key == pane)
    assert snap_compare(app_for((name,)), terminal_size=size)


def test_default_layout_wide(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app_for(("overview", "qdiscs", "interfaces", "sockets")), terminal_size=(160, 48))


class SixteenColors(LineFilter):
    """What a 16-colour terminal (TERM=xterm, screen) shows: every colour is cut to the nearest of
    the 16 standard ones, as Rich does for such a terminal, then drawn in xterm's palette."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [Segment(text, None if style is None else self._cut(style), control)
                for text, style, control in segments]

    @staticmethod
    def _cut(style: Style) -> Style:
        def cut(color: RichColor | None) -> RichColor | None:
            if color is None or color.is_default:
                return color
            triplet = color.downgrade(ColorSystem.STANDARD).get_truecolor(XTERM)
            return RichColor.from_triplet(triplet)
        return style + Style(color=cut(style.color), bgcolor=cut(style.bgcolor))


def test_80x24_without_colour(snap_compare, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """NO_COLOR: severity still reads (CRIT reversed, WARN bold, DROP reversed), focus is a heavy line."""
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(app_for(("overview", "qdiscs", "sockets")), terminal_size=(80, 24))


def test_80x24_in_16_colours(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """16 colours: the focus border is blue, never the red or yellow of an alarm."""
    app = app_for(("overview", "qdiscs", "sockets"))
    app._filters.append(SixteenColors())
    assert snap_compare(app, terminal_size=(80, 24))
