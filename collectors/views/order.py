"""Names as people sort them: veth2 before veth10, s10a after s9b."""

from __future__ import annotations

import re

_PARTS = re.compile(r"([0-9]+)")


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """Digits compare as numbers, the rest as text; (0, n) and (1, s) never compare n with s."""
    return tuple((0, int(part)) if part.isascii() and part.isdigit() else (1, part)
                 for part in _PARTS.split(name) if part)
