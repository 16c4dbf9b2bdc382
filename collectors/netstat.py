"""/proc/net/netstat and /proc/net/snmp: pairs of header and value lines.

    TcpExt: SyncookiesSent SyncookiesRecv ...
    TcpExt: 0 0 ...

Counter names are `Section.Field` as the kernel spells them. Header lines rarely
change, so their split is cached: the hot path only splits and converts values.
"""

from __future__ import annotations

from functools import lru_cache

from .errors import ParseError
from .text import as_bytes, parse_ints

Flat = tuple[tuple[str, ...], list[int]]


@lru_cache(maxsize=256)
def _header_keys(header: bytes) -> tuple[bytes, tuple[str, ...]]:
    tokens = header.split()
    prefix = tokens[0] if tokens else b""
    if not prefix.endswith(b":") or len(prefix) < 2:
        raise ValueError("header does not start with 'Section:'")
    section = prefix[:-1].decode("ascii", "backslashreplace")
    return prefix, tuple(f"{section}.{t.decode('ascii', 'backslashreplace')}" for t in tokens[1:])


def parse_netstat_flat(data: bytes | str, path: str = "netstat") -> Flat:
    """Names and values of every counter, in file order."""
    lines = as_bytes(data).split(b"\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) % 2:
        raise ParseError(path, len(lines), lines[-1].decode("utf-8", "replace"), "header without values")
    names: list[str] = []
    tokens_all: list[bytes] = []
    for i in range(0, len(lines), 2):
        header, row = lines[i], lines[i + 1]
        try:
            prefix, keys = _header_keys(header)
        except ValueError as exc:
            raise ParseError(path, i + 1, header.decode("utf-8", "replace"), str(exc)) from None
        tokens = row.split()
        if not tokens or tokens[0] != prefix:
            raise ParseError(path, i + 2, row.decode("utf-8", "replace"), "values of another section")
        if len(tokens) - 1 != len(keys):
            raise ParseError(path, i + 2, row.decode("utf-8", "replace"),
                             f"{len(tokens) - 1} values for {len(keys)} names")
        tokens_all += tokens[1:]
        names.extend(keys)
    return tuple(names), _ints_or_error(tokens_all, lines, path)


def _ints_or_error(tokens: list[bytes], lines: list[bytes], path: str) -> list[int]:
    """All values in one conversion; on failure, find the line to blame."""
    try:
        return parse_ints(tokens)
    except ValueError:
        pass
    for no, line in enumerate(lines, 1):
        try:
            parse_ints(line.split()[1:])
        except ValueError:
            if no % 2 == 0:
                raise ParseError(path, no, line.decode("utf-8", "replace"), "not an integer") from None
    raise ParseError(path, 0, "", "not an integer")


def parse_netstat(data: bytes | str, path: str = "netstat") -> dict[str, int]:
    """`{"TcpExt.ListenOverflows": 3, ...}` for /proc/net/netstat or /proc/net/snmp."""
    names, values = parse_netstat_flat(data, path)
    return dict(zip(names, values, strict=False))


parse_snmp = parse_netstat
