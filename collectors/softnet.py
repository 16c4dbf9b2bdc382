"""/proc/net/softnet_stat: one row of 32-bit hex words per online CPU.

Columns by position (net/core/net-procfs.c, softnet_seq_show):
  0 processed  1 dropped  2 time_squeeze  3-7 always 0 since 2.6 (ex fastroute)
  8 cpu_collision (0 since 4.x)  9 received_rps  10 flow_limit_count
  11 backlog_len (since 5.10)  12 cpu index (since 5.10)
  13 input_qlen  14 process_qlen (since 6.x)
Older kernels print 9, 10 or 11 columns; the row number is then the CPU only
while no CPU is offline, so the index column wins when present. The counters
are `unsigned int` in the kernel and wrap at 2^32.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from .errors import ParseError
from .netstat import Flat
from .text import as_bytes

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


@dataclass
class SoftnetRow:
    cpu: int
    fields: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, int]:
        return {"cpu": self.cpu, **self.fields}


def _column_name(index: int) -> str:
    return COLUMNS.get(index, f"col{index}")


@lru_cache(maxsize=64)
def _row_layout(cpu: int, width: int) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Column names and the word positions they come from, for one row shape."""
    keep = tuple(i for i in range(width) if i not in UNUSED_COLUMNS and i != CPU_INDEX_COLUMN)
    return tuple(f"cpu{cpu}/{_column_name(i)}" for i in keep), keep


def _words(line: bytes) -> list[int]:
    """The row's words; every word is `%08x`, so fromhex+unpack does it in C."""
    tokens = line.split()
    joined = b"".join(tokens)
    if len(joined) == 8 * len(tokens):
        try:
            return list(struct.unpack(f">{len(tokens)}I", bytes.fromhex(joined.decode("ascii"))))
        except (ValueError, UnicodeDecodeError):
            pass
    return [int(w, 16) for w in tokens]


def _rows(data: bytes | str, path: str) -> Iterator[tuple[int, list[int]]]:
    """(cpu, words) per row; rows may differ in width."""
    row_no = 0
    for no, line in enumerate(as_bytes(data).split(b"\n"), 1):
        if not line.strip():
            continue
        try:
            words = _words(line)
        except ValueError:
            raise ParseError(path, no, line.decode("utf-8", "replace"), "not a hex word") from None
        if len(words) < 3:
            raise ParseError(path, no, line.decode("utf-8", "replace"), "fewer than 3 columns")
        yield (words[CPU_INDEX_COLUMN] if len(words) > CPU_INDEX_COLUMN else row_no), words
        row_no += 1


def parse_softnet(data: bytes | str, path: str = "softnet_stat") -> list[SoftnetRow]:
    rows = []
    for cpu, words in _rows(data, path):
        _, keep = _row_layout(cpu, len(words))
        rows.append(SoftnetRow(cpu, {_column_name(i): words[i] for i in keep}))
    return rows


def parse_softnet_flat(data: bytes | str, path: str = "softnet_stat") -> Flat:
    names: list[str] = []
    values: list[int] = []
    for cpu, words in _rows(data, path):
        row_names, keep = _row_layout(cpu, len(words))
        names.extend(row_names)
        values.extend(words[i] for i in keep)
    return tuple(names), values
