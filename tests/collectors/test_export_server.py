"""The /metrics server under many, slow, idle and malformed clients (in-process, real sockets)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from nettop.collectors.metrics_server import (
    Limits,
    MetricsServer,
    Response,
    listen_socket,
    parse_request,
    resolve_listen,
)

BODY = b"# TYPE x gauge\nx 1.0\n"


def ok(accept: str, accept_encoding: str) -> Response:
    return Response(200, BODY, "text/plain; version=0.0.4")


class Running:
    def __init__(self, server: MetricsServer, stop: asyncio.Event, task: asyncio.Task[None]) -> None:
        self.server, self.stop, self.task = server, stop, task

    @property
    def port(self) -> int:
        return self.server.port


async def start(render: Callable[[str, str], Response] = ok, **limits: float) -> Running:
    sock = listen_socket(resolve_listen("127.0.0.1:0"), 128)
    server = MetricsServer(sock, render, Limits(**limits))  # type: ignore[arg-type]
    stop = asyncio.Event()
    task = asyncio.ensure_future(server.serve(stop))
    await asyncio.sleep(0)
    return Running(server, stop, task)


Serve = Callable[..., Awaitable[Running]]


@pytest.fixture
async def served() -> AsyncIterator[Serve]:
    running: list[Running] = []

    async def make(render: Callable[[str, str], Response] = ok, **limits: float) -> Running:
        r = await start(render, **limits)
        running.append(r)
        return r

    yield make
    for r in running:
        r.stop.set()
        await asyncio.wait_for(r.task, 10)
        r.server.sock.close()


async def exchange(port: int, raw: bytes, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read one response (status, headers, body)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(raw)
        await writer.drain()
        return await asyncio.wait_for(read_response(reader, head_only=raw.startswith(b"HEAD")), timeout)
    finally:
        writer.close()


async def read_response(reader: asyncio.StreamReader, head_only: bool = False) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    body = b"" if head_only else await reader.readexactly(int(headers["content-length"]))
    return status, headers, body


async def until(condition: Callable[[], bool], timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


def get(path: str = "/metrics", extra: str = "", version: str = "HTTP/1.1", method: str = "GET") -> bytes:
    return f"{method} {path} {version}\r\nHost: x\r\nConnection: close\r\n{extra}\r\n".encode()


async def test_fifty_concurrent_scrapes_are_all_answered(served: Serve) -> None:
    renders = 0

    def slow(accept: str, accept_encoding: str) -> Response:
        nonlocal renders
        renders += 1
        threading.Event().wait(0.05)  # long enough for scrapes to pile up behind one render
        return ok(accept, accept_encoding)

    r: Running = await served(slow)
    threads = threading.active_count()
    results = await asyncio.gather(*(exchange(r.port, get()) for _ in range(50)))
    assert [s for s, _, _ in results] == [200] * 50
    assert all(body == BODY for _, _, body in results)
    assert 1 <= renders <= 50
    assert threading.active_count() <= threads + 1  # the render thread, whatever the number of clients


async def test_idle_connections_neither_stop_a_scrape_nor_add_threads(served: Serve) -> None:
    r: Running = await served(max_connections=32, header_timeout=30, evict_after=0.1)
    await exchange(r.port, get())  # the render thread exists from here on
    threads = threading.active_count()
    idle = [await asyncio.open_connection("127.0.0.1", r.port) for _ in range(200)]
    try:
        await asyncio.sleep(0.2)
        status, _, body = await exchange(r.port, get())
        assert (status, body) == (200, BODY)
        assert r.server.open_connections <= 32
        assert r.server.counts["evicted"] >= 200 - 32
        assert threading.active_count() == threads
    finally:
        for _, w in idle:
            w.close()


async def test_slow_and_idle_clients_are_cut_off_after_the_timeout(served: Serve) -> None:
    r: Running = await served(header_timeout=0.5)
    idle_reader, idle_writer = await asyncio.open_connection("127.0.0.1", r.port)
    slow_reader, slow_writer = await asyncio.open_connection("127.0.0.1", r.port)

    async def trickle() -> None:  # slowloris: a byte at a time, never the blank line
        for byte in b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200:
            slow_writer.write(bytes([byte]))
            await asyncio.sleep(0.05)

    sender = asyncio.ensure_future(trickle())
    try:
        assert await asyncio.wait_for(idle_reader.read(), 10) == b""
        assert await asyncio.wait_for(slow_reader.read(), 10) == b""  # cut off while still sending
        assert not sender.done()
        assert r.server.counts["timeout"] >= 2
        assert (await exchange(r.port, get()))[0] == 200
    finally:
        sender.cancel()
        idle_writer.close()
        slow_writer.close()


@pytest.mark.parametrize(("raw", "status"), [
    (get(extra="X-Big: " + "a" * 20_000 + "\r\n"), 431),  # one line over the limit
    (get(extra="".join(f"X-{i}: {'b' * 100}\r\n" for i in range(100))), 431),  # many lines over it
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400),  # a TLS hello
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET /metrics\r\n\r\n", 400),
    (get(extra="Bad Header\r\n"), 400),
    (get(extra="Content-Length: nope\r\n"), 400),
    (get(version="HTTP/2.0"), 505),
    (get(method="POST"), 405),
    (get(method="DELETE"), 405),
    (get("/"), 404),
    (get("/metricsx"), 404),
    (get("/metrics/"), 404),
    (get("/metrics?name[]=x"), 200),
    (get("http://example.org/metrics"), 200),
])
async def test_bad_requests_get_their_status_and_the_server_goes_on(served: Serve, raw: bytes,
                                                                   status: int) -> None:
    r: Running = await served()
    got, headers, _ = await exchange(r.port, raw)
    assert got == status
    if status == 405:
        assert headers["allow"] == "GET, HEAD"
    assert (await exchange(r.port, get()))[0] == 200


async def test_head_has_the_length_and_no_body_and_keep_alive_serves_several(served: Serve) -> None:
    r: Running = await served()
    reader, writer = await asyncio.open_connection("127.0.0.1", r.port)
    try:
        writer.write(b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, _ = await read_response(reader, head_only=True)
        (conn,) = r.server._conns
        assert conn.writer is not None  # no Nagle: a keep-alive scrape does not wait for a delayed ACK
        assert conn.writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        assert (status, headers["content-length"], headers["connection"]) == (200, str(len(BODY)), "keep-alive")
        writer.write(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")  # pipelined
        assert (await read_response(reader))[2] == BODY
        assert (await read_response(reader))[2] == BODY
        writer.write(b"GET /metrics HTTP/1.0\r\n\r\n")  # 1.0 without keep-alive: closed after the answer
        assert (await read_response(reader))[1]["connection"] == "close"
        assert await asyncio.wait_for(reader.read(), 5) == b""
    finally:
        writer.close()


async def test_when_every_connection_is_busy_a_newcomer_waits_in_the_backlog(served: Serve) -> None:
    release = threading.Event()

    def blocked(accept: str, accept_encoding: str) -> Response:
        release.wait(10)
        return ok(accept, accept_encoding)

    r: Running = await served(blocked, max_connections=2)
    busy = [asyncio.ensure_future(exchange(r.port, get())) for _ in range(2)]
    await until(lambda: r.server.open_connections == 2 and r.server.counts["shared"] == 1)
    late = asyncio.ensure_future(exchange(r.port, get()))  # connected by the kernel, not accepted yet
    try:
        await asyncio.sleep(0.3)
        assert r.server.counts["accepted"] == 2 and not late.done(), r.server.counts
    finally:
        release.set()
    assert [s for s, _, _ in await asyncio.gather(*busy, late)] == [200, 200, 200]
    assert r.server.counts["accepted"] == 3


async def test_a_body_bigger_than_a_chunk_arrives_whole(served: Serve) -> None:
    body = bytes(range(256)) * 1000

    def big(accept: str, accept_encoding: str) -> Response:
        return Response(200, body)

    for chunk in (100, 4096, 1 << 20):
        r: Running = await served(big, chunk=chunk)
        assert (await exchange(r.port, get()))[2] == body


async def test_a_failing_render_is_a_500_and_the_next_scrape_works(served: Serve) -> None:
    calls = 0

    def flaky(accept: str, accept_encoding: str) -> Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("boom")
        return ok(accept, accept_encoding)

    r: Running = await served(flaky)
    status, _, body = await exchange(r.port, get())
    assert (status, body) == (500, b"RuntimeError: boom\n")
    assert (await exchange(r.port, get()))[0] == 200


async def test_a_client_that_never_reads_is_dropped_and_buffers_one_chunk(served: Serve) -> None:
    big = b"x" * (64 << 20)

    def huge(accept: str, accept_encoding: str) -> Response:
        return Response(200, big)

    r: Running = await served(huge, write_timeout=0.5)
    sock = socket.create_connection(("127.0.0.1", r.port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        sock.sendall(get())
        buffered: list[int] = []

        def dropped() -> bool:
            buffered.extend(c.writer.transport.get_write_buffer_size() for c in r.server._conns)
            return r.server.counts["write timeout"] == 1

        await until(dropped)
        assert buffered and max(buffered) <= Limits().chunk
        assert r.server.open_connections == 0
    finally:
        sock.close()


async def test_stop_closes_connections_and_joins_the_render_thread() -> None:
    before = {t.ident for t in threading.enumerate()}
    r = await start()
    assert (await exchange(r.port, get()))[0] == 200
    idle = await asyncio.open_connection("127.0.0.1", r.port)
    r.stop.set()
    await asyncio.wait_for(r.task, 10)
    assert await asyncio.wait_for(idle[0].read(), 5) == b""
    assert {t.ident for t in threading.enumerate()} <= before
    idle[1].close()
    r.server.sock.close()


def test_parse_request_keeps_what_it_needs() -> None:
    req = parse_request([b"GET /metrics?x=1 HTTP/1.1\r\n", b"Accept: a\r\n", b"accept: b\r\n",
                         b"Connection: Close\r\n", b"X-Other: y\r\n"])
    assert not isinstance(req, int)
    assert (req.method, req.path, req.headers["accept"], req.keep_alive) == ("GET", "/metrics", "a, b", False)
    req = parse_request([b"GET /metrics HTTP/1.1\r\n", b"Content-Length: 3\r\n"])
    assert not isinstance(req, int) and req.has_body


@pytest.mark.parametrize(("text", "message"), [
    (":99999", "port 99999"), (":", "port (none)"), ("9489", "expected ADDRESS:PORT"), (":-1", "port -1"),
    ("::1:9489", "in brackets"), ("[nothost]:80", "not an IPv6 address"), (":１２", "port １２"),
    ("127.0.0.1:123456", "port 123456"),
])
def test_resolve_listen_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        resolve_listen(text)


def test_resolve_listen_forms() -> None:
    assert resolve_listen(":0").sockaddr == ("127.0.0.1", 0)
    assert resolve_listen(":0").loopback
    assert resolve_listen("[::1]:9489").sockaddr[:2] == ("::1", 9489)
    assert resolve_listen("[::1]:9489").url() == "http://[::1]:9489"
    assert not resolve_listen("0.0.0.0:9489").loopback
    assert not resolve_listen("[::]:9489").loopback
