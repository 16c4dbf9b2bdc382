"""Small helpers shared by the parsers."""

from __future__ import annotations


def as_bytes(data: bytes | str) -> bytes:
    return data if isinstance(data, bytes) else data.encode("utf-8", "surrogateescape")


def as_text(data: bytes | str) -> str:
    return data.decode("utf-8", "backslashreplace") if isinstance(data, bytes) else data
