"""/proc/net/netstat and /proc/net/snmp: pairs of header and value lines.

    TcpExt: SyncookiesSent SyncookiesRecv ...
    TcpExt: 0 0 ...

Counter names are `Section.Field` as the kernel spells them. Header lines rarely
change, so their split is cached: the hot path only splits and converts values.

A bad pair costs its section only: the reader finds the next header and goes on.
A value that is not an integer (or is 2**64 or more) costs that counter only.
A name seen twice (a repeated section, a header naming a field twice) keeps its
first value. Values may be negative down to -2**63 (snmp's `Tcp.MaxConn` is -1).
"""

from __future__ import annotations

from functools import lru_cache

from .errors import Issues, PartialParse
from .text import (
    LONG_LINE,
    MAX_LINE,
    as_bytes,
    checked_ints,
    decode_name,
    int_token,
    is_name,
    value_issues,
)

Flat = tuple[tuple[str, ...], list[int]]
Header = tuple[bytes, tuple[str, ...]]  # prefix, names


@lru_cache(maxsize=256)
def _header(line: bytes) -> Header | None:
    """`Section: Name Name ...` split into its prefix and `Section.Name`s; None when the line
    is not a header (a values line has numbers where a header has names)."""
    tokens = line.split()
    if not tokens or len(tokens[0]) < 2 or not tokens[0].endswith(b":") or not is_name(tokens[0][:-1]):
        return None
    if not all(map(is_name, tokens[1:])):
        return None
    section = decode_name(tokens[0][:-1])
    return tokens[0], tuple(f"{section}.{decode_name(t)}" for t in tokens[1:])


def _header_of(line: bytes) -> Header | None:
    return _header(line) if len(line) <= MAX_LINE else None  # a huge line never enters the cache


def parse_netstat_flat(data: bytes | str, path: str = "netstat") -> Flat:
    """Names and values of every counter, in file order."""
    raw = as_bytes(data)
    lines = raw.split(b"\n")
    fast = _fast(lines) if len(raw) <= FAST_BYTES else None
    return fast if fast is not None else _careful(lines, path)


FAST_BYTES = 1 << 18  # bigger files go line by line; this bounds what the layout cache holds


@lru_cache(maxsize=64)
def _layout(headers: tuple[bytes, ...]) -> tuple[tuple[bytes, ...], tuple[int, ...], tuple[str, ...]] | None:
    """Prefix and width of each section and all the names, for one file's header lines; None
    when a header is not one or a name comes twice. One tuple of names per layout: the store
    sees the very same object each sample and need not compare the names."""
    parsed = [_header_of(h) for h in headers]
    if None in parsed:
        return None
    sections = [h for h in parsed if h is not None]
    names = tuple(name for _, keys in sections for name in keys)
    if len(set(names)) != len(names):
        return None
    return tuple(p for p, _ in sections), tuple(len(k) for _, k in sections), names


def _fast(lines: list[bytes]) -> Flat | None:
    """A well-formed file in one conversion; None sends it to the careful path."""
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) % 2:
        return None
    layout = _layout(tuple(lines[0::2]))
    if layout is None:
        return None
    prefixes, widths, names = layout
    tokens_all: list[bytes] = []
    for prefix, width, row in zip(prefixes, widths, lines[1::2], strict=False):
        tokens = row.split()
        if len(tokens) - 1 != width or tokens[0] != prefix:
            return None
        tokens_all += tokens[1:]
    values = checked_ints(tokens_all, signed=True)
    return None if values is None else (names, values)


def _careful(lines: list[bytes], path: str) -> Flat:
    """Line by line: each header takes the next line as its values when it has the header's
    prefix; anything else is a bad line, and the reader resynchronises on the next header."""
    issues = Issues(path)
    out = _Counters()
    body = [(no, line) for no, line in enumerate(lines, 1) if line and not line.isspace()]
    k = 0
    while k < len(body):
        no, line = body[k]
        header = _header_of(line)
        if header is None:
            issues.add(no, line, LONG_LINE if len(line) > MAX_LINE else "expected a header 'Section: Name ...'")
            k += 1
            continue
        row = _values_line(body[k + 1][1], header[0]) if k + 1 < len(body) else None
        if row is None:
            issues.add(no, line, "header without its values line")
            k += 1
            continue
        out.add_section(header[1], row, body[k + 1], issues)
        k += 2
    return issues.done((tuple(out.names), out.values))


def _values_line(line: bytes, prefix: bytes) -> list[bytes] | None:
    """The value tokens of `line` if it is the values line of the section `prefix`; not when
    it is a header of the same section (IcmpMsg's second pair, after a lost values line)."""
    if len(line) > MAX_LINE:
        return None
    tokens = line.split()
    if not tokens or tokens[0] != prefix or (len(tokens) > 1 and _header_of(line) is not None):
        return None
    return tokens[1:]


class _Counters:
    __slots__ = ("names", "seen", "values")

    def __init__(self) -> None:
        self.names: list[str] = []
        self.values: list[int] = []
        self.seen: set[str] = set()

    def add_section(self, keys: tuple[str, ...], tokens: list[bytes], where: tuple[int, bytes],
                    issues: Issues) -> None:
        no, line = where
        if len(tokens) != len(keys):
            issues.add(no, line, f"{len(tokens)} values for {len(keys)} names")
            return
        values = checked_ints(tokens, signed=True)
        if values is not None and self.seen.isdisjoint(keys) and len(set(keys)) == len(keys):  # a good section
            self.seen.update(keys)
            self.names += keys
            self.values += values
            return
        bad: list[str] = []
        seen_before: list[str] = []
        for key, token in zip(keys, tokens, strict=True):
            value = int_token(token, signed=True)
            if value is None:
                bad.append(f"{key}={token[:24].decode('ascii', 'backslashreplace')}")
            elif key in self.seen:
                seen_before.append(key)
            else:
                self.seen.add(key)
                self.names.append(key)
                self.values.append(value)
        if bad or seen_before:
            issues.add(no, line, value_issues(bad, seen_before))


def parse_netstat(data: bytes | str, path: str = "netstat") -> dict[str, int]:
    """`{"TcpExt.ListenOverflows": 3, ...}` for /proc/net/netstat or /proc/net/snmp."""
    try:
        names, values = parse_netstat_flat(data, path)
    except PartialParse as exc:
        raise exc.with_result(dict(zip(*exc.result, strict=True))) from None
    return dict(zip(names, values, strict=True))


parse_snmp = parse_netstat
