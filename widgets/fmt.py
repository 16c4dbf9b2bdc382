"""Number and status formatting shared by the panes."""

from __future__ import annotations

from rich.text import Text

STATUS_STYLE = {"ok": "green", "warn": "yellow", "bad": "bold red"}
STATUS_WORD = {"ok": "ok", "warn": "WARN", "bad": "DROP"}


def human(value: float | None, unit: str = "", precision: int = 1) -> str:
    """1234567 -> '1.2M'; None -> '-'; small integers stay exact."""
    if value is None:
        return "-"
    sign = "-" if value < 0 else ""
    v = abs(value)
    for factor, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= factor:
            return f"{sign}{v / factor:.{precision}f}{suffix}{unit}"
    if float(v).is_integer():
        return f"{sign}{int(v)}{unit}"
    return f"{sign}{v:.{precision}f}{unit}"


def tree_label(name: str, depth: int) -> str:
    """A row of a tree: `name` at the top, `  └ name` under it."""
    return name if depth == 0 else f"{'  ' * (depth - 1)}└ {name}"


def rate(value: float | None, unit: str = "/s") -> str:
    return "-" if value is None else human(value, unit)


def status(state: str) -> Text:
    """A status as a word and a colour, so it reads without colour too."""
    return Text(STATUS_WORD[state], style=STATUS_STYLE[state])


def alert(text: str, value: float | None) -> Text:
    """A figure that is red when it is not zero (drops, overflows)."""
    return Text(text, style="bold red" if value else "")


def bar(value: float | None, limit: float | None, width: int = 12, marks: tuple[float, ...] = ()) -> Text:
    """`[#####.....|..]` value against limit; marks drawn as `|` at their fraction."""
    if value is None or not limit or limit <= 0:
        return Text("-")
    frac = max(0.0, min(1.0, value / limit))
    filled = round(frac * width)
    cells = ["#" if i < filled else "." for i in range(width)]
    for m in marks:
        pos = min(width - 1, int(m / limit * width)) if limit else 0
        if 0 <= pos < width and cells[pos] == ".":
            cells[pos] = "|"
    style = "bold red" if frac >= 1.0 else "yellow" if frac >= 0.8 else "green"
    return Text("[" + "".join(cells) + "]", style=style)
