"""Finding a note by the words a reader types, in English or Japanese.

Every note of both languages is indexed by its id, title, aliases, the counters and knobs it
names, its summary and body. A query is split into ASCII words and runs of Japanese text; a note
ranks by how many of them it matches, then by where (an alias or a name weighs more than the
body). A query that is a note's own name (`somaxconn`) wins outright, then one that is a whole
alias or title (topics first among several). A note that matches
none of the query's words is never suggested.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .notebook import NOTES_DIR, Note, load_notes

LANGS = ("en", "ja")
ASCII_WORD = re.compile(r"[a-z0-9]+")
CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]+")
STOPWORDS = frozenset({"a", "an", "and", "are", "for", "in", "is", "it", "of", "on", "the", "to", "what", "why",
                       "how", "my", "does", "do", "with", "when"})
# where a query word was found, and what that is worth
WEIGHTS = {"alias": 80.0, "name": 60.0, "title": 50.0, "id": 40.0, "summary": 20.0, "body": 3.0}
WHOLE_QUERY = 1000.0
MAX_BODY_HITS = 5
# When a query is the whole alias of several notes, the broadest answers first: a topic explains
# the mechanism and links to the counters and knobs; a pane note only describes the screen.
KIND_RANK = {"topic": 5, "counter": 4, "figures": 3, "sysctl": 2, "counters": 1, "pane": 0}


def tier(score: float) -> int:
    """2: the query is the note's own name; 1: one of its aliases or its title; 0: words only."""
    return 2 if score >= 2 * WHOLE_QUERY else 1 if score >= WHOLE_QUERY else 0


def own_names(note_id: str) -> list[str]:
    """What a note is the note of: its id, and for a counter or sysctl note the full and bare name."""
    kind, _, name = note_id.partition("-")
    if kind in ("counter", "sysctl"):
        return [note_id, name, name.rpartition(".")[2]]
    return [note_id]


def kind_rank(note_id: str) -> int:
    return KIND_RANK.get(note_id.partition("-")[0], 0)


def fold(text: str) -> str:
    """Lower case, separators as spaces: `TcpExt.ListenOverflows` ~ `tcpext listenoverflows`."""
    return " ".join(ASCII_WORD.findall(text.lower()) + CJK_RUN.findall(text))


def compact(text: str) -> str:
    """No separators at all: `syn-flood`, `syn flood` and `SynFlood` meet as `synflood`."""
    return "".join(fold(text).split())


def query_terms(query: str) -> list[str]:
    words = [w for w in ASCII_WORD.findall(query.lower()) if w not in STOPWORDS]
    return words + CJK_RUN.findall(query)


@dataclass
class Entry:
    """One note id, its fields from every language."""

    note_id: str
    fields: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in WEIGHTS})
    wholes: set[str] = field(default_factory=set)  # compact forms a whole query can equal
    own: set[str] = field(default_factory=set)  # the note's own name: `rp_filter` is the sysctl's note

    def add(self, note: Note) -> None:
        names = [*note.counters, *note.sysctls]
        bare = [n.rpartition(".")[2] for n in names]
        topic = note.id.partition("-")[2]
        for key, values in (("alias", note.aliases), ("name", names + bare), ("title", [note.title]),
                            ("id", [note.id, topic]), ("summary", [note.summary]), ("body", [note.body])):
            self.fields[key] += [fold(v) for v in values if "*" not in v]
        self.wholes |= {compact(v) for v in (*note.aliases, note.title, topic) if "*" not in v}
        self.own |= {compact(v) for v in own_names(note.id)}

    def score(self, terms: list[str], whole: str) -> tuple[int, float]:
        """(how many terms matched, how well)."""
        total = 0.0
        if whole:
            total = 2 * WHOLE_QUERY if whole in self.own else WHOLE_QUERY if whole in self.wholes else 0.0
        matched = 0
        for term in terms:
            best = 0.0
            for key, texts in self.fields.items():
                hits = sum(_count(term, t) for t in texts)
                if hits:
                    best += WEIGHTS[key] * (min(hits, MAX_BODY_HITS) if key == "body" else 1)
            if best:
                matched += 1
                total += best
        return matched, total


def _count(term: str, text: str) -> int:
    """Occurrences of a term: a whole ASCII word (or its start), anywhere for Japanese."""
    if CJK_RUN.fullmatch(term):
        return text.count(term)
    return len(re.findall(rf"\b{re.escape(term)}", text))


@dataclass(frozen=True)
class Hit:
    note_id: str
    matched: int  # query terms found
    score: float


class NoteIndex:
    def __init__(self, base: Path = NOTES_DIR) -> None:
        self.entries: dict[str, Entry] = {}
        for lang in LANGS:
            for note in load_notes(lang, base).values():
                self.entries.setdefault(note.id, Entry(note.id)).add(note)

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        """Notes matching the query, best first; those that match no word of it are left out."""
        terms = query_terms(query)
        whole = compact(query)
        hits = []
        for entry in self.entries.values():
            matched, score = entry.score(terms, whole)
            if score >= WHOLE_QUERY or matched:
                hits.append(Hit(entry.note_id, matched, score))
        hits.sort(key=lambda h: (tier(h.score), h.matched, kind_rank(h.note_id) if tier(h.score) == 1 else 0,
                                 h.score, -len(h.note_id)), reverse=True)
        return hits[:limit]

    def best(self, query: str) -> str | None:
        """The note a query names when it names one: a whole match, or every word matched."""
        hits = self.search(query, limit=1)
        if not hits:
            return None
        top = hits[0]
        if top.score >= WHOLE_QUERY or top.matched == len(query_terms(query)) > 0:
            return top.note_id
        return None
