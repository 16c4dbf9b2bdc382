"""/proc/net/snmp6: one `Name value` per line, e.g. `Ip6InReceives  42`.

The section is the name's prefix up to and including its `6` (Ip6, Icmp6, Udp6,
UdpLite6), so `Ip6InReceives` becomes `Ip6.InReceives`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .errors import ParseError
from .netstat import Flat
from .text import as_bytes

_PREFIX = re.compile(r"^([A-Za-z]+6)(\w+)$")


@lru_cache(maxsize=1024)
def _key(token: bytes) -> str:
    name = token.decode("ascii", "backslashreplace")
    m = _PREFIX.match(name)
    return f"{m.group(1)}.{m.group(2)}" if m else name


def parse_snmp6_flat(data: bytes | str, path: str = "snmp6") -> Flat:
    names: list[str] = []
    values: list[int] = []
    for no, line in enumerate(as_bytes(data).split(b"\n"), 1):
        tokens = line.split()
        if not tokens:
            continue
        if len(tokens) != 2:
            raise ParseError(path, no, line.decode("utf-8", "replace"), "expected 'Name value'")
        try:
            values.append(int(tokens[1]))
        except ValueError:
            raise ParseError(path, no, line.decode("utf-8", "replace"), "not an integer") from None
        names.append(_key(tokens[0]))
    return tuple(names), values


def parse_snmp6(data: bytes | str, path: str = "snmp6") -> dict[str, int]:
    names, values = parse_snmp6_flat(data, path)
    return dict(zip(names, values, strict=False))
