"""Small helpers shared by the parsers: decoding, integers, names, line limits.

Every parser has a fast path for a well-formed file (one conversion of all values,
in C) and falls back to a line-by-line path that keeps the good lines and reports
the bad ones when the fast path sees anything it does not expect.
"""

from __future__ import annotations

import json
import re

U64_END = 1 << 64  # no kernel counter reaches this: a bigger token is not a value
S64_MIN = -(1 << 63)
MAX_LINE = 65536  # bytes; a longer line is refused before it is split into tokens
LONG_LINE = f"longer than {MAX_LINE} bytes"


def as_bytes(data: bytes | str) -> bytes:
    return data if isinstance(data, bytes) else data.encode("utf-8", "surrogateescape")


def as_text(data: bytes | str) -> str:
    return data.decode("utf-8", "backslashreplace") if isinstance(data, bytes) else data


def has_long_line(data: bytes, lines: list[bytes]) -> bool:
    """Cheap for every real file: only a file longer than MAX_LINE has its lines measured."""
    return len(data) > MAX_LINE and max(map(len, lines)) > MAX_LINE


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
    if len(values) != len(tokens):  # a token holding a comma
        raise ValueError("not an integer")
    return values


def checked_ints(tokens: list[bytes], signed: bool) -> list[int] | None:
    """All tokens as integers a kernel can print (below 2**64, and not negative unless
    `signed`, then down to -2**63), or None when any is not: the caller then goes token
    by token with `int_token` to keep the good ones."""
    body = b",".join(tokens)
    if body.translate(None, _INT_CHARS):
        return None
    minus = b"-" in body
    if minus and not signed:
        return None
    try:
        values: list[int] = json.loads(b"[" + body + b"]")
    except ValueError:
        return None
    if len(values) != len(tokens):
        return None
    if values and not _in_range(values, body, minus):
        return None
    return values


def _in_range(values: list[int], body: bytes, minus: bool) -> bool:
    if not minus:  # no negative value: the sum bounds every value; sum() of ints is fast
        return sum(values) < U64_END or max(values) < U64_END
    low = _negatives_floor(body)
    # the positives add up to at most sum - low, which bounds each of them
    if low is not None and sum(values) - low < U64_END:
        return True
    return min(values) >= S64_MIN and max(values) < U64_END


def _negatives_floor(body: bytes, most: int = 4) -> int | None:
    """A lower bound of the sum of the negative values in `body` (a comma-separated list
    with few of them: snmp has one, Tcp.MaxConn), from their lengths. None when there
    are more than `most`, or one has more than 18 digits (it may be below -2**63)."""
    floor = 0
    start = body.find(b"-")
    for _ in range(most):
        if start < 0:
            return floor
        end = body.find(b",", start)
        digits = (len(body) if end < 0 else end) - start - 1
        if digits > 18:
            return None
        floor -= 10**digits
        start = body.find(b"-", start + 1)
    return floor if start < 0 else None


_UNSIGNED = re.compile(rb"[0-9]{1,20}")
_SIGNED = re.compile(rb"-?[0-9]{1,20}")
_HEX = re.compile(rb"[0-9a-fA-F]{1,16}")


def int_token(token: bytes, signed: bool = False) -> int | None:
    """One decimal token as a kernel prints it, or None (int() would take '1_0', '+5', ' 5')."""
    if not (_SIGNED if signed else _UNSIGNED).fullmatch(token):
        return None
    value = int(token)
    return value if (S64_MIN if signed else 0) <= value < U64_END else None


def hex_token(token: bytes) -> int | None:
    """One unsigned hexadecimal word without prefix or sign, or None."""
    return int(token, 16) if _HEX.fullmatch(token) else None


_NAME = re.compile(rb"[!-~]+")


def is_name(token: bytes) -> bool:
    """A counter or field name: printable ASCII, not starting like a number."""
    return _NAME.fullmatch(token) is not None and token[0] not in b"0123456789+-"


def decode_name(token: bytes) -> str:
    return token.decode("ascii", "backslashreplace")


def value_issues(bad: list[str], seen_before: list[str]) -> str:
    """The reason given for a line that lost some of its values, not all."""
    parts = []
    if bad:
        parts.append(f"{len(bad)} not an integer below 2**64, left out: {', '.join(bad[:3])}")
    if seen_before:
        parts.append(f"{len(seen_before)} named twice, first kept: {', '.join(seen_before[:3])}")
    return "; ".join(parts)
