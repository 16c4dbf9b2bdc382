"""Reading recordings of format `nettop.recording/1` (before typed keys): the details
had a shape per source, and /proc/net/dev columns their /proc names. Frozen: only
version 1 files go through here."""

from __future__ import annotations

from typing import Any

from . import keys
from .keys import Key
from .netdev import LEGACY_NAMES
from .protocols import parse_protocols

FORMAT = "nettop.recording/1"


def columns(key: Key[Any], names: tuple[str, ...]) -> tuple[str, ...]:
    """/proc/net/dev columns took the rtnl_link_stats64 names after version 1."""
    if key is not keys.DEV:
        return names
    out = []
    for name in names:
        dev, _, field = name.rpartition("/")
        out.append(f"{dev}/{LEGACY_NAMES.get(field, field)}")
    return tuple(out)


def detail(key: Key[Any], obj: Any) -> Any:
    """A version-1 detail in today's type (CodecError when it does not fit)."""
    if key is keys.PROTOCOLS and isinstance(obj, str):
        return parse_protocols(obj.encode("utf-8", "surrogateescape"), "protocols")
    if key is keys.LINKS and isinstance(obj, list):
        obj = {str(d.get("index")): d for d in obj if isinstance(d, dict)}
    if key is keys.CLASSES and isinstance(obj, dict):
        options = {(o[0], o[1]): o[2] for o in obj.get("options", []) if isinstance(o, list) and len(o) == 3}
        records = obj.get("records", [])
        for r in records if isinstance(records, list) else []:
            if isinstance(r, dict):
                r["options"] = options.get((r.get("ifindex"), r.get("handle")), {})
        obj = records
    return key.decode(obj)
