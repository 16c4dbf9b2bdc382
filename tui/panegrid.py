"""The panes on screen: built when first shown, one column, or two from WIDE_WIDTH on."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.containers import Container

from nettop.widgets.pane import Pane

from .panes import BY_NAME, PANES

WIDE_WIDTH = 160  # from this width, panes sit in two columns


class PaneGrid(Container):
    def __init__(self, shown: Iterable[str]) -> None:
        super().__init__(id="panes")
        self.shown = set(shown)

    def compose(self) -> ComposeResult:
        # only the panes shown are built now; the others when first asked for (a faster first frame)
        for spec in PANES:
            if spec.name in self.shown:
                yield spec.build()

    def on_resize(self) -> None:
        self.reflow()

    def shown_panes(self) -> list[Pane]:
        return [p for p in self.query(Pane) if p.display]

    def toggle(self, name: str) -> None:
        """Show or hide a pane; the last one shown stays (an empty screen helps nobody)."""
        if name in self.shown and len(self.shown) > 1:
            self.shown.discard(name)
        else:
            self.shown.add(name)
            self._ensure_mounted(name)
        self.reflow()

    def show(self, name: str) -> None:
        if name not in self.shown:
            self.toggle(name)

    def _ensure_mounted(self, name: str) -> None:
        mounted = {p.info.name: p for p in self.query(Pane)}
        if name in mounted:
            return
        order = [p.name for p in PANES]
        before = [n for n in mounted if order.index(n) < order.index(name)]
        pane = BY_NAME[name].build()
        if before:
            self.mount(pane, after=mounted[max(before, key=order.index)])
        elif mounted:
            self.mount(pane, before=0)
        else:
            self.mount(pane)

    def reflow(self) -> None:
        for pane in self.query(Pane):
            pane.display = pane.info.name in self.shown
        self.set_class(self.size.width >= WIDE_WIDTH and len(self.shown) > 1, "-wide")
