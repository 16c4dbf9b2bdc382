"""/proc/net/sockstat and sockstat6: `PROTO: key value key value ...` lines.

    sockets: used 9
    TCP: inuse 1 orphan 0 tw 8 alloc 1 mem 0

All figures are gauges; `mem` is in pages. A line that is not `PROTO:` and pairs
costs that line; a value that is not an integer costs that pair; a name seen
twice keeps its first value.
"""

from __future__ import annotations

from functools import lru_cache

from .errors import Issues, PartialParse
from .netstat import Flat
from .text import (
    LONG_LINE,
    MAX_LINE,
    as_bytes,
    checked_ints,
    decode_name,
    has_long_line,
    int_token,
    is_name,
    value_issues,
)


def _proto(head: bytes) -> str | None:
    if len(head) < 2 or not head.endswith(b":") or not is_name(head[:-1]):
        return None
    return decode_name(head[:-1])


@lru_cache(maxsize=256)
def _line_names(head: bytes, keys: tuple[bytes, ...]) -> tuple[str, ...] | None:
    """Column names of one line shape, or None when the fast path cannot take it."""
    proto = _proto(head)
    if proto is None or not all(map(is_name, keys)) or len(set(keys)) != len(keys):
        return None
    return tuple(f"{proto}/{decode_name(k)}" for k in keys)


def parse_sockstat_flat(data: bytes | str, path: str = "sockstat") -> Flat:
    """Columns `PROTO/field`; the hot path, so the names of each line shape are cached."""
    raw = as_bytes(data)
    lines = raw.split(b"\n")
    fast = None if has_long_line(raw, lines) else _fast(lines)
    return fast if fast is not None else _careful(lines, path)


def _fast(lines: list[bytes]) -> Flat | None:
    names: list[str] = []
    value_tokens: list[bytes] = []
    heads: set[bytes] = set()
    for line in lines:
        tokens = line.split()
        if not tokens:
            continue
        line_names = _line_names(tokens[0], tuple(tokens[1::2])) if len(tokens) % 2 else None
        if line_names is None or tokens[0] in heads:
            return None
        heads.add(tokens[0])
        value_tokens += tokens[2::2]
        names.extend(line_names)
    values = checked_ints(value_tokens, signed=True)
    return None if values is None else (tuple(names), values)


def _careful(lines: list[bytes], path: str) -> Flat:
    issues = Issues(path)
    names: list[str] = []
    values: list[int] = []
    seen: set[str] = set()
    for no, line in enumerate(lines, 1):
        if len(line) > MAX_LINE:
            issues.add(no, line, LONG_LINE)
            continue
        tokens = line.split()
        if not tokens:
            continue
        proto = _proto(tokens[0])
        if proto is None or len(tokens) % 2 == 0:
            issues.add(no, line, "expected 'PROTO: key value ...'")
            continue
        bad: list[str] = []
        seen_before: list[str] = []
        for key, token in zip(tokens[1::2], tokens[2::2], strict=True):
            name = f"{proto}/{decode_name(key)}"
            value = int_token(token, signed=True)
            if value is None or not is_name(key):
                bad.append(name)
            elif name in seen:
                seen_before.append(name)
            else:
                seen.add(name)
                names.append(name)
                values.append(value)
        if bad or seen_before:
            issues.add(no, line, value_issues(bad, seen_before))
    return issues.done((tuple(names), values))


def parse_sockstat(data: bytes | str, path: str = "sockstat") -> dict[str, dict[str, int]]:
    """`{"TCP": {"inuse": 1, "orphan": 0, ...}, "sockets": {"used": 9}, ...}`"""
    try:
        return _nested(parse_sockstat_flat(data, path))
    except PartialParse as exc:
        raise exc.with_result(_nested(exc.result)) from None


def _nested(flat: Flat) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for name, value in zip(*flat, strict=True):
        proto, _, key = name.partition("/")
        out.setdefault(proto, {})[key] = value
    return out
