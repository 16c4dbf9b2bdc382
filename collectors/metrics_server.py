"""A small HTTP/1.1 server for /metrics that no client can exhaust.

One asyncio event loop (the caller's thread) holds every connection; the body is rendered in one
worker thread, and scrapes that arrive while a render with the same headers is under way share it.
Idle or slow clients cost a few KiB each, never a thread: the request head must arrive within
`header_timeout` (slowloris is cut off), the response must be taken within `write_timeout`, heads
are capped at `max_head_bytes`, at most `max_connections` are open (the connection idle longest, for
a second at least, is closed to make room; otherwise newcomers wait in the listen backlog), and at most
one chunk of a response is buffered per connection. Threads: the loop's and one renderer, whatever
the clients do.

GET and HEAD of `path` only (404 elsewhere, 405 for other methods), HTTP/1.0 and 1.1, keep-alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import re
import socket
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import urlsplit

TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
MAX_HEADER_LINES = 64
WANTED = frozenset({"accept", "accept-encoding", "connection", "content-length", "transfer-encoding"})


@dataclass(frozen=True)
class Limits:
    max_connections: int = 256  # open at once; beyond, the one idle longest is closed
    evict_after: float = 1.0  # seconds idle before that (a connection just made has its request on the way)
    header_timeout: float = 5.0  # seconds to send a whole request head (and to keep an idle connection)
    write_timeout: float = 10.0  # seconds to take a whole response
    max_head_bytes: int = 8192  # request line and headers
    max_requests: int = 1000  # per connection
    chunk: int = 64 * 1024  # bytes of a response buffered per connection, at most
    backlog: int = 128  # listen() backlog


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    version: str
    headers: dict[str, str]

    @property
    def keep_alive(self) -> bool:
        tokens = {t.strip().lower() for t in self.headers.get("connection", "").split(",")}
        if self.version == "HTTP/1.0":
            return "keep-alive" in tokens
        return "close" not in tokens

    @property
    def has_body(self) -> bool:
        return "transfer-encoding" in self.headers or self.headers.get("content-length", "0") != "0"


# (Accept, Accept-Encoding) -> the response; called in the render thread
Render = Callable[[str, str], Response]


def parse_request(lines: list[bytes]) -> Request | int:
    """The request line and headers, or the status code that says what is wrong with them."""
    text = [line.decode("latin-1").rstrip("\r\n") for line in lines]
    parts = text[0].split(" ")
    if len(parts) != 3 or not TOKEN.fullmatch(parts[0]) or not parts[2].startswith("HTTP/"):
        return HTTPStatus.BAD_REQUEST
    method, target, version = parts
    if version not in ("HTTP/1.0", "HTTP/1.1"):
        return HTTPStatus.HTTP_VERSION_NOT_SUPPORTED if re.fullmatch(r"HTTP/\d(\.\d)?", version) else 400
    if target.startswith(("http://", "https://")):
        target = urlsplit(target).path or "/"
    if not target.startswith("/"):
        return HTTPStatus.BAD_REQUEST
    headers: dict[str, str] = {}
    for line in text[1:]:
        name, sep, value = line.partition(":")
        if not sep or not TOKEN.fullmatch(name):
            return HTTPStatus.BAD_REQUEST
        name = name.lower()
        if name in WANTED:
            value = value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
    length = headers.get("content-length")
    if length is not None and not (length.isascii() and length.isdigit()):
        return HTTPStatus.BAD_REQUEST
    if length is not None:
        headers["content-length"] = str(int(length))
    return Request(method, target.partition("?")[0], version, headers)


def response_head(status: int, content_type: str, length: int, keep_alive: bool,
                  extra: tuple[tuple[str, str], ...] = ()) -> bytes:
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}", f"Content-Type: {content_type}",
             f"Content-Length: {length}", "Connection: " + ("keep-alive" if keep_alive else "close"),
             *(f"{k}: {v}" for k, v in extra)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


# --- the listening socket -----------------------------------------------------------------------


@dataclass(frozen=True)
class ListenAddress:
    family: int
    sockaddr: tuple[str, int] | tuple[str, int, int, int]
    loopback: bool

    def url(self, port: int | None = None) -> str:
        host = self.sockaddr[0]
        host = f"[{host}]" if self.family == socket.AF_INET6 else host
        return f"http://{host}:{self.sockaddr[1] if port is None else port}"


def resolve_listen(text: str) -> ListenAddress:
    """`ADDRESS:PORT`, `[IPv6]:PORT`, `HOSTNAME:PORT` or `:PORT` (loopback); port 0 picks a free one.
    ValueError says what is wrong."""
    host, sep, port = text.rpartition(":")
    if not sep:
        raise ValueError("expected ADDRESS:PORT, [IPv6]:PORT or :PORT")
    if not (port.isascii() and port.isdigit()) or len(port) > 5 or int(port) > 65535:
        raise ValueError(f"port {port or '(none)'} is not a number from 1 to 65535 (0: any free port)")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        try:
            ipaddress.IPv6Address(host.partition("%")[0])
        except ValueError:
            raise ValueError(f"[{host}] is not an IPv6 address") from None
    elif ":" in host or "[" in host or "]" in host:
        raise ValueError("write an IPv6 address in brackets: [::1]:9489")
    elif not host:
        host = "127.0.0.1"
    try:
        infos = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE | socket.AI_NUMERICSERV)
    except (socket.gaierror, UnicodeError) as exc:
        raise ValueError(f"cannot resolve {host}: {getattr(exc, 'strerror', None) or exc}") from None
    family, _, _, _, sockaddr = infos[0]
    try:
        loopback = ipaddress.ip_address(str(sockaddr[0]).partition("%")[0]).is_loopback
    except ValueError:
        loopback = False
    return ListenAddress(family, sockaddr, loopback)  # type: ignore[arg-type]  # (host, port[, flow, scope])


def listen_socket(address: ListenAddress, backlog: int) -> socket.socket:
    """A bound, listening, non-blocking socket; OSError (address in use ...) as the kernel said it."""
    sock = socket.socket(address.family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address.sockaddr)
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


# --- the server -----------------------------------------------------------------------------------


@dataclass(eq=False)
class _Conn:
    writer: asyncio.StreamWriter | None  # None until its streams are made
    idle_since: float | None  # waiting for a request head since then; None while one is served


@dataclass(eq=False)
class MetricsServer:
    sock: socket.socket
    render: Render
    limits: Limits = field(default_factory=Limits)
    path: str = "/metrics"
    on_error: Callable[[BaseException], None] | None = None  # a render that raised (answered 500)
    counts: Counter[str] = field(default_factory=Counter)  # accepted, evicted, timeout, status N ...

    def __post_init__(self) -> None:
        self._conns: dict[_Conn, None] = {}  # open connections, oldest first
        self._tasks: set[asyncio.Task[None]] = set()
        self._inflight: dict[tuple[str, str], asyncio.Future[Response]] = {}
        self._executor: ThreadPoolExecutor | None = None
        self._room = asyncio.Event()  # a connection closed or went idle

    @property
    def port(self) -> int:
        port: int = self.sock.getsockname()[1]
        return port

    @property
    def open_connections(self) -> int:
        return len(self._conns)

    async def serve(self, stop: asyncio.Event) -> None:
        """Serve until `stop` is set; then close every connection and join the render thread."""
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nettop-render")
        self._room = asyncio.Event()
        accepting = asyncio.ensure_future(self._accept())
        try:
            await stop.wait()
        finally:
            accepting.cancel()
            for conn in self._conns:
                if conn.writer is not None:
                    conn.writer.transport.abort()
            tasks = [accepting, *self._tasks]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._executor.shutdown(wait=True, cancel_futures=True)

    async def _accept(self) -> None:
        """Accept, then wait for room if need be: while every connection is busy, this one is held
        unread and the next ones wait in the kernel's listen backlog."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                client, _ = await loop.sock_accept(self.sock)
            except OSError as exc:  # out of file descriptors, a connection reset before accept ...
                self.counts[f"accept error {exc.errno}"] += 1
                await asyncio.sleep(0.1)
                continue
            try:
                while not self._make_room():
                    self._room.clear()
                    with contextlib.suppress(TimeoutError):  # idle ones become closable as time passes
                        await asyncio.wait_for(self._room.wait(), self.limits.evict_after / 4)
            except BaseException:
                client.close()
                raise
            conn = _Conn(None, loop.time())
            self._conns[conn] = None
            self.counts["accepted"] += 1
            task = asyncio.ensure_future(self._client(conn, client))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _make_room(self) -> bool:
        """Below the cap, or at it and the connection idle longest closed; False if all are busy."""
        if len(self._conns) < self.limits.max_connections:
            return True
        before = asyncio.get_running_loop().time() - min(self.limits.evict_after, self.limits.header_timeout / 2)
        idle = [c for c in self._conns if c.idle_since is not None and c.idle_since <= before and c.writer]
        if not idle:
            return False
        victim = min(idle, key=lambda c: c.idle_since or 0.0)
        self._conns.pop(victim, None)
        assert victim.writer is not None
        victim.writer.transport.abort()
        self.counts["evicted"] += 1
        return True

    # --- one connection -----------------------------------------------------------------------

    async def _client(self, conn: _Conn, client: socket.socket) -> None:
        writer: asyncio.StreamWriter | None = None
        try:
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms of Nagle and delayed ACK
            reader, writer = await asyncio.open_connection(sock=client, limit=self.limits.max_head_bytes)
            writer.transport.set_write_buffer_limits(high=0)  # drain() waits until all is with the kernel
            conn.writer = writer
            await self._serve_connection(conn, reader, writer)
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError):
            pass
        finally:
            self._conns.pop(conn, None)
            self._room.set()
            if writer is None:
                client.close()
            elif writer.transport.get_write_buffer_size():
                writer.transport.abort()
            else:
                writer.close()

    async def _serve_connection(self, conn: _Conn, reader: asyncio.StreamReader,
                                writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        for n in range(self.limits.max_requests):
            conn.idle_since = loop.time()
            self._room.set()
            try:
                async with asyncio.timeout(self.limits.header_timeout):
                    head = await self._read_head(reader)
            except TimeoutError:
                self.counts["timeout"] += 1
                writer.transport.abort()
                return
            if head is None:
                return
            conn.idle_since = None
            request = parse_request(head) if isinstance(head, list) else head
            if isinstance(request, int):
                self.counts[f"status {int(request)}"] += 1
                await self._send(writer, Response(request, f"{HTTPStatus(request).phrase}\n".encode()), False, True)
                return
            keep = request.keep_alive and not request.has_body and n + 1 < self.limits.max_requests
            response, keep = await self._respond(request, keep)
            self.counts[f"status {response.status}"] += 1
            await self._send(writer, response, keep, request.method != "HEAD")
            if not keep:
                return

    async def _read_head(self, reader: asyncio.StreamReader) -> list[bytes] | int | None:
        """The request line and header lines; a status code when they are too big; None at EOF."""
        lines: list[bytes] = []
        size = 0
        while True:
            try:
                line = await reader.readline()
            except ValueError:  # one line longer than the stream's limit
                return HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
            if not line.endswith(b"\n"):
                return None  # the client closed, maybe midway
            size += len(line)
            if size > self.limits.max_head_bytes or len(lines) > MAX_HEADER_LINES:
                return HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
            if line in (b"\r\n", b"\n"):
                if lines:
                    return lines
                continue  # empty lines before a request line are ignored (RFC 9112 2.2)
            lines.append(line)

    async def _respond(self, request: Request, keep: bool) -> tuple[Response, bool]:
        if request.method not in ("GET", "HEAD"):
            allow = (("Allow", "GET, HEAD"),)
            return Response(HTTPStatus.METHOD_NOT_ALLOWED, b"GET or HEAD only\n", headers=allow), False
        if request.path != self.path:
            return Response(HTTPStatus.NOT_FOUND, f"nettop serves {self.path} only\n".encode()), keep
        try:
            return await self._rendered(request.headers.get("accept", ""),
                                        request.headers.get("accept-encoding", "")), keep
        except Exception as exc:  # noqa: BLE001  # a broken render is this scrape's 500, not the server's end
            if self.on_error is not None:
                self.on_error(exc)
            return Response(HTTPStatus.INTERNAL_SERVER_ERROR, f"{type(exc).__name__}: {exc}\n".encode()), False

    async def _rendered(self, accept: str, accept_encoding: str) -> Response:
        """The render under way for the same headers, or a new one in the render thread."""
        key = (accept, accept_encoding)
        fut = self._inflight.get(key)
        if fut is None:
            loop = asyncio.get_running_loop()
            fut = loop.run_in_executor(self._executor, self.render, accept, accept_encoding)
            self._inflight[key] = fut
            fut.add_done_callback(lambda _: self._inflight.pop(key, None))
        else:
            self.counts["shared"] += 1
        return await asyncio.shield(fut)

    async def _send(self, writer: asyncio.StreamWriter, response: Response, keep: bool, body: bool) -> None:
        """The head and body in chunks, each handed to the kernel before the next: one chunk buffered."""
        head = response_head(response.status, response.content_type, len(response.body), keep, response.headers)
        try:
            async with asyncio.timeout(self.limits.write_timeout):
                view = memoryview(response.body) if body else memoryview(b"")
                first = max(0, self.limits.chunk - len(head))
                writer.write(head + view[:first])  # one segment for a small response
                await writer.drain()
                for start in range(first, len(view), self.limits.chunk):
                    writer.write(view[start:start + self.limits.chunk])
                    await writer.drain()
        except TimeoutError:
            self.counts["write timeout"] += 1
            writer.transport.abort()
            raise

