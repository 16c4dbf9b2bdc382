"""Reading recordings of format `nettop.recording/1` (before typed keys): the details
had a shape per source, and /proc/net/dev columns their /proc names. Frozen: only
version 1 files go through here. Whatever shape a crafted detail has, the result is a
detail of today's type or a CodecError."""

from __future__ import annotations

from typing import Any

from . import keys
from .errors import ParseError, PartialParse
from .keys import CodecError, Key
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
        return _protocols(obj)
    if key is keys.LINKS and isinstance(obj, list):
        obj = {str(d.get("index")): d for d in obj if isinstance(d, dict)}
    if key is keys.CLASSES and isinstance(obj, dict):
        obj = _classes(obj)
    return key.decode(obj)


def _protocols(text: str) -> Any:
    try:
        return parse_protocols(text.encode("utf-8", "surrogateescape"), "protocols")
    except PartialParse as exc:
        return exc.result
    except ParseError as exc:
        raise CodecError(f"protocols: {exc}") from None


def _classes(obj: dict[str, Any]) -> list[Any]:
    """Version 1 kept htb options beside the class records, as [ifindex, handle, options]."""
    options: dict[tuple[int, int], Any] = {}
    raw_options = obj.get("options")
    for o in raw_options if isinstance(raw_options, list) else []:
        if isinstance(o, list) and len(o) == 3 and isinstance(o[0], int) and isinstance(o[1], int):
            options[(o[0], o[1])] = o[2]
    records = obj.get("records", [])
    if not isinstance(records, list):
        raise CodecError("classes: version 1 records are not a list")
    for r in records:
        if isinstance(r, dict):
            ifindex, handle = r.get("ifindex"), r.get("handle")
            if isinstance(ifindex, int) and isinstance(handle, int):
                r["options"] = options.get((ifindex, handle), {})
            else:
                r["options"] = {}
    return records
