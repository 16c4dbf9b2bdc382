"""/proc/net/protocols: one row per protocol, columns as the header names them.

    protocol  size sockets  memory press maxhdr  slab module     cl co di ...
    TCP       2304      1       0   no     192   yes  kernel      y  y  y ...

`memory` is in pages and -1 where the protocol does not account memory; `press`
is yes/no/NI (not implemented). The capability columns differ between kernels,
so a row is read against its own file's header. Words keep the kernel's tokens.

A row that does not have the header's width, or whose numbers are not integers,
costs that row; a protocol named twice keeps its first row. When the header is
missing or damaged it is reported and rows are read by the eight leading columns
every kernel prints in this order.
"""

from __future__ import annotations

from .errors import Issues, PartialParse
from .netstat import Flat
from .text import LONG_LINE, MAX_LINE, as_bytes, decode_name, int_token, is_name

NUMERIC_COLUMNS = ("size", "sockets", "memory", "maxhdr")
PRESS_VALUE = {"yes": 1, "no": 0}
LEADING = ("protocol", "size", "sockets", "memory", "press", "maxhdr", "slab", "module")
Table = dict[str, dict[str, int | str]]


def _header(tokens: list[bytes]) -> tuple[str, ...] | None:
    names = tuple(decode_name(t) for t in tokens)
    if names[:1] != ("protocol",) or not all(map(is_name, tokens)) or len(set(names)) != len(names):
        return None
    return names


def parse_protocols(data: bytes | str, path: str = "protocols") -> Table:
    """`{"TCP": {"size": 2304, "sockets": 1, "memory": 0, "press": "no", ...}}`"""
    issues = Issues(path)
    header: tuple[str, ...] | None = None
    exact = True  # rows must have the header's width (False: the leading columns are read)
    out: Table = {}
    for no, line in enumerate(as_bytes(data).split(b"\n"), 1):
        tokens = line.split() if len(line) <= MAX_LINE else None
        if tokens == []:
            continue
        if tokens is None:
            issues.add(no, line, LONG_LINE)
        elif header is None:
            header = _header(tokens)
            if header is None:
                exact, header = False, LEADING
                issues.add(no, line, "not a header 'protocol size sockets ...': leading columns assumed")
                if tokens[0] != b"protocol":
                    _row(no, line, tokens, header, exact, out, issues)  # the header was lost, not this row
        else:
            _row(no, line, tokens, header, exact, out, issues)
    return issues.done(out)


def _row(no: int, line: bytes, tokens: list[bytes], header: tuple[str, ...], exact: bool, out: Table,
         issues: Issues) -> None:
    wrong_width = len(tokens) != len(header) if exact else len(tokens) < len(header)
    if wrong_width:
        issues.add(no, line, f"{len(tokens)} columns for {len(header)} in the header")
        return
    name = decode_name(tokens[0])
    if not is_name(tokens[0]) or name in out:
        issues.add(no, line, "protocol named twice, first kept" if name in out else "not a protocol name")
        return
    row: dict[str, int | str] = {}
    for column, token in zip(header[1:], tokens[1:], strict=False):
        if column in NUMERIC_COLUMNS:
            value = int_token(token, signed=True)
            if value is None:
                issues.add(no, line, f"{column} is not an integer")
                return
            row[column] = value
        else:
            row[column] = token.decode("utf-8", "backslashreplace")
    out[name] = row


def parse_protocols_flat(data: bytes | str, path: str = "protocols") -> Flat:
    """The gauges worth a history: sockets, memory and press (1/0, absent for NI)."""
    try:
        return _flat(parse_protocols(data, path))
    except PartialParse as exc:
        raise exc.with_result(_flat(exc.result)) from None


def _flat(table: Table) -> Flat:
    names: list[str] = []
    values: list[int] = []
    for proto, row in table.items():
        for col in ("sockets", "memory"):
            value = row.get(col)
            if isinstance(value, int):
                names.append(f"{proto}/{col}")
                values.append(value)
        press = PRESS_VALUE.get(str(row.get("press")))
        if press is not None:
            names.append(f"{proto}/press")
            values.append(press)
    return tuple(names), values
