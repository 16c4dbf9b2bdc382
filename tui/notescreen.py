"""A note on screen (`Enter`, `i`): its text with live values filled in and refreshed every
second, its links (see also, what a pane shows) to follow with the keyboard or the mouse, a
search over every note in both languages (`/`), and `backspace` to go back."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from .notebook import Note, NoteBook
from .notelive import Values, fill, live_lines

LIVE_EVERY = 1.0  # seconds between refreshes of the live values
LABELS = {"en": {"live": "Live values", "see": "See also", "shown": "On this pane", "found": "Notes matching",
                 "search": "search every note (English or 日本語), Enter opens the first",
                 "none": "no note matches"},
          "ja": {"live": "現在の値", "see": "関連", "shown": "このペインの内容", "found": "一致するノート",
                 "search": "すべてのノートを検索（英語・日本語）。Enter で開きます",
                 "none": "一致するノートはありません"}}


class NoteScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss", "close"),
        Binding("backspace,b", "back", "back"),
        Binding("slash", "search", "search"),
    ]
    DEFAULT_CSS = """
    NoteScreen { align: center middle; }
    NoteScreen > Vertical { width: 90%; height: 90%; border: round $primary; background: $surface; }
    NoteScreen VerticalScroll { height: 1fr; }
    NoteScreen #note-live { padding: 0 2; }
    NoteScreen OptionList { height: auto; max-height: 8; border: none; }
    NoteScreen Input { display: none; }
    """

    def __init__(self, book: NoteBook, note: Note, values: Callable[[], Values], shown: list[str] | None = None,
                 ) -> None:
        super().__init__()
        self.book = book
        self.note = note
        self.values = values
        self.shown = shown or []  # a pane's note: the notes of what the pane shows
        self.history: list[Note] = []
        self.labels = LABELS.get(book.lang, LABELS["en"])
        self._links: list[str] = []
        self._groups: list[tuple[str, list[str]]] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            with VerticalScroll():
                yield Markdown(id="note-body")
                yield Static(id="note-live")
            yield Input(placeholder=self.labels["search"], id="note-search")
            yield OptionList(id="note-links")

    def on_mount(self) -> None:
        self.show(self.note)
        self.set_interval(LIVE_EVERY, self.refresh_live)

    # --- what is shown -------------------------------------------------------------------------

    def show(self, note: Note) -> None:
        self.note = note
        self.query_one(Markdown).update(self.body_markdown())
        self.refresh_live()
        shown = self.shown if note is self._first_shown() else []
        self.list_links([(self.labels["shown"], shown), (self.labels["see"], note.see_also)])
        self._groups = [(self.labels["shown"], [i for i in shown if i in self._links]),
                        (self.labels["see"], [i for i in self._links if i not in shown])]

    def _first_shown(self) -> Note:
        return self.history[0] if self.history else self.note

    def body_markdown(self) -> str:
        return f"# {self.note.title}\n\n{fill(self.note.body, self.values())}"

    def live_markdown(self) -> str:
        lines = live_lines(self.note, self.values())
        return f"{self.labels['live']}:\n" + "\n".join(lines) if lines else ""

    def render_markdown(self) -> str:
        """Everything the screen shows, as one text (what a reader reads, in order)."""
        parts = [self.body_markdown()]
        live = live_lines(self.note, self.values())
        if live:
            parts.append(f"## {self.labels['live']}\n\n" + "\n".join(live))
        for label, ids in self._groups:
            if ids:
                parts.append(f"## {label}\n\n" + "\n".join(f"- `{nid}`" for nid in ids))
        return "\n\n".join(parts)

    def refresh_live(self) -> None:
        self.query_one("#note-live", Static).update(self.live_markdown())

    def list_links(self, groups: list[tuple[str, list[str]]]) -> None:
        links = self.query_one(OptionList)
        links.clear_options()
        self._links = []
        for label, ids in groups:
            for note_id in ids:
                found = self.book.get(note_id)
                if found is not None and found.id not in self._links:
                    self._links.append(found.id)
                    links.add_option(Option(f"{label}: {found.title} — {found.summary}", id=found.id))
        links.display = bool(self._links)

    # --- moving around ------------------------------------------------------------------------

    def open(self, note_id: str) -> None:
        found = self.book.get(note_id)
        if found is not None:
            self.history.append(self.note)
            self.show(found)
            self.query_one(VerticalScroll).scroll_home(animate=False)

    @on(OptionList.OptionSelected)
    def _link(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.open(event.option.id)

    @on(Markdown.LinkClicked)
    def _clicked(self, event: Markdown.LinkClicked) -> None:
        if event.href.startswith("note:"):
            event.prevent_default()
            self.open(event.href[5:])

    def action_back(self) -> None:
        if self.history:
            self.show(self.history.pop())

    def action_search(self) -> None:
        box = self.query_one("#note-search", Input)
        box.display = True
        box.value = ""
        box.focus()

    @on(Input.Changed, "#note-search")
    def _typed(self, event: Input.Changed) -> None:
        found = self.book.search(event.value, limit=8) if event.value.strip() else []
        self.list_links([(self.labels["found"], [n.id for n in found])])

    @on(Input.Submitted, "#note-search")
    def _search(self, event: Input.Submitted) -> None:
        event.input.display = False
        if self._links:
            self.open(self._links[0])
        else:
            self.notify(self.labels["none"], timeout=3)
