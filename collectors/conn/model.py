"""What the connections source keeps beside its columns (the detail of keys.CONNECTIONS):
the busiest connections, aggregates by peer, by service port and by process, and UDP sockets
with their drops. Plain dataclasses: recording and replay encode them like any detail."""

from __future__ import annotations

from dataclasses import dataclass, field

PEER, PORT, PROCESS = "peer", "port", "process"
GROUPINGS = (PEER, PORT, PROCESS)


@dataclass
class Conn:
    """One TCP connection; rates over the last interval, None when not known (first sight,
    a request or TIME_WAIT socket without tcp_info, an older kernel)."""

    cookie: int
    state: str
    local: str
    remote: str
    owner: str = ""  # "name[pid]"
    rtt_us: int | None = None
    rttvar_us: int | None = None
    min_rtt_us: int | None = None
    cwnd: int | None = None
    ssthresh: int | None = None
    unacked: int | None = None
    notsent: int | None = None
    lost: int | None = None
    reordering: int | None = None
    total_retrans: int | None = None
    retrans_per_s: float | None = None
    send_bps: float | None = None  # bytes acked per second
    recv_bps: float | None = None  # bytes received per second
    delivery_rate: int | None = None  # bytes per second
    pacing_rate: int | None = None
    rwnd_limited: float | None = None  # share of busy time over the interval
    sndbuf_limited: float | None = None
    rqueue: int = 0
    wqueue: int = 0


@dataclass
class ConnGroup:
    """Connections sharing a peer, a service port or a process."""

    by: str
    name: str
    conns: int = 0
    send_bps: float = 0.0
    recv_bps: float = 0.0
    retrans_per_s: float = 0.0
    rtt_us: int | None = None  # mean smoothed rtt of its connections that have one
    min_rtt_us: int | None = None  # the lowest min_rtt among them: the path's floor
    rwnd_limited: float | None = None  # busy-time weighted share
    sndbuf_limited: float | None = None
    owners: str = ""  # the processes, for a peer or a port


@dataclass
class UdpSock:
    local: str
    remote: str
    owner: str = ""
    drops: int = 0  # since the socket was made (SK_MEMINFO_DROPS)
    drops_per_s: float | None = None
    rmem_alloc: int = 0
    rcvbuf: int = 0


@dataclass
class ConnDetail:
    conns: list[Conn] = field(default_factory=list)  # the busiest, at most TOP_N
    groups: list[ConnGroup] = field(default_factory=list)  # each grouping's busiest, at most TOP_GROUPS
    udp: list[UdpSock] = field(default_factory=list)  # dropping ones first
    total: int = 0  # TCP connections seen
    interval: float | None = None  # seconds the rates cover
