"""/proc/net/softnet_stat: one row of 32-bit hex words per online CPU.

Columns by position (net/core/net-procfs.c, softnet_seq_show):
  0 processed  1 dropped  2 time_squeeze  3-7 always 0 since 2.6 (ex fastroute)
  8 cpu_collision (0 since 4.x)  9 received_rps  10 flow_limit_count
  11 backlog_len (since 5.10)  12 cpu index (since 5.10)
  13 input_qlen  14 process_qlen (since 6.x)
Older kernels print 9, 10 or 11 columns; the row number is then the CPU only
while no CPU is offline, so the index column wins when present. The counters
are `unsigned int` in the kernel and wrap at 2^32.

A row that is not 9 to MAX_COLUMNS hex words (an empty one included) costs that CPU
only, and still takes its place in the numbering by position; so does a row naming a
CPU seen before (the first is kept).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter

from .errors import Issues
from .netstat import Flat
from .text import LONG_LINE, MAX_LINE, as_bytes, has_long_line, hex_token

COLUMNS: dict[int, str] = {
    0: "processed",
    1: "dropped",
    2: "time_squeeze",
    8: "cpu_collision",
    9: "received_rps",
    10: "flow_limit_count",
    11: "backlog_len",
    13: "input_qlen",
    14: "process_qlen",
}
CPU_INDEX_COLUMN = 12
UNUSED_COLUMNS = frozenset(range(3, 8))
GAUGES = frozenset({"backlog_len", "input_qlen", "process_qlen"})
COUNTER_BITS = 32
MIN_COLUMNS = 9  # 2.6 kernels before RPS; no kernel wrote fewer
MAX_COLUMNS = 64  # 15 on 6.18: room for kernels to come, none for a runaway row
MAX_CPU = 1 << 16  # NR_CPUS is at most 8192; a bigger index is a damaged row


@dataclass
class SoftnetRow:
    cpu: int
    fields: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, int]:
        return {"cpu": self.cpu, **self.fields}


def _column_name(index: int) -> str:
    return COLUMNS.get(index, f"col{index}")


Layout = tuple[tuple[str, ...], tuple[int, ...], Callable[[list[int]], tuple[int, ...]]]


@lru_cache(maxsize=8192)
def _row_layout(cpu: int, width: int) -> Layout:
    """Column names, the word positions they come from and a getter of those words (in C),
    for one row shape (at least 9 words, so the getter always returns a tuple)."""
    keep = tuple(i for i in range(width) if i not in UNUSED_COLUMNS and i != CPU_INDEX_COLUMN)
    return tuple(f"cpu{cpu}/{_column_name(i)}" for i in keep), keep, itemgetter(*keep)


def _words(line: bytes) -> list[int] | None:
    """The row's words, or None when one is not a hex word. Every word is `%08x`, so
    fromhex+unpack does it in C; other widths go word by word."""
    tokens = line.split()
    joined = b"".join(tokens)
    if len(joined) == 8 * len(tokens):
        try:
            return list(struct.unpack(f">{len(tokens)}I", bytes.fromhex(joined.decode("ascii"))))
        except (ValueError, UnicodeDecodeError):
            pass
    words: list[int] = []
    for token in tokens:
        word = hex_token(token)
        if word is None:
            return None
        words.append(word)
    return words


def _row_problem(line: bytes, words: list[int] | None) -> str:
    if len(line) > MAX_LINE:
        return LONG_LINE
    if not words:
        return "not a row of hex words"
    if not MIN_COLUMNS <= len(words) <= MAX_COLUMNS:
        return f"{len(words)} columns, not {MIN_COLUMNS} to {MAX_COLUMNS}"
    return f"CPU index {words[CPU_INDEX_COLUMN]} out of range"


def _rows(data: bytes | str, issues: Issues) -> Iterator[tuple[int, list[int]]]:
    """(cpu, words) per good row; rows may differ in width. Bad rows go to `issues`."""
    row_no = 0
    seen: set[int] = set()
    lines = as_bytes(data).split(b"\n")
    while lines and (not lines[-1] or lines[-1].isspace()):
        lines.pop()
    for no, line in enumerate(lines, 1):
        row_no += 1  # an empty row keeps its place too: rows before 5.10 are numbered by it
        words = _words(line) if len(line) <= MAX_LINE else None
        if words is None or not MIN_COLUMNS <= len(words) <= MAX_COLUMNS or \
                (len(words) > CPU_INDEX_COLUMN and words[CPU_INDEX_COLUMN] >= MAX_CPU):
            issues.add(no, line, _row_problem(line, words))
            continue
        cpu = words[CPU_INDEX_COLUMN] if len(words) > CPU_INDEX_COLUMN else row_no - 1
        if cpu in seen:
            issues.add(no, line, f"CPU {cpu} seen before, first kept")
            continue
        seen.add(cpu)
        yield cpu, words


def parse_softnet(data: bytes | str, path: str = "softnet_stat") -> list[SoftnetRow]:
    issues = Issues(path)
    rows = []
    for cpu, words in _rows(data, issues):
        _, keep, _ = _row_layout(cpu, len(words))
        rows.append(SoftnetRow(cpu, {_column_name(i): words[i] for i in keep}))
    return issues.done(rows)


def parse_softnet_flat(data: bytes | str, path: str = "softnet_stat") -> Flat:
    fast = _fast(as_bytes(data))
    if fast is not None:
        return fast
    issues = Issues(path)
    names: list[str] = []
    values: list[int] = []
    for cpu, words in _rows(data, issues):
        row_names, _, take = _row_layout(cpu, len(words))
        names += row_names
        values += take(words)
    return issues.done((tuple(names), values))


def _fast(raw: bytes) -> Flat | None:
    """Rows as every kernel writes them; None sends the file to the row-by-row path."""
    lines = raw.split(b"\n")
    if has_long_line(raw, lines):
        return None
    if lines and not lines[-1]:
        lines.pop()
    names: list[str] = []
    values: list[int] = []
    seen: set[int] = set()
    for row_no, line in enumerate(lines):
        words = _words(line)
        if words is None or not MIN_COLUMNS <= len(words) <= MAX_COLUMNS:
            return None
        cpu = words[CPU_INDEX_COLUMN] if len(words) > CPU_INDEX_COLUMN else row_no
        if cpu >= MAX_CPU or cpu in seen:
            return None
        seen.add(cpu)
        row_names, _, take = _row_layout(cpu, len(words))
        names += row_names
        values += take(words)
    return tuple(names), values
