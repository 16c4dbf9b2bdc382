"""The help screen (`?`): every binding, generated from the bindings themselves."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from nettop.widgets.i18n import tr

HelpLine = tuple[str, str]  # (keys, what they do)


def binding_lines(bindings: Iterable[BindingType], display: Callable[[Binding], str]) -> list[HelpLine]:
    """One line per binding with a description; keys bound to the same action share a line."""
    lines: dict[str, tuple[list[str], str]] = {}
    for b in bindings:
        if not isinstance(b, Binding) or not b.description:
            continue
        keys, _ = lines.setdefault(b.action, ([], tr(b.tooltip or b.description)))
        keys.append(display(b))
    return [(" ".join(keys), text) for keys, text in lines.values()]


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark", "dismiss", "close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 76; max-width: 100%; height: auto; max-height: 90%;
                                  border: round $accent; background: $surface; padding: 0 1; }
    """

    def __init__(self, sections: list[tuple[str, list[HelpLine]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(f"[b]{tr('nettop keys')}[/b]  ({tr('Esc closes')})", markup=True)
            for title, lines in self.sections:
                if lines:
                    yield Static(f"\n[b]{tr(title)}[/b]", markup=True)
                for key, text in lines:
                    yield Static(f"[b]{key:>12}[/b]  {text}", markup=True)
