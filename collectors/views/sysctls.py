"""Sysctls: every audited knob with its value, or why it is absent here."""

from __future__ import annotations

from dataclasses import dataclass

from .. import keys
from .context import ViewContext


@dataclass
class SysctlRow:
    name: str
    value: str  # "absent" when not readable here
    absent_reason: str | None


def sysctl_rows(ctx: ViewContext, needle: str = "") -> list[SysctlRow]:
    reading = ctx.store.detail(keys.SYSCTLS)
    if reading is None:
        return []
    rows = [SysctlRow(k, v, None) for k, v in reading.values.items()]
    rows += [SysctlRow(k, "absent", why) for k, why in reading.absent.items()]
    needle = needle.lower()
    return [r for r in rows if needle in r.name.lower()]
