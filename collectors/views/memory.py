"""Protocol memory: TCP and UDP pages against tcp_mem / udp_mem's three marks."""

from __future__ import annotations

from dataclasses import dataclass

from .. import keys
from ..sysctl import MEM_KNOBS, parse_mem_triple
from .context import ViewContext

OK, WARN, BAD = "ok", "warn", "bad"
# within 20 % of the pressure mark: worth a look before the kernel starts to trim
NEAR_PRESSURE = 0.8


@dataclass
class MemoryState:
    proto: str
    pages: int | None
    low: int | None
    pressure: int | None
    high: int | None
    press: str | None
    peak_pages: float | None

    @property
    def bound(self) -> int | None:
        """The mark past which the kernel starts refusing or trimming memory. UDP has no
        pressure mode: every UDP allocation past udp_mem[0] fails unless the socket holds
        less than udp_rmem_min / udp_wmem_min (__sk_mem_raise_allocated), so its bound is
        the first value; TCP's is the pressure mark, tcp_mem[1]."""
        return self.low if self.proto == "UDP" else self.pressure

    @property
    def bound_name(self) -> str:
        return "udp_mem[0]" if self.proto == "UDP" else "tcp_mem[1]"

    @property
    def status(self) -> str:
        bound = self.bound
        if self.pages is None or bound is None:
            return OK if self.press != "yes" else BAD
        if self.press == "yes" or self.pages >= bound:
            return BAD
        return WARN if self.pages >= NEAR_PRESSURE * bound else OK


def mem_limits(ctx: ViewContext, proto: str) -> dict[str, int]:
    """tcp_mem or udp_mem as low/pressure/high pages; empty when not readable here."""
    value = ctx.knob(MEM_KNOBS[f"{proto.lower()}_mem"])
    if value is None:
        return {}
    try:
        return parse_mem_triple(value)
    except ValueError:
        return {}


def memory_states(ctx: ViewContext) -> list[MemoryState]:
    table = ctx.store.detail(keys.PROTOCOLS) or {}
    sockstat = ctx.latest(keys.SOCKSTAT)
    out = []
    for proto in ("TCP", "UDP"):
        limits = mem_limits(ctx, proto)
        column = f"{proto}/mem"
        press = table.get(proto, {}).get("press")
        out.append(MemoryState(proto, sockstat.get(column), limits.get("low"), limits.get("pressure"),
                               limits.get("high"), str(press) if press else None, ctx.peak(keys.SOCKSTAT, column)))
    return out
