"""`nettop explain NAME`: a note in the terminal, with the live values it names."""

from __future__ import annotations

import sys
from pathlib import Path

from nettop.collectors.errors import ParseError
from nettop.collectors.netstat import parse_netstat
from nettop.collectors.procfs import ProcRoot
from nettop.collectors.snmp6 import parse_snmp6
from nettop.collectors.sysctl import read_sysctls

from .notebook import Note, NoteBook


def current_counters(root: ProcRoot) -> dict[str, int]:
    """One read of netstat, snmp and snmp6: enough for a note's live values."""
    values: dict[str, int] = {}
    for name, parse in (("netstat", parse_netstat), ("snmp", parse_netstat), ("snmp6", parse_snmp6)):
        try:
            values.update(parse(Path(root.net(name)).read_bytes()))
        except (OSError, ParseError):
            continue
    return values


def live_lines(note: Note, root: ProcRoot) -> list[str]:
    if not note.counters and not note.sysctls:
        return []
    counters = current_counters(root) if note.counters else {}
    lines = []
    for name in note.counters:
        if name in counters:
            lines.append(f"  {name} = {counters[name]:,}")
    names = [n for n in note.sysctls if "*" not in n]
    reading = read_sysctls(root, names) if names else None
    for name in names:
        if reading and name in reading.values:
            lines.append(f"  {name} = {reading.values[name]}")
        elif reading and name in reading.absent:
            lines.append(f"  {name}: {reading.absent[name]}")
    return lines


def render(note: Note, root: ProcRoot) -> str:
    heading = "現在の値" if note.lang == "ja" else "Live values"
    see = "関連" if note.lang == "ja" else "See also"
    out = [note.title, "=" * len(note.title), "", note.body.rstrip()]
    live = live_lines(note, root)
    if live:
        out += ["", f"{heading}:", *live]
    if note.see_also:
        out += ["", f"{see}: " + ", ".join(note.see_also)]
    return "\n".join(out) + "\n"


def explain(name: str, lang: str, root: ProcRoot | None = None) -> int:
    root = root or ProcRoot()
    book = NoteBook(lang)
    note = book.resolve(name)
    if note is None:
        suggestions = book.suggest(name)
        print(f"nettop: no note for {name!r}", file=sys.stderr)
        if suggestions:
            print("did you mean: " + ", ".join(suggestions), file=sys.stderr)
        return 1
    sys.stdout.write(render(note, root))
    return 0

