"""Modal screens: every binding (`?`) and a note (`Enter`)."""

from __future__ import annotations

from typing import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from .notes import Note


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 72; max-width: 100%; height: auto; max-height: 90%;
                                  border: round $accent; background: $surface; padding: 0 1; }
    """

    def __init__(self, lines: list[tuple[str, str]]) -> None:
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("[b]nettop keys[/b]  (Esc closes)")
            for key, text in self.lines:
                yield Static(f"[b]{key:>10}[/b]  {text}")


class NoteScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q", "dismiss", "close")]
    DEFAULT_CSS = """
    NoteScreen { align: center middle; }
    NoteScreen > VerticalScroll { width: 90%; height: 90%; border: round $accent; background: $surface; }
    """

    def __init__(self, note: Note, live: Callable[[Note], str]) -> None:
        super().__init__()
        self.note = note
        self.live = live

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown  # markdown-it costs ~40 ms: not on the path to the first frame

        with VerticalScroll():
            yield Markdown(self.render_markdown(), id="note-body")

    def render_markdown(self) -> str:
        n = self.note
        parts = [f"# {n.title}", "", n.body]
        live = self.live(n)
        if live:
            parts += ["", "## Live values", "", live]
        if n.see_also:
            parts += ["", "See also: " + ", ".join(f"`{s}`" for s in n.see_also)]
        return "\n".join(parts)
