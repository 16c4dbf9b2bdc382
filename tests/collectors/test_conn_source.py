"""The connections source end to end: a real sampler in a namespace sees who suffers, and the
findings, the snapshot and the export say so."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator

import connnet as nsutil
import pytest
from test_conn_dumper import B_ADDR, Transfer, connect_pair

from nettop.collectors import keys
from nettop.collectors.conn.model import PEER, PROCESS, Conn
from nettop.collectors.conn.source import TOP_N, ConnectionsSource
from nettop.collectors.export import NettopCollector, exposition
from nettop.collectors.findings import evaluate
from nettop.collectors.netns import resolve
from nettop.collectors.procfs import ProcRoot
from nettop.collectors.sampler import Sampler
from nettop.collectors.snapshot import build_snapshot
from nettop.collectors.store import State, Store
from nettop.collectors.tiers import Cadence
from nettop.collectors.views.context import Mark, ViewContext

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
ME = f"python[{os.getpid()}]"


@pytest.fixture
def watched() -> Iterator[tuple[str, str, Sampler]]:
    """Two namespaces joined by a veth pair behind a 20 Mbit/s tbf, the first one watched by a
    live sampler (connections every 0.3 s)."""
    with nsutil.namespaces(2) as (a, b):
        nsutil.veth_pair(a, b, "10.77.0.1", B_ADDR)
        nsutil.in_ns(a, "tc", "qdisc", "add", "dev", "veth0", "root", "tbf", "rate", "20mbit", "burst", "20kb",
                     "latency", "30ms")
        source = ConnectionsSource()
        source.max_share = None  # what it finds, at the cadence asked: its pacing is tested in test_busy_host
        sampler = Sampler(ProcRoot(), Store(), Cadence(hot=0.1, warm=0.3, cold=1.0), netns=resolve(a),
                          sources=[source])
        sampler.start()
        try:
            yield a, b, sampler
        finally:
            sampler.stop()


def settle(sampler: Sampler, seconds: float) -> ViewContext:
    time.sleep(seconds)
    store = sampler.store
    assert store.status(keys.CONNECTIONS).state is State.OK, store.status(keys.CONNECTIONS).error
    return ViewContext(store, time.monotonic(), Mark.take(store, time.monotonic()), rate_window=1.0)


def mine(ctx: ViewContext, local_port: int) -> Conn:
    detail = ctx.store.detail(keys.CONNECTIONS)
    assert detail is not None
    return next(c for c in detail.conns if c.local.endswith(f":{local_port}"))


@needs_root
def test_a_slow_reader_is_receive_window_limited_and_named(watched: tuple[str, str, Sampler]) -> None:
    a, _, sampler = watched
    client, server = connect_pair(a, a, "127.0.0.1", rcvbuf=4096)
    transfer = Transfer(client, server, read_size=2048, read_pause=0.002)
    try:
        ctx = settle(sampler, 2.0)
        sender = mine(ctx, client.getsockname()[1])
        assert sender.rwnd_limited is not None and sender.rwnd_limited > 0.5, sender
        assert sender.owner == ME and (sender.send_bps or 0) > 0
        found = next(f for f in evaluate(ctx) if f.id == "rwnd-limited")
        assert f"{sender.local} -> {sender.remote}" in found.title and "tcp_rmem" in found.bound
    finally:
        transfer.close()


@needs_root
def test_a_small_send_buffer_is_send_buffer_limited(watched: tuple[str, str, Sampler]) -> None:
    a, b, sampler = watched
    client, server = connect_pair(a, b, B_ADDR, sndbuf=4096)
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"cubic")  # see test_conn_dumper
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    transfer = Transfer(client, server)
    try:
        ctx = settle(sampler, 2.0)
        sender = mine(ctx, client.getsockname()[1])
        assert sender.sndbuf_limited is not None and sender.sndbuf_limited > 0.05, sender
        assert sender.rtt_us and sender.min_rtt_us and sender.cwnd
        detail = ctx.store.detail(keys.CONNECTIONS)
        assert detail is not None
        peer = next(g for g in detail.groups if g.by == PEER and g.name == B_ADDR)
        assert peer.conns == 1 and peer.send_bps > 0 and peer.owners == ME
        assert any(g.by == PROCESS and g.name == ME for g in detail.groups)
    finally:
        transfer.close()


@needs_root
def test_a_flooded_udp_socket_shows_its_drops_and_owner(watched: tuple[str, str, Sampler]) -> None:
    a, _, sampler = watched
    sink = nsutil.made_in(a, lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    sink.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sink.bind(("127.0.0.1", 0))
    flood = nsutil.made_in(a, lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    try:
        end = time.monotonic() + 2.0
        while time.monotonic() < end:
            for _ in range(200):
                flood.sendto(b"x" * 200, sink.getsockname())
            time.sleep(0.01)
        ctx = settle(sampler, 0.1)
        found = next(f for f in evaluate(ctx) if f.id == "udp-socket-drops")
        assert found.evidence["owner"] == ME and found.evidence["drops"] > 1000
        assert found.subject == f"127.0.0.1:{sink.getsockname()[1]}"
        snap = build_snapshot(ctx.store, ProcRoot(), since=None, duration_s=2.0)
        assert snap["connections"]["udp"][0]["owner"] == ME
        assert snap["connections"]["totals"]["udp/drops_per_s"] > 0
        text = exposition(NettopCollector(ctx.store)).decode()
        assert "nettop_udp_socket_drops_per_second" in text and "nettop_tcp_connections " in text
    finally:
        sink.close()
        flood.close()


def test_the_busiest_are_kept_and_the_rest_only_counted() -> None:
    """At a load test's scale the detail stays bounded: TOP_N connections, whatever the count."""
    from types import SimpleNamespace

    from nettop.collectors.conn.dumper import SockTable
    from nettop.collectors.conn.wire import Addresses

    n = 5000
    stats = {name: list(range(n)) for name in ("rtt", "rttvar", "min_rtt", "snd_cwnd", "snd_ssthresh", "unacked",
                                               "notsent_bytes", "lost", "reordering", "total_retrans",
                                               "bytes_acked", "bytes_received", "delivery_rate", "pacing_rate",
                                               "busy_time", "rwnd_limited", "sndbuf_limited")}
    addr = Addresses(bytes([127, 0, 0, 1] + [0] * 12) * n)
    tcp = SockTable([2] * n, [1] * n, addr, list(range(n)), addr, [80] * n, list(range(n)), [0] * n, [0] * n,
                    [0] * n, [0] * n, stats)
    udp = SockTable([], [], Addresses(b""), [], Addresses(b""), [], [], [], [], [], [], {})
    src = ConnectionsSource(owners=SimpleNamespace(known=lambda i: {}, retain=lambda i: None, version=0))  # type: ignore[arg-type]
    src._digest(1.0, tcp, udp)
    for name in ("total_retrans", "bytes_acked"):
        stats[name] = [v * 2 for v in stats[name]]  # the busiest: the highest cookies
    detail, columns = src._digest(2.0, tcp, udp)
    assert detail.total == n and len(detail.conns) == TOP_N and columns["tcp/connections"] == n
    assert [c.cookie for c in detail.conns[:3]] == [n - 1, n - 2, n - 3]
    assert len([g for g in detail.groups if g.by == "port"]) <= 32
