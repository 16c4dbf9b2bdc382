"""`nettop explain WORDS`: a note in the terminal, with the live values it names.

WORDS is a counter, a knob, a topic, an alias or a few words in English or Japanese
(`ListenOverflows`, `somaxconn`, `syn flood`, `受信キュー`); `--search` lists every note they
match, best first, with its summary.
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

from nettop.collectors.errors import ParseError, PartialParse
from nettop.collectors.netstat import parse_netstat
from nettop.collectors.procfs import ProcFile, ProcRoot
from nettop.collectors.snmp6 import parse_snmp6
from nettop.collectors.sysctl import read_sysctls

from . import exitcodes
from .notebook import Note, NoteBook
from .notelive import Fixed, fill, live_knob, live_lines, placeholder_names

HEADINGS = {"en": ("Live values", "See also", "no note for", "did you mean", "notes matching"),
            "ja": ("現在の値", "関連", "該当するノートがありません:", "候補", "一致するノート")}


def current_counters(root: ProcRoot) -> dict[str, int]:
    """One read of netstat, snmp and snmp6: enough for a note's live values."""
    values: dict[str, int] = {}
    for name, parse in (("netstat", parse_netstat), ("snmp", parse_netstat), ("snmp6", parse_snmp6)):
        try:
            with ProcFile(Path(root.net(name))) as f:
                values.update(parse(f.read()))
        except PartialParse as exc:  # one bad line must not hide the rest of the file
            values.update(exc.result)
        except (OSError, ParseError):
            continue
    return values


def width(text: str) -> int:
    """Columns a terminal gives the text: Japanese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def read_values(note: Note, root: ProcRoot) -> Fixed:
    """What the note names and its placeholders ask for, read once."""
    asked = placeholder_names(note.body)
    knobs = sorted({live_knob(n) for n in [*note.sysctls, *asked] if n.startswith("net.") and "*" not in n})
    counters = current_counters(root) if note.counters or any(not n.startswith("net.") for n in asked) else {}
    reading = read_sysctls(root, knobs) if knobs else None
    return Fixed(dict(reading.values) if reading else {}, counters, dict(reading.absent) if reading else {})


def render(note: Note, root: ProcRoot, book: NoteBook | None = None) -> str:
    heading, see, *_ = HEADINGS.get(note.lang, HEADINGS["en"])
    values = read_values(note, root)
    out = [note.title, "=" * width(note.title), "", fill(note.body, values).rstrip()]
    live = [line.replace("- ", "  ", 1).replace("`", "") for line in live_lines(note, values)]
    if live:
        out += ["", f"{heading}:", *live]
    if note.see_also:
        titles = [f"  {s}: {found.title}" if book and (found := book.get(s)) else f"  {s}" for s in note.see_also]
        out += ["", f"{see}:", *titles]
    return "\n".join(out) + "\n"


def search(words: str, lang: str) -> int:
    book = NoteBook(lang)
    found = book.search(words, limit=15)
    *_, matching = HEADINGS.get(lang, HEADINGS["en"])
    if not found:
        print(f"nettop: {HEADINGS.get(lang, HEADINGS['en'])[2]} {words!r}", file=sys.stderr)
        return exitcodes.WARNING_FOUND
    print(f"{matching} {words!r}:")
    for note in found:
        print(f"  {note.id:42} {note.title}")
        print(f"  {'':42} {note.summary}")
    return exitcodes.OK


def explain(words: str, lang: str, root: ProcRoot | None = None, find: bool = False) -> int:
    """Exit 0 with the note; 1 when no note fits (with suggestions that share a word with it)."""
    if find:
        return search(words, lang)
    root = root or ProcRoot()
    book = NoteBook(lang)
    note = book.resolve(words)
    _, _, none, mean, _ = HEADINGS.get(lang, HEADINGS["en"])
    if note is None:
        print(f"nettop: {none} {words!r}", file=sys.stderr)
        suggestions = book.suggest(words)
        if suggestions:
            print(f"{mean}: " + ", ".join(suggestions), file=sys.stderr)
        return exitcodes.WARNING_FOUND
    sys.stdout.write(render(note, root, book))
    return exitcodes.OK
