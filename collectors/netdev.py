"""/proc/net/dev: per-interface counters, the fallback and fixture source for links.

    Inter-|   Receive                            |  Transmit
     face |bytes    packets errs drop fifo frame compressed multicast|bytes ...
        lo:    3193      29    0 ...

The kernel prints `%6s:%8llu ...`, so a name of 6+ characters has no space
before the colon and a long counter none after it. Names cannot contain ':' or
'/' (dev_valid_name), but may hold '.', '-', '@'-free punctuation and non-ASCII
bytes, which are decoded as UTF-8 with backslash escapes for invalid bytes.

Columns get the names of `struct rtnl_link_stats64`, which netlink's link stats
use, so every view reads one set of names whichever source is up. Some /proc
columns are sums (net/core/net-procfs.c, dev_seq_printf_stats): `drop` is
rx_dropped + rx_missed_errors, `frame` is length + over + crc + frame errors,
`carrier` is carrier + aborted + window + heartbeat errors; they keep the name
of their main part here and the notes say what they add up.
"""

from __future__ import annotations

from functools import lru_cache

from .errors import ParseError
from .netstat import Flat
from .text import as_bytes, parse_ints

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


@lru_cache(maxsize=16)
def _columns(header: bytes) -> tuple[str, ...]:
    """Field names from the second header line, `rx_`/`tx_` prefixed."""
    parts = header.split(b"|")
    if len(parts) == 3:
        rx = [t.decode("ascii", "replace") for t in parts[1].split()]
        tx = [t.decode("ascii", "replace") for t in parts[2].split()]
    else:
        rx, tx = list(DEFAULT_RX), list(DEFAULT_TX)
    return (tuple(RX_NAMES.get(c, f"rx_{c}") for c in rx) + tuple(TX_NAMES.get(c, f"tx_{c}") for c in tx))


def _split_lines(data: bytes | str, path: str) -> tuple[tuple[str, ...], list[tuple[int, bytes]]]:
    lines = as_bytes(data).split(b"\n")
    body = [(no, line) for no, line in enumerate(lines, 1) if line.strip()]
    if not body:
        return _columns(b""), []
    if b"|" not in body[0][1]:
        raise ParseError(path, body[0][0], body[0][1].decode("utf-8", "replace"), "missing header")
    if len(body) < 2 or b"|" not in body[1][1]:
        raise ParseError(path, 2, "", "missing second header line")
    return _columns(body[1][1]), body[2:]


def parse_netdev(data: bytes | str, path: str = "dev") -> dict[str, dict[str, int]]:
    """`{"eth0": {"rx_bytes": ..., "tx_carrier_errors": ...}}`"""
    columns, rows = _split_lines(data, path)
    out: dict[str, dict[str, int]] = {}
    for no, line in rows:
        name, values = _parse_row(no, line, len(columns), path)
        out[name] = dict(zip(columns, values, strict=False))
    return out


def _parse_row(no: int, line: bytes, width: int, path: str) -> tuple[str, list[int]]:
    name, colon, rest = line.partition(b":")
    name = name.strip()
    if not colon or not name:
        raise ParseError(path, no, line.decode("utf-8", "replace"), "expected 'name: counters'")
    tokens = rest.split()
    if len(tokens) != width:
        raise ParseError(path, no, line.decode("utf-8", "replace"), f"{len(tokens)} counters for {width} columns")
    try:
        values = parse_ints(tokens)
    except ValueError:
        raise ParseError(path, no, line.decode("utf-8", "replace"), "not an integer") from None
    return name.decode("utf-8", "backslashreplace"), values


@lru_cache(maxsize=4096)
def _names(name: str, columns: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{name}/{c}" for c in columns)


def parse_netdev_flat(data: bytes | str, path: str = "dev") -> Flat:
    columns, rows = _split_lines(data, path)
    names: list[str] = []
    tokens: list[bytes] = []
    width = len(columns)
    for no, line in rows:
        name, colon, rest = line.partition(b":")
        row = rest.split()
        if not colon or not name.strip() or len(row) != width:
            _parse_row(no, line, width, path)  # raises the precise ParseError
        names.extend(_names(name.strip().decode("utf-8", "backslashreplace"), columns))
        tokens += row
    try:
        return tuple(names), parse_ints(tokens)
    except ValueError:
        for no, line in rows:
            _parse_row(no, line, width, path)
        raise ParseError(path, 0, "", "not an integer") from None
