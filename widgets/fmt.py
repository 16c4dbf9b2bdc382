"""Number and status formatting shared by the panes."""

from __future__ import annotations

import os

from rich.text import Text

# Severity is never colour alone: a word, and a style that stays distinct without colour (reverse
# for what is critical, bold for a warning, plain for ok, dim for what is not live). Colours are
# given as hex values whose nearest of the 16 standard colours is still red, yellow and green
# (named ANSI colours go through Textual's palette and come out magenta or red on 16 colours).
# Under NO_COLOR, Textual greys every colour by its brightness, so red text would turn dark grey
# on dark grey: there the styles carry no colour at all.
RED, YELLOW, GREEN = "#ff3030", "#ffd700", "#30c030"
COLOUR = {"crit": f"bold reverse {RED}", "warn": f"bold {YELLOW}", "ok": GREEN, "stale": "reverse dim",
          "alert": f"bold {RED}", "rising": YELLOW, "quiet": "dim"}
MONO = {"crit": "bold reverse", "warn": "bold underline", "ok": "", "stale": "reverse dim",
        "alert": "bold underline", "rising": "underline", "quiet": "dim"}
STATUS_WORD = {"ok": "ok", "warn": "WARN", "bad": "DROP", "stale": "?"}
SEVERITY_WORD = {"critical": "CRIT", "warning": "WARN", "info": "info"}


def style(role: str) -> str:
    """The style of a role (crit, warn, ok, stale, alert, rising, quiet) for this terminal."""
    return (MONO if "NO_COLOR" in os.environ else COLOUR)[role]


STATUS_ROLE = {"ok": "ok", "warn": "warn", "bad": "crit", "stale": "stale"}
SEVERITY_ROLE = {"critical": "crit", "warning": "warn", "info": "quiet"}


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


def styled(text: str, style: str) -> Text:
    """Text whose style covers what it says, not what is appended to it later."""
    out = Text()
    out.append(text, style=style)
    return out


def status(state: str, word: str | None = None) -> Text:
    """A status as a word and a style, so it reads without colour too."""
    return styled(word or STATUS_WORD[state], style(STATUS_ROLE[state]))


def severity(level: str) -> Text:
    """`CRIT` reversed, `WARN` bold: a finding's marker in any terminal."""
    return styled(f" {SEVERITY_WORD[level]} ", style(SEVERITY_ROLE[level]))


def alert(text: str, value: float | None) -> Text:
    """A figure that is red and bold when it is not zero (drops, overflows): bold survives NO_COLOR."""
    return styled(text, style("alert") if value else "")


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
    role = "crit" if frac >= 1.0 else "warn" if frac >= 0.8 else "ok"
    return styled("[" + "".join(cells) + "]", style(role))
