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

from dataclasses import dataclass, field

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


def parse_softnet(data: bytes | str, path: str = "softnet_stat") -> list[SoftnetRow]:
    rows: list[SoftnetRow] = []
    row_no = 0
    for no, line in enumerate(as_bytes(data).split(b"\n"), 1):
        words = line.split()
        if not words:
            continue
        if len(words) < 3:
            raise ParseError(path, no, line.decode("utf-8", "replace"), "fewer than 3 columns")
        try:
            numbers = [int(w, 16) for w in words]
        except ValueError:
            raise ParseError(path, no, line.decode("utf-8", "replace"), "not a hex word") from None
        cpu = numbers[CPU_INDEX_COLUMN] if len(numbers) > CPU_INDEX_COLUMN else row_no
        fields = {
            _column_name(i): v
            for i, v in enumerate(numbers)
            if i not in UNUSED_COLUMNS and i != CPU_INDEX_COLUMN
        }
        rows.append(SoftnetRow(cpu, fields))
        row_no += 1
    return rows


def parse_softnet_flat(data: bytes | str, path: str = "softnet_stat") -> Flat:
    names: list[str] = []
    values: list[int] = []
    for row in parse_softnet(data, path):
        prefix = f"cpu{row.cpu}/"
        for key, value in row.fields.items():
            names.append(prefix + key)
            values.append(value)
    return tuple(names), values
