"""Notes: Markdown files with a small front matter, one per topic and language.

    ---
    id: pane-qdiscs
    title: Qdiscs and classes
    counters: [TcpExt.ListenOverflows]
    sysctls: [net.core.default_qdisc]
    see_also: [pane-interfaces]
    ---
    Body in Markdown.
"""

from __future__ import annotations

import difflib
import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .notesearch import NoteIndex

NOTES_DIR = Path(__file__).parent / "notes"


@dataclass
class Note:
    id: str
    title: str
    body: str
    lang: str
    counters: list[str] = field(default_factory=list)
    sysctls: list[str] = field(default_factory=list)
    see_also: list[str] = field(default_factory=list)
    summary: str = ""
    aliases: list[str] = field(default_factory=list)  # words a reader would type for it, in this language


class NoteError(ValueError):
    pass


def _list(value: str) -> list[str]:
    value = value.strip()
    if not (value.startswith("[") and value.endswith("]")):
        raise NoteError(f"expected [a, b], got {value!r}")
    return [v.strip() for v in value[1:-1].split(",") if v.strip()]


def parse_note(text: str, lang: str, source: str = "") -> Note:
    if not text.startswith("---\n"):
        raise NoteError(f"{source}: no front matter")
    head, sep, body = text[4:].partition("\n---\n")
    if not sep:
        raise NoteError(f"{source}: front matter not closed")
    meta: dict[str, str] = {}
    for line in head.splitlines():
        if line.strip():
            key, colon, value = line.partition(":")
            if not colon:
                raise NoteError(f"{source}: bad front matter line {line!r}")
            meta[key.strip()] = value.strip()
    for required in ("id", "title"):
        if required not in meta:
            raise NoteError(f"{source}: missing {required}")
    return Note(meta["id"], meta["title"], body.strip() + "\n", lang,
                _list(meta.get("counters", "[]")), _list(meta.get("sysctls", "[]")),
                _list(meta.get("see_also", "[]")), meta.get("summary", ""), _list(meta.get("aliases", "[]")))


def load_notes(lang: str, base: Path = NOTES_DIR) -> dict[str, Note]:
    notes = {}
    folder = base / lang
    if folder.is_dir():
        for path in sorted(folder.glob("*.md")):
            note = parse_note(path.read_text(encoding="utf-8"), lang, str(path))
            notes[note.id] = note
    return notes


class NoteBook:
    """Notes of one language with English as the fallback; finds a note by any name it covers."""

    def __init__(self, lang: str = "en", base: Path = NOTES_DIR) -> None:
        self.lang = lang
        self.base = base
        self._index: NoteIndex | None = None
        self.en = load_notes("en", base)
        self.local = load_notes(lang, base) if lang != "en" else self.en
        self._by_name: dict[str, str] = {}
        for notes in (self.en, self.local):
            # a pane note names many things; the note dedicated to a name wins
            for note in sorted(notes.values(), key=lambda n: n.id.startswith("pane-")):
                for name in note.counters:
                    self._by_name.setdefault(f"counter-{name}", note.id)
                for name in note.sysctls:
                    self._by_name.setdefault(f"sysctl-{name}", note.id)

    def get(self, key: str) -> Note | None:
        note_id = key if key in self.en or key in self.local else self._by_name.get(key)
        if note_id is None:
            note_id = next((nid for pattern, nid in self._by_name.items()
                            if "*" in pattern and fnmatch.fnmatchcase(key, pattern)), None)
        if note_id is None:
            return None
        return self.local.get(note_id) or self.en.get(note_id)

    def summary(self, key: str) -> str:
        note = self.get(key)
        return note.summary if note else ""

    def all_notes(self) -> dict[str, Note]:
        return {**self.en, **self.local}

    def names(self) -> list[str]:
        """Everything `resolve` accepts: ids, counters, sysctls, and bare field names."""
        out: set[str] = set()
        for note in self.all_notes().values():
            out.add(note.id)
            if note.id.startswith("topic-"):
                out.add(note.id[len("topic-"):])
            for name in note.counters + note.sysctls:
                if "*" not in name:
                    out.add(name)
                    out.add(name.rpartition(".")[2])
        return sorted(out)

    def resolve(self, name: str) -> Note | None:
        """A note by id, topic, `Section.Field`, bare field (`ListenOverflows`), sysctl name, alias
        or words (`syn flood`, `受信キュー`) in either language."""
        for key in (name, f"topic-{name}", f"counter-{name}", f"sysctl-{name}"):
            note = self.get(key)
            if note is not None:
                return note
        lowered = name.lower()
        for note in self.all_notes().values():
            for prefix, names in (("counter-", note.counters), ("sysctl-", note.sysctls)):
                for full in names:
                    if full.rpartition(".")[2].lower() == lowered or full.lower() == lowered:
                        return self.get(prefix + full)
        found = self.index.best(name)
        return self.get(found) if found else None

    @property
    def index(self) -> NoteIndex:
        from .notesearch import NoteIndex

        if self._index is None:
            self._index = NoteIndex(self.base)
        return self._index

    def search(self, words: str, limit: int = 10) -> list[Note]:
        """Notes matching the words, best first, in this book's language."""
        found = [self.get(hit.note_id) for hit in self.index.search(words, limit)]
        return [n for n in found if n is not None]

    def suggest(self, name: str, limit: int = 5) -> list[str]:
        """Names close in spelling (a typo) first, then notes that share a word with the query:
        a suggestion that shares nothing with what was asked is worse than none."""
        names = self.names()
        lowered = {n.lower(): n for n in names}
        picked = [lowered[c] for c in difflib.get_close_matches(name.lower(), list(lowered), n=limit, cutoff=0.75)]
        picked += [n.id for n in self.search(name, limit) if n.id not in picked]
        return picked[:limit]
