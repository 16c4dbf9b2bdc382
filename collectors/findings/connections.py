"""Connection rules: which peers and processes suffer, and what limits them."""

from __future__ import annotations

from .. import keys
from ..conn.model import PEER, PROCESS, Conn
from ..views.connections import detail, dropping_udp
from ..views.context import ViewContext
from .base import DROPS, TCP, WARNING, Finding, Msg, rnd, rule

# A peer's smoothed rtt this many times its min_rtt, and at least RTT_FLOOR_MS more, is a queue
# on the path (bufferbloat) or a congested link, not distance: loopback's microsecond jitter is not.
RTT_INFLATION = 4.0
RTT_FLOOR_MS = 20.0
# A peer or process with half the host's retransmits, at ten a second or more, is a hot spot.
HOT_SHARE, HOT_MIN_PER_S = 0.5, 10.0
# Limited for half its busy time or more, while sending.
LIMITED = 0.5


def _ms(us: int | None) -> float:
    return (us or 0) / 1000.0


@rule(keys.CONNECTIONS)
def rtt_inflation(ctx: ViewContext) -> list[Finding]:
    d = detail(ctx)
    out = []
    for g in (g for g in d.groups if g.by == PEER) if d else ():
        if not g.rtt_us or not g.min_rtt_us:
            continue
        rtt, floor = _ms(g.rtt_us), _ms(g.min_rtt_us)
        if rtt >= RTT_INFLATION * floor and rtt - floor >= RTT_FLOOR_MS:
            out.append(Finding(
                "rtt-inflation", WARNING,
                Msg("rtt to {peer} {rtt:.0f} ms, {times:.0f}x its min_rtt {floor:.1f} ms", peer=g.name, rtt=rtt,
                    times=rtt / floor, floor=floor),
                {"peer": g.name, "rtt_ms": rnd(rtt), "min_rtt_ms": rnd(floor), "connections": g.conns},
                ctx.knobs("net.core.default_qdisc"), "conn-rtt", g.name, TCP,
                Msg("a queue on the path to {peer}: a standing queue in a qdisc or a device, here or on the way "
                    "(bufferbloat), or a congested link; or a slow peer (delayed ACKs, a closed window)",
                    peer=g.name)))
    return out


@rule(keys.CONNECTIONS)
def retransmission_hot_spot(ctx: ViewContext) -> list[Finding]:
    d = detail(ctx)
    total = ctx.latest(keys.CONNECTIONS).get("tcp/retrans_per_s", 0)
    if d is None or total < HOT_MIN_PER_S:
        return []
    out = []
    for g in d.groups:
        if g.by in (PEER, PROCESS) and g.retrans_per_s >= HOT_MIN_PER_S and g.retrans_per_s >= HOT_SHARE * total:
            out.append(Finding(
                "retrans-hot-spot", WARNING,
                Msg("{name} has {share:.0f}% of the host's TCP retransmits ({rate:.0f}/s)", name=g.name,
                    share=100 * g.retrans_per_s / total, rate=g.retrans_per_s),
                {"by": g.by, "name": g.name, "retrans_per_s": rnd(g.retrans_per_s), "host_retrans_per_s": total,
                 "connections": g.conns, "rtt_ms": rnd(_ms(g.rtt_us)), "owners": g.owners},
                {}, "conn-loss", f"{g.by}:{g.name}", TCP,
                Msg("loss on the path to {name}, or its receiver dropping", name=g.name) if g.by == PEER else
                Msg("the paths {name} talks over, see its peers on the Connections pane (0)", name=g.name)))
    return out


def _limited(conns: list[Conn], attr: str) -> list[Conn]:
    return [c for c in conns if (getattr(c, attr) or 0.0) >= LIMITED and (c.send_bps or 0.0) > 0]


def _example(c: Conn, attr: str) -> str:
    return f"{c.local} -> {c.remote} {c.owner} {100 * (getattr(c, attr) or 0.0):.0f}%".replace("  ", " ")


@rule(keys.CONNECTIONS)
def window_limited(ctx: ViewContext) -> list[Finding]:
    d = detail(ctx)
    if d is None:
        return []
    out = []
    rwnd = _limited(d.conns, "rwnd_limited")
    if rwnd:
        knobs = ctx.knobs("net.ipv4.tcp_rmem", "net.core.rmem_max")
        out.append(Finding(
            "rwnd-limited", WARNING,
            Msg("{n} connections wait on the receiver's window (e.g. {example})", n=len(rwnd),
                example=_example(rwnd[0], "rwnd_limited")),
            {"connections": len(rwnd), "examples": [_example(c, "rwnd_limited") for c in rwnd[:5]]},
            knobs, "conn-limited", "rwnd", TCP,
            Msg("the receiver's buffer: its SO_RCVBUF, else net.ipv4.tcp_rmem max ({tcp_rmem}); SO_RCVBUF is "
                "capped at net.core.rmem_max {rmem_max}", tcp_rmem=knobs.get("net.ipv4.tcp_rmem", "?"),
                rmem_max=knobs.get("net.core.rmem_max", "?"))))
    sndbuf = _limited(d.conns, "sndbuf_limited")
    if sndbuf:
        knobs = ctx.knobs("net.ipv4.tcp_wmem", "net.core.wmem_max")
        out.append(Finding(
            "sndbuf-limited", WARNING,
            Msg("{n} connections wait on their own send buffer (e.g. {example})", n=len(sndbuf),
                example=_example(sndbuf[0], "sndbuf_limited")),
            {"connections": len(sndbuf), "examples": [_example(c, "sndbuf_limited") for c in sndbuf[:5]]},
            knobs, "conn-limited", "sndbuf", TCP,
            Msg("the sender's buffer: its SO_SNDBUF, else net.ipv4.tcp_wmem max ({tcp_wmem}); SO_SNDBUF is "
                "capped at net.core.wmem_max {wmem_max}", tcp_wmem=knobs.get("net.ipv4.tcp_wmem", "?"),
                wmem_max=knobs.get("net.core.wmem_max", "?"))))
    return out


@rule(keys.CONNECTIONS)
def udp_socket_drops(ctx: ViewContext) -> list[Finding]:
    knobs = ctx.knobs("net.core.rmem_max", "net.core.rmem_default")
    return [Finding(
        "udp-socket-drops", WARNING,
        Msg("UDP socket {local} of {owner} drops {rate:.0f}/s", local=u.local, owner=u.owner or "?",
            rate=u.drops_per_s or 0.0),
        {"local": u.local, "owner": u.owner, "drops_per_s": rnd(u.drops_per_s), "drops": u.drops,
         "rcvbuf": u.rcvbuf, "rmem_alloc": u.rmem_alloc},
        knobs, "conn-udp", u.local, DROPS,
        Msg("its receive buffer {rcvbuf:,} bytes (SO_RCVBUF, else net.core.rmem_default {rmem_default}; "
            "capped at net.core.rmem_max {rmem_max}): the application reads too slowly", rcvbuf=u.rcvbuf,
            rmem_default=knobs.get("net.core.rmem_default", "?"), rmem_max=knobs.get("net.core.rmem_max", "?")))
        for u in dropping_udp(ctx) if (u.drops_per_s or 0.0) >= 1.0]
