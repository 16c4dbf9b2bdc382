"""/proc/net/dev: per-interface counters, the fallback and fixture source for links.

    Inter-|   Receive                            |  Transmit
     face |bytes    packets errs drop fifo frame compressed multicast|bytes ...
        lo:    3193      29    0 ...

The kernel prints `%6s:%8llu ...`, so a name of 6+ characters has no space
before the colon and a long counter none after it. A name may hold ':' (alias
names such as `eth0:1`), '.', '-', other punctuation and non-ASCII bytes (decoded
as UTF-8 with backslash escapes for invalid bytes), but no '/', NUL or white
space: a row splits at its last ':', after which come only the counters.

The first two lines are the header; when the second does not name the columns,
the columns are those of every kernel since 2.6 and the header line is reported.
A row that does not split into a name and one counter per column costs that row
(old kernels' `sit0: No statistics available.` is no row, and no error);
a counter that is not an unsigned 64-bit integer costs that counter; a name seen
twice keeps its first row.

Columns get the names of `struct rtnl_link_stats64`, which netlink's link stats
use, so every view reads one set of names whichever source is up. Some /proc
columns are sums (net/core/net-procfs.c, dev_seq_printf_stats): `drop` is
rx_dropped + rx_missed_errors, `frame` is length + over + crc + frame errors,
`carrier` is carrier + aborted + window + heartbeat errors; they keep the name
of their main part here and the notes say what they add up.
"""

from __future__ import annotations

from functools import lru_cache

from .errors import Issues, PartialParse
from .netstat import Flat
from .text import LONG_LINE, MAX_LINE, as_bytes, checked_ints, has_long_line, int_token, is_name, value_issues

DEFAULT_RX = ("bytes", "packets", "errs", "drop", "fifo", "frame", "compressed", "multicast")
DEFAULT_TX = ("bytes", "packets", "errs", "drop", "fifo", "colls", "carrier", "compressed")
# /proc/net/dev header word -> rtnl_link_stats64 field, per direction
RX_NAMES = {"bytes": "rx_bytes", "packets": "rx_packets", "errs": "rx_errors", "drop": "rx_dropped",
            "fifo": "rx_fifo_errors", "frame": "rx_frame_errors", "compressed": "rx_compressed",
            "multicast": "multicast"}
TX_NAMES = {"bytes": "tx_bytes", "packets": "tx_packets", "errs": "tx_errors", "drop": "tx_dropped",
            "fifo": "tx_fifo_errors", "colls": "collisions", "carrier": "tx_carrier_errors",
            "compressed": "tx_compressed"}
# what recordings made before the rename call them
LEGACY_NAMES = {f"rx_{k}": v for k, v in RX_NAMES.items()} | {f"tx_{k}": v for k, v in TX_NAMES.items()}


