"""A note's live values: the counters and knobs it names, and the `{{...}}` placeholders of its
text, filled from the store (the TUI) or from one read of /proc (`nettop explain`).

    {{net.core.somaxconn}}             the knob's value as the kernel writes it
    {{net.ipv4.tcp_mem[2]}}            one field of a knob with several (0-based)
    {{net.ipv4.tcp_mem[2]|pages}}      "575,784 pages ≈ 2.2 GiB"
    {{net.core.rmem_max|bytes}}        "212,992 bytes (208 KiB)"
    {{TcpExt.ListenOverflows}}         a counter's value
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Protocol

from nettop.collectors import keys
from nettop.collectors.procfs import ProcRoot
from nettop.collectors.sysctl import SysctlReading
from nettop.collectors.views.context import ViewContext

from .notebook import Note

DROP_PREFIX = "drop."
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.*/-]+)(?:\[(\d+)\])?(?:\|(pages|bytes))?\s*\}\}")
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
UNITS = ((1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB"))


class Values(Protocol):
    def sysctl(self, name: str) -> str | None: ...

    def absent(self, name: str) -> str | None:
        """Why a knob cannot be read here, if it cannot."""

    def counter(self, name: str) -> int | None: ...

    def counter_text(self, name: str) -> str | None:
        """A counter as the live list shows it (with its delta and rate where known)."""


@dataclass
class Fixed:
    """Values given outright: what one read of /proc found, or a test's."""

    sysctls: dict[str, str] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)

    def sysctl(self, name: str) -> str | None:
        return self.sysctls.get(name)

    def absent(self, name: str) -> str | None:
        return self.reasons.get(name)

    def counter(self, name: str) -> int | None:
        return self.counters.get(name)

    def counter_text(self, name: str) -> str | None:
        found = self.counters.get(name)
        return None if found is None else f"{found:,}"


def binary(n: float) -> str:
    for factor, unit in UNITS:
        if n >= factor:
            return f"{n / factor:.3g} {unit}"
    return f"{n:.0f} B"


def _value(name: str, values: Values) -> str | None:
    if name.startswith("net."):
        return values.sysctl(name)
    found = values.counter(name)
    return None if found is None else str(found)


def render_placeholder(match: re.Match[str], values: Values) -> str:
    name, index, unit = match.group(1), match.group(2), match.group(3)
    raw = _value(name, values)
    label = f"{name}[{index}]" if index else name
    if raw is None:
        return f"`{label}` (not readable here)"
    words = raw.split()
    if index is not None:
        if int(index) >= len(words):
            return f"`{label}` (not readable here)"
        raw = words[int(index)]
    if unit is None or not raw.lstrip("-").isdigit():
        return f"{int(raw):,}" if raw.lstrip("-").isdigit() else raw
    n = int(raw)
    if unit == "pages":
        return f"{n:,} pages ≈ {binary(n * PAGE)}"
    return f"{n:,} bytes ({binary(n)})"


def fill(text: str, values: Values) -> str:
    """The note's text with every placeholder replaced by its live value."""
    return PLACEHOLDER.sub(lambda m: render_placeholder(m, values), text)


def placeholder_names(text: str) -> set[str]:
    return {m.group(1) for m in PLACEHOLDER.finditer(text)}


CONF_KNOB = re.compile(r"^(net\.ipv[46]\.conf)\.([a-z0-9_]+)$")


def live_knob(name: str) -> str:
    """The knob to show for a name a note lists: `net.ipv4.conf.rp_filter` names the
    per-interface family, whose host-wide value is `net.ipv4.conf.all.rp_filter`."""
    found = CONF_KNOB.match(name)
    return f"{found.group(1)}.all.{found.group(2)}" if found else name


def live_lines(note: Note, values: Values, not_here: str = "not on this kernel") -> list[str]:
    """One Markdown line per counter and knob the note names. Drop reasons (`drop.X`) are
    counted only while nettop samples: a one-off read has none to show."""
    lines = []
    for name in note.counters:
        if "*" in name:
            continue
        text = values.counter_text(name)
        if text is None and name.startswith(DROP_PREFIX):
            continue
        lines.append(f"- `{name}` = {text}" if text is not None else f"- `{name}`: {not_here}")
    for listed in note.sysctls:
        if "*" in listed:
            continue
        name = live_knob(listed)
        value, why = values.sysctl(name), values.absent(name)
        if value is not None:
            lines.append(f"- `{name}` = {value}")
        elif why is not None:
            lines.append(f"- `{name}`: {why}")
    return lines


class StoreValues:
    """Live values from the view context of a frame: counters with their delta and rate, the
    knobs the sampler watches, and, given `root`, the other knobs a note names read directly
    (only where the UI's thread sees the same namespace as the sampler: never for --netns or a
    recording, whose knobs are not this host's)."""

    def __init__(self, ctx: ViewContext, root: ProcRoot | None = None) -> None:
        from nettop.collectors.views.counters import counter_rows

        self.rows = {r.name: r for r in counter_rows(ctx)}
        self.ctx = ctx
        self.reading = ctx.store.detail(keys.SYSCTLS)
        self.root = root
        self.direct: dict[str, SysctlReading] = {}

    def _direct(self, name: str) -> SysctlReading | None:
        if self.root is None or not name.startswith("net."):
            return None
        if name not in self.direct:
            from nettop.collectors.sysctl import read_sysctls

            self.direct[name] = read_sysctls(self.root, [name])
        return self.direct[name]

    def _watched(self, name: str) -> bool:
        return self.reading is not None and (name in self.reading.values or name in self.reading.absent)

    def sysctl(self, name: str) -> str | None:
        if self._watched(name):
            return self.reading.values.get(name) if self.reading is not None else None
        direct = self._direct(name)
        return direct.values.get(name) if direct is not None else None

    def absent(self, name: str) -> str | None:
        if self._watched(name):
            return self.reading.absent.get(name) if self.reading is not None else None
        direct = self._direct(name)
        return direct.absent.get(name) if direct is not None else None

    def counter(self, name: str) -> int | None:
        row = self.rows.get(name)
        return None if row is None else row.value

    def counter_text(self, name: str) -> str | None:
        if name.startswith(DROP_PREFIX):
            return self.drop_text(name[len(DROP_PREFIX):])
        r = self.rows.get(name)
        if r is None:
            return None
        rate = "-" if r.rate is None else f"{r.rate:,.1f}/s"
        return f"{r.value:,} (since mark {r.delta if r.delta is not None else '-'}, {rate})"

    def drop_text(self, reason: str) -> str | None:
        """A drop reason as the Drops pane counts it, or None before it is seen."""
        from nettop.collectors.views.drops import reason_rows

        if not self.ctx.freshness(keys.DROPS).live:
            return None
        row = next((r for r in reason_rows(self.ctx) if r.reason == reason), None)
        if row is None:
            return "0"
        rate = "-" if row.rate is None else f"{row.rate:,.1f}/s"
        return f"{row.value:,} (since mark {row.delta if row.delta is not None else '-'}, {rate})"
