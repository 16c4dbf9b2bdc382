"""/proc/net/sockstat and sockstat6: `PROTO: key value key value ...` lines.

    sockets: used 9
    TCP: inuse 1 orphan 0 tw 8 alloc 1 mem 0

All figures are gauges; `mem` is in pages.
"""

from __future__ import annotations

from functools import lru_cache

from .errors import ParseError
from .netstat import Flat
from .text import as_bytes, parse_ints


@lru_cache(maxsize=64)
def _line_names(head: bytes, keys: tuple[bytes, ...]) -> tuple[str, ...]:
    proto = head[:-1].decode("ascii", "backslashreplace")
    return tuple(f"{proto}/{k.decode('ascii', 'backslashreplace')}" for k in keys)


def parse_sockstat_flat(data: bytes | str, path: str = "sockstat") -> Flat:
    """Columns `PROTO/field`; the hot path, so the names of each line shape are cached."""
    names: list[str] = []
    value_tokens: list[bytes] = []
    for no, line in enumerate(as_bytes(data).split(b"\n"), 1):
        tokens = line.split()
        if not tokens:
            continue
        head = tokens[0]
        if not head.endswith(b":") or len(head) < 2 or len(tokens) % 2 == 0:
            raise ParseError(path, no, line.decode("utf-8", "replace"), "expected 'PROTO: key value ...'")
        value_tokens += tokens[2::2]
        names.extend(_line_names(head, tuple(tokens[1::2])))
    try:
        return tuple(names), parse_ints(value_tokens)
    except ValueError:
        bad = next(t for t in value_tokens if not _is_int(t))
        raise ParseError(path, 0, bad.decode("utf-8", "replace"), "not an integer") from None


def _is_int(token: bytes) -> bool:
    try:
        parse_ints([token])
    except ValueError:
        return False
    return True


def parse_sockstat(data: bytes | str, path: str = "sockstat") -> dict[str, dict[str, int]]:
    """`{"TCP": {"inuse": 1, "orphan": 0, ...}, "sockets": {"used": 9}, ...}`"""
    out: dict[str, dict[str, int]] = {}
    for name, value in zip(*parse_sockstat_flat(data, path), strict=False):
        proto, _, key = name.partition("/")
        out.setdefault(proto, {})[key] = value
    return out