def _named(rx: list[str] | tuple[str, ...], tx: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    return tuple(RX_NAMES.get(c, f"rx_{c}") for c in rx) + tuple(TX_NAMES.get(c, f"tx_{c}") for c in tx)


DEFAULT_COLUMNS = _named(DEFAULT_RX, DEFAULT_TX)
NO_STATISTICS = b"No statistics available."


@lru_cache(maxsize=16)
def _columns(header: bytes) -> tuple[str, ...] | None:
    """Field names from the second header line, `rx_`/`tx_` prefixed; None when it has none."""
    parts = header.split(b"|")
    if len(parts) != 3:
        return None
    rx, tx = parts[1].split(), parts[2].split()
    if not rx or not tx or not all(map(is_name, rx + tx)):
        return None
    columns = _named([t.decode("ascii") for t in rx], [t.decode("ascii") for t in tx])
    return columns if len(set(columns)) == len(columns) else None


def _split_lines(lines: list[bytes], issues: Issues) -> tuple[tuple[str, ...], list[tuple[int, bytes]]]:
    """Columns and the numbered rows; a damaged header is reported and the usual columns used."""
    body = [(no, line) for no, line in enumerate(lines, 1) if line and not line.isspace()]
    if not body:
        return DEFAULT_COLUMNS, []
    heads, columns = _header(body)
    if columns is None:
        no, line = body[max(heads - 1, 0)]
        issues.add(no, line, "no header naming the columns: the usual 16 are assumed")
    elif heads == 1:
        issues.add(body[0][0], body[0][1], "the first of the two header lines is missing")
    return columns or DEFAULT_COLUMNS, body[heads:]


def _header(body: list[tuple[int, bytes]]) -> tuple[int, tuple[str, ...] | None]:
    """How many leading lines are header, and the columns the second names."""
    first = body[0][1]
    if b"|" not in first or len(first) > MAX_LINE:
        return 0, None  # no header at all: every line is a row
    second = body[1][1] if len(body) > 1 else b""
    if b"|" not in second:
        own = _columns(first)  # the first line lost: this is the one naming the columns
        return (1, own) if own is not None and len(own) >= 8 else (min(2, len(body)), None)
    return 2, _columns(second) if len(second) <= MAX_LINE else None


@lru_cache(maxsize=4096)
def _names(name: bytes, columns: tuple[str, ...]) -> tuple[str, ...] | None:
    """`name/column` for each column; None when `name` cannot be an interface's."""
    if not name or b"/" in name or b"\0" in name or len(name.split()) != 1:
        return None
    text = name.decode("utf-8", "backslashreplace")
    return tuple(f"{text}/{c}" for c in columns)


def parse_netdev_flat(data: bytes | str, path: str = "dev") -> Flat:
    raw = as_bytes(data)
    lines = raw.split(b"\n")
    issues = Issues(path)
    columns, rows = _split_lines(lines, issues)
    fast = None if issues or has_long_line(raw, lines) else _fast(columns, rows)
    return fast if fast is not None else _careful(columns, rows, issues)


def _fast(columns: tuple[str, ...], rows: list[tuple[int, bytes]]) -> Flat | None:
    ifnames: list[bytes] = []
    tokens: list[bytes] = []
    width = len(columns)
    for _, line in rows:
        name, colon, rest = line.rpartition(b":")
        row = rest.split()
        if not colon or len(row) != width:
            return None
        ifnames.append(name)
        tokens += row
    names = _layout(tuple(ifnames), columns) if len(ifnames) <= LAYOUT_ROWS else _flat_names(ifnames, columns)
    values = checked_ints(tokens, signed=False)
    return None if names is None or values is None else (names, values)


LAYOUT_ROWS = 512  # links of a file whose names are cached as one tuple


@lru_cache(maxsize=16)
def _layout(ifnames: tuple[bytes, ...], columns: tuple[str, ...]) -> tuple[str, ...] | None:
    """All column names of one set of links, the same tuple each sample (the store then need
    not compare names); None when a name is not a link's or comes twice."""
    return _flat_names(list(ifnames), columns)


def _flat_names(ifnames: list[bytes], columns: tuple[str, ...]) -> tuple[str, ...] | None:
    names: list[str] = []
    for raw in ifnames:
        row_names = _names(raw.strip(), columns)
        if row_names is None:
            return None
        names.extend(row_names)
    return tuple(names) if len(set(names)) == len(names) else None


def _careful(columns: tuple[str, ...], rows: list[tuple[int, bytes]], issues: Issues) -> Flat:
    names: list[str] = []
    values: list[int] = []
    seen: set[str] = set()
    for no, line in rows:
        name, colon, rest = line.rpartition(b":") if len(line) <= MAX_LINE else (b"", b"", b"")
        row = rest.split()
        row_names = _names(name.strip(), columns) if colon else None
        if row_names is not None and rest.strip() == NO_STATISTICS:
            continue  # what old kernels print for a device without counters
        if row_names is None or len(row) != len(columns):
            issues.add(no, line, _row_problem(line, row_names is not None, len(row), len(columns)))
            continue
        if row_names[0] in seen:
            issues.add(no, line, "interface seen before, first kept")
            continue
        seen.add(row_names[0])
        good = checked_ints(row, signed=False)
        if good is not None:
            names += row_names
            values += good
            continue
        bad = [_take(n, t, names, values) for n, t in zip(row_names, row, strict=True)]
        if any(bad):
            issues.add(no, line, value_issues([b for b in bad if b], []))
    return issues.done((tuple(names), values))


def _row_problem(line: bytes, named: bool, counters: int, width: int) -> str:
    if len(line) > MAX_LINE:
        return LONG_LINE
    if not named:
        return f"expected 'name: ' and {width} counters"
    return f"{counters} counters for {width} columns"


def _take(name: str, token: bytes, names: list[str], values: list[int]) -> str:
    """Append one counter; its name when it is not a counter."""
    value = int_token(token)
    if value is None:
        return name
    names.append(name)
    values.append(value)
    return ""


def parse_netdev(data: bytes | str, path: str = "dev") -> dict[str, dict[str, int]]:
    """`{"eth0": {"rx_bytes": ..., "tx_carrier_errors": ...}}`"""
    try:
        return _nested(parse_netdev_flat(data, path))
    except PartialParse as exc:
        raise exc.with_result(_nested(exc.result)) from None


def _nested(flat: Flat) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for name, value in zip(*flat, strict=True):
        dev, _, column = name.rpartition("/")
        out.setdefault(dev, {})[column] = value
    return out
