"""Netlink sources of sock_diag: TCP listeners' accept queues and TCP sockets by state."""

from __future__ import annotations

import socket

from . import keys
from .netlink import SOCK_DIAG_BY_FAMILY
from .nlsources import NetlinkSource, decoded
from .nlstats import ALL_STATES, TCP_LISTEN, count_states, decode_diag, diag_request
from .sources import Reading
from .tiers import Tier

FAMILIES = (socket.AF_INET, socket.AF_INET6)


def dump_tcp(source: NetlinkSource, states: int) -> list[bytes]:
    """inet_diag messages of TCP sockets in `states` (a bitmask), v4 then v6."""
    msgs: list[bytes] = []
    for family in FAMILIES:
        msgs += source.ctx.dump(source.ctx.diag, SOCK_DIAG_BY_FAMILY, diag_request(family, states), "sock_diag")
    return msgs


class ListenerSource(NetlinkSource):
    """Hot: TCP listeners' accept queue (idiag_rqueue) and backlog (idiag_wqueue)."""

    key = keys.LISTENERS
    tier = Tier.BURST

    def is_gauge(self, column: str) -> bool:
        return True

    def read(self) -> Reading:
        msgs = dump_tcp(self, 1 << TCP_LISTEN)

        def decode() -> Reading:
            socks = [decode_diag(m) for m in msgs]
            names: list[str] = []
            values: list[int] = []
            for s in socks:
                names += [f"{s.local}/accept_queue", f"{s.local}/backlog"]
                values += [s.rqueue, s.wqueue]
            return (tuple(names), values), socks
        return decoded("listeners", decode)


class TcpStatesSource(NetlinkSource):
    """Warm: how many TCP sockets are in each state (v4 and v6)."""

    key = keys.TCP_STATES
    tier = Tier.WARM
    # the kernel walks every bucket of the established hash for any dump (2.4 ms with one socket
    # here, ~25 ms at 10k): sockstat gives the totals every tick, this the breakdown as cost allows
    max_share = 0.001  # of one core: every ~3 s on an idle host, every ~30 s at 10k sockets

    def is_gauge(self, column: str) -> bool:
        return True

    def read(self) -> Reading:
        msgs = dump_tcp(self, ALL_STATES)

        def decode() -> Reading:
            counts = count_states(msgs)
            return (tuple(counts), list(counts.values())), counts
        return decoded("tcp_states", decode)
