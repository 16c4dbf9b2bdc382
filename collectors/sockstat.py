"""/proc/net/sockstat and sockstat6: `PROTO: key value key value ...` lines.

    sockets: used 9
    TCP: inuse 1 orphan 0 tw 8 alloc 1 mem 0

All figures are gauges; `mem` is in pages.
"""

from __future__ import annotations

from .errors import ParseError
from .netstat import Flat
from .text import as_bytes


def parse_sockstat(data: bytes | str, path: str = "sockstat") -> dict[str, dict[str, int]]:
    """`{"TCP": {"inuse": 1, "orphan": 0, ...}, "sockets": {"used": 9}, ...}`"""
    out: dict[str, dict[str, int]] = {}
    for no, line in enumerate(as_bytes(data).split(b"\n"), 1):
        tokens = line.split()
        if not tokens:
            continue
        head = tokens[0]
        if not head.endswith(b":") or len(head) < 2 or len(tokens) % 2 == 0:
            raise ParseError(path, no, line.decode("utf-8", "replace"), "expected 'PROTO: key value ...'")
        fields: dict[str, int] = {}
        for i in range(1, len(tokens), 2):
            try:
                fields[tokens[i].decode("ascii", "backslashreplace")] = int(tokens[i + 1])
            except ValueError:
                raise ParseError(path, no, line.decode("utf-8", "replace"), "not an integer") from None
        out[head[:-1].decode("ascii", "backslashreplace")] = fields
    return out


def parse_sockstat_flat(data: bytes | str, path: str = "sockstat") -> Flat:
    names: list[str] = []
    values: list[int] = []
    for proto, fields in parse_sockstat(data, path).items():
        for key, value in fields.items():
            names.append(f"{proto}/{key}")
            values.append(value)
    return tuple(names), values
