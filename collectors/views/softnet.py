"""Softnet / NAPI per CPU, next to the knobs that bound it."""

from __future__ import annotations

from dataclasses import dataclass

from .. import keys
from .context import ViewContext, entity

SOFTNET_KNOBS = ("net.core.netdev_max_backlog", "net.core.netdev_budget", "net.core.netdev_budget_usecs")


@dataclass
class SoftnetRow:
    cpu: str
    processed_rate: float | None
    dropped_rate: float | None
    squeeze_rate: float | None
    dropped: int
    time_squeeze: int
    backlog_peak: float | None


def _cpu_number(cpu: str) -> int:
    return int(cpu[3:]) if cpu[3:].isdigit() else 0


def softnet_rows(ctx: ViewContext) -> list[SoftnetRow]:
    latest = ctx.latest(keys.SOFTNET)
    w = ctx.window(keys.SOFTNET)
    cpus = sorted({entity(k) for k in latest}, key=_cpu_number)
    return [SoftnetRow(cpu, ctx.rate(w, f"{cpu}/processed"), ctx.rate(w, f"{cpu}/dropped"),
                       ctx.rate(w, f"{cpu}/time_squeeze"), latest.get(f"{cpu}/dropped", 0),
                       latest.get(f"{cpu}/time_squeeze", 0), ctx.peak(keys.SOFTNET, f"{cpu}/backlog_len"))
            for cpu in cpus]


def knob_values(ctx: ViewContext, names: tuple[str, ...]) -> dict[str, str]:
    """Knobs by name; `n/a` for one absent here."""
    return {n: ("n/a" if v.startswith("n/a") else v) for n, v in ctx.knobs(*names).items()}
