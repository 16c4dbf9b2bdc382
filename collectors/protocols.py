"""/proc/net/protocols: one row per protocol, columns as the header names them.

    protocol  size sockets  memory press maxhdr  slab module     cl co di ...
    TCP       2304      1       0   no     192   yes  kernel      y  y  y ...

`memory` is in pages and -1 where the protocol does not account memory; `press`
is yes/no/NI (not implemented). The capability columns differ between kernels,
so a row is read against its own file's header. Words keep the kernel's tokens.
"""

from __future__ import annotations

from .errors import ParseError
from .netstat import Flat
from .text import as_text

NUMERIC_COLUMNS = ("size", "sockets", "memory", "maxhdr")
PRESS_VALUE = {"yes": 1, "no": 0}


def parse_protocols(data: bytes | str, path: str = "protocols") -> dict[str, dict[str, int | str]]:
    """`{"TCP": {"size": 2304, "sockets": 1, "memory": 0, "press": "no", ...}}`"""
    lines = as_text(data).split("\n")
    header: list[str] | None = None
    out: dict[str, dict[str, int | str]] = {}
    for no, line in enumerate(lines, 1):
        tokens = line.split()
        if not tokens:
            continue
        if header is None:
            if tokens[0] != "protocol":
                raise ParseError(path, no, line, "header must start with 'protocol'")
            header = tokens
            continue
        if len(tokens) != len(header):
            raise ParseError(path, no, line, f"{len(tokens)} columns for {len(header)} in the header")
        row: dict[str, int | str] = {}
        for name, token in zip(header[1:], tokens[1:], strict=False):
            if name in NUMERIC_COLUMNS:
                try:
                    row[name] = int(token)
                except ValueError:
                    raise ParseError(path, no, line, f"{name} is not an integer") from None
            else:
                row[name] = token
        out[tokens[0]] = row
    if header is None and any(line.strip() for line in lines):
        raise ParseError(path, 1, lines[0], "no header")
    return out


def parse_protocols_flat(data: bytes | str, path: str = "protocols") -> Flat:
    """The gauges worth a history: sockets, memory and press (1/0, absent for NI)."""
    names: list[str] = []
    values: list[int] = []
    for proto, row in parse_protocols(data, path).items():
        for col in ("sockets", "memory"):
            if isinstance(row.get(col), int):
                names.append(f"{proto}/{col}")
                values.append(row[col])  # type: ignore[arg-type]
        press = PRESS_VALUE.get(str(row.get("press")))
        if press is not None:
            names.append(f"{proto}/press")
            values.append(press)
    return tuple(names), values
