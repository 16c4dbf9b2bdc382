"""SVG snapshots of every pane at 80x24 and 160x48, fed from recorded samples.

Regenerate after a deliberate change of looks with `pytest tests/tui/test_snapshots.py --snapshot-update`
and look at the SVGs before committing them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
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
