"""A note's live values: the counters and knobs it names, as the store has them now."""

from __future__ import annotations

from nettop.collectors import keys
from nettop.collectors.views.context import ViewContext
from nettop.collectors.views.counters import counter_rows

from .notebook import Note


def live_values(ctx: ViewContext, note: Note) -> str:
    rows = {r.name: r for r in counter_rows(ctx)}
    lines = []
    for name in note.counters:
        r = rows.get(name)
        if r is not None:
            rate = "-" if r.rate is None else f"{r.rate:,.1f}/s"
            delta = r.delta if r.delta is not None else "-"
            lines.append(f"- `{name}` = {r.value:,} (since mark {delta}, {rate})")
        else:
            lines.append(f"- `{name}`: not on this kernel")
    reading = ctx.store.detail(keys.SYSCTLS)
    for name in note.sysctls:
        if reading is not None and name in reading.values:
            lines.append(f"- `{name}` = {reading.values[name]}")
        elif reading is not None and name in reading.absent:
            lines.append(f"- `{name}`: {reading.absent[name]}")
    return "\n".join(lines)
