"""Small helpers shared by the parsers."""

from __future__ import annotations

import json


def as_bytes(data: bytes | str) -> bytes:
    return data if isinstance(data, bytes) else data.encode("utf-8", "surrogateescape")


def as_text(data: bytes | str) -> str:
    return data.decode("utf-8", "backslashreplace") if isinstance(data, bytes) else data


_INT_CHARS = b"0123456789-,"


def parse_ints(tokens: list[bytes]) -> list[int]:
    """Decimal integers from byte tokens; ValueError for anything else.

    json's C scanner converts a row about twice as fast as `map(int, ...)`, and
    the translate() check keeps it to plain integers (no floats, no literals).
    """
    body = b",".join(tokens)
    if body.translate(None, _INT_CHARS):
        raise ValueError("not an integer")
    values: list[int] = json.loads(b"[" + body + b"]")
    return values
