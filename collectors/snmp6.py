"""/proc/net/snmp6: one `Name value` per line, e.g. `Ip6InReceives  42`.

The section is the name's prefix up to and including its `6` (Ip6, Icmp6, Udp6,
UdpLite6), so `Ip6InReceives` becomes `Ip6.InReceives`. Values are `%lu`: a
negative one, or one of 2**64 or more, costs its line; so does a name seen twice
(the first is kept).
"""

from __future__ import annotations

import re
from functools import lru_cache

from .errors import Issues, PartialParse
from .netstat import Flat
from .text import LONG_LINE, MAX_LINE, as_bytes, checked_ints, decode_name, has_long_line, int_token, is_name

_PREFIX = re.compile(r"^([A-Za-z]+6)(\w+)$")


@lru_cache(maxsize=1024)
def _key(token: bytes) -> str | None:
    if not is_name(token):
        return None
    name = decode_name(token)
    m = _PREFIX.match(name)
    return f"{m.group(1)}.{m.group(2)}" if m else name


def parse_snmp6_flat(data: bytes | str, path: str = "snmp6") -> Flat:
    raw = as_bytes(data)
    lines = raw.split(b"\n")
    fast = None if has_long_line(raw, lines) else _fast(lines)
    return fast if fast is not None else _careful(lines, path)


def _fast(lines: list[bytes]) -> Flat | None:
    names: list[str] = []
    tokens: list[bytes] = []
    for line in lines:
        pair = line.split()
        if not pair:
            continue
        key = _key(pair[0]) if len(pair) == 2 else None
        if key is None:
            return None
        names.append(key)
        tokens.append(pair[1])
    values = checked_ints(tokens, signed=False)
    if values is None or len(set(names)) != len(names):
        return None
    return tuple(names), values


def _careful(lines: list[bytes], path: str) -> Flat:
    issues = Issues(path)
    names: list[str] = []
    values: list[int] = []
    seen: set[str] = set()
    for no, line in enumerate(lines, 1):
        if len(line) > MAX_LINE:
            issues.add(no, line, LONG_LINE)
            continue
        pair = line.split()
        if not pair:
            continue
        key = _key(pair[0]) if len(pair) == 2 else None
        value = int_token(pair[1]) if len(pair) == 2 else None
        if key is None or value is None:
            issues.add(no, line, "expected 'Name value' with an integer below 2**64")
        elif key in seen:
            issues.add(no, line, f"{key} named twice, first kept")
        else:
            seen.add(key)
            names.append(key)
            values.append(value)
    return issues.done((tuple(names), values))


def parse_snmp6(data: bytes | str, path: str = "snmp6") -> dict[str, int]:
    try:
        names, values = parse_snmp6_flat(data, path)
    except PartialParse as exc:
        raise exc.with_result(dict(zip(*exc.result, strict=True))) from None
    return dict(zip(names, values, strict=True))
