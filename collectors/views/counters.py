"""Counters: every netstat/snmp/snmp6 counter with its delta since the mark and its rate."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import keys
from ..keys import COUNTER_KEYS
from .context import ViewContext

# What an operator looks for first: packets dropped or in error, then signs of trouble (loss,
# timeouts, cookies), then the rest (traffic). Counter names are the kernel's, matched by word.
DROPS_OR_ERRORS = re.compile(r"Drop|Overflow|Err|Fail|Prune|Abort|Discard|NoPorts|Csum|Refused|Reject|Unreach")
TROUBLE = re.compile(r"Retrans|Timeout|Lost|Loss|Syncookies|Collapse|Rst|Reset|Pressure|Squeeze|Reorder|Recovery")


def counter_weight(name: str) -> int:
    """2 for drops and errors, 1 for signs of trouble, 0 for traffic: the order of `o` and movers."""
    field = name.rpartition(".")[2]
    if DROPS_OR_ERRORS.search(field):
        return 2
    return 1 if TROUBLE.search(field) else 0


@dataclass
class CounterRow:
    name: str
    section: str
    value: int
    delta: int | None  # since the mark
    rate: float | None
    peak_rate: float | None
    gauge: bool


def counter_rows(ctx: ViewContext) -> list[CounterRow]:
    rows = []
    for key in COUNTER_KEYS:
        w = ctx.window(key)
        pw = ctx.window(key, ctx.peak_window)
        for name, value in ctx.latest(key).items():
            gauge = bool(w and w.is_gauge(name))
            rows.append(CounterRow(
                name, name.partition(".")[0], value,
                None if gauge else ctx.mark.delta(key, name, value),
                None if gauge else ctx.rate(w, name),
                None if gauge or pw is None or name not in pw else pw.peak_rate(name),
                gauge))
    return rows


def counter_note_keys(ctx: ViewContext) -> list[str]:
    return [f"counter-{r.name}" for r in counter_rows(ctx)]


def tcpext_rows(ctx: ViewContext, fields: tuple[str, ...]) -> list[CounterRow]:
    """The named TcpExt counters this kernel has, in the order given."""
    w = ctx.window(keys.NETSTAT)
    latest = ctx.latest(keys.NETSTAT)
    rows = []
    for field_name in fields:
        name = f"TcpExt.{field_name}"
        if name in latest:
            rows.append(CounterRow(name, "TcpExt", latest[name], ctx.mark.delta(keys.NETSTAT, name, latest[name]),
                                   ctx.rate(w, name), None, False))
    return rows
