"""A DataTable that is synchronised with rows instead of rebuilt.

Repainting every cell twice a second costs ~50 ms a frame (design.md §3); this
table only touches cells whose value changed, and rebuilds only when the set
of rows changes, keeping the cursor on the same row key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual import events
from textual.widgets import DataTable

from .i18n import tr

Row = tuple[str, Sequence[Any]]


def _width(cell: Any) -> int:
    return cell.cell_len if isinstance(cell, Text) else len(str(cell))


class SyncTable(DataTable[Any]):
    # The cursor marks its row with a light background and an underline but keeps the cells' own
    # colours and styles (cursor_foreground_priority="renderable"): a red CRIT row stays red under it.
    DEFAULT_CSS = """
    SyncTable { height: auto; max-height: 12; scrollbar-size: 1 1; }
    SyncTable.main { height: 1fr; max-height: 100%; }
    SyncTable > .datatable--cursor { background: $foreground 8%; text-style: none; }
    SyncTable:focus > .datatable--cursor { background: $foreground 15%; text-style: underline; }
    """

    def __init__(self, columns: Sequence[str], **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, cursor_foreground_priority="renderable",
                         **kwargs)
        self._column_labels = [tr(c) for c in columns]
        self._column_keys: list[Any] = []
        self._rows: dict[str, list[Any]] = {}
        self._widths: list[int] = [len(c) for c in columns]
        self._order: list[str] = []
        self._user_moved = False

    def on_mount(self) -> None:
        self._ensure_columns()

    def _ensure_columns(self) -> None:
        # a pane built on demand may be handed rows before its tables are mounted
        if not self._column_keys:
            self._column_keys = list(self.add_columns(*self._column_labels))

    @property
    def row_keys(self) -> list[str]:
        return list(self._order)

    def current_key(self) -> str | None:
        if not self._order or self.cursor_row < 0 or self.cursor_row >= len(self._order):
            return None
        return self._order[self.cursor_row]

    def sync(self, rows: Sequence[Row], initial: str | None = None) -> None:
        """Show `rows`; `initial` is where the cursor starts until the user moves it."""
        self._sync(rows)
        if initial is not None and not self._user_moved and initial in self._order:
            self.move_cursor(row=self._order.index(initial), animate=False)

    def on_key(self, event: events.Key) -> None:
        if event.key in ("up", "down", "pageup", "pagedown", "home", "end"):
            self._user_moved = True

    def on_click(self) -> None:
        self._user_moved = True

    def _sync(self, rows: Sequence[Row]) -> None:
        keys = [k for k, _ in rows]
        self._ensure_columns()
        if keys != self._order:
            self._rebuild(rows)
            return
        for key, cells in rows:
            old = self._rows[key]
            for i, (a, b) in enumerate(zip(old, cells, strict=False)):
                if a != b:
                    # re-measuring a column walks every row: only when this cell is wider than all before
                    wider = _width(b) > self._widths[i]
                    if wider:
                        self._widths[i] = _width(b)
                    self.update_cell(key, self._column_keys[i], b, update_width=wider)
            self._rows[key] = list(cells)

    def _rebuild(self, rows: Sequence[Row]) -> None:
        current = self.current_key()
        self.clear()
        for key, cells in rows:
            self.add_row(*cells, key=key)
        self._rows = {k: list(c) for k, c in rows}
        self._order = [k for k, _ in rows]
        self._widths = [max([len(label), *(_width(c[i]) for _, c in rows)])
                        for i, label in enumerate(self._column_labels)]
        if current in self._rows:
            self.move_cursor(row=self._order.index(current), animate=False)
