"""`nettop export`: the store served as Prometheus metrics.

The server (collectors/metrics_server.py) runs an asyncio loop in the main thread; the sampler
has its thread and the render one more: three threads whatever the clients do. SIGTERM, SIGINT
and SIGHUP stop it: connections closed, the render thread and the sampler joined. The exit status
then says how the run went: 0, 69 if the watched namespace went away meanwhile, 70 if the sampler
failed (in both cases /metrics answered 503 with the reason until the signal).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from . import exitcodes
from .headless import STOP_SIGNALS, Failure, UsageError, budgeted_sampler, sampler_outcome, stop_on_signals, where

if TYPE_CHECKING:
    import asyncio
    import threading
    from collections.abc import Callable

    from nettop.collectors.export import Exporter
    from nettop.collectors.metrics_server import Limits, MetricsServer

def limits_from(args: argparse.Namespace) -> Limits:
    """--max-connections and --request-timeout, checked."""
    from nettop.collectors.metrics_server import Limits

    connections: int = args.max_connections
    timeout: float = args.request_timeout
    if connections < 1:
        raise UsageError(f"--max-connections {connections}: must be 1 or more")
    if not 0 < timeout <= 3600:
        raise UsageError(f"--request-timeout {timeout:g}: must be more than 0 and at most 3600")
    return Limits(max_connections=connections, header_timeout=timeout)


def cmd_export(args: argparse.Namespace) -> int:
    import errno
    import signal
    import threading

    from nettop.collectors.export import Exporter, NettopCollector
    from nettop.collectors.metrics_server import MetricsServer, listen_socket, resolve_listen
    from nettop.collectors.store import Store

    limits = limits_from(args)
    try:
        address = resolve_listen(args.listen)
    except ValueError as exc:
        raise UsageError(f"--listen {args.listen}: {exc}") from None
    root, target = where(args)
    try:
        sock = listen_socket(address, limits.backlog)
    except OSError as exc:
        code = exitcodes.NO_PERMISSION if exc.errno == errno.EACCES else exitcodes.UNAVAILABLE
        raise Failure(f"cannot listen on {args.listen}: {exc.strerror or exc}", code) from None
    try:
        store = Store(short_capacity=int(60 / args.interval) + 10, long_seconds=600, max_ring_bytes=8 << 20)
        sampler = budgeted_sampler(args, root, target, store)
    except BaseException:
        sock.close()
        raise
    exporter = Exporter(NettopCollector(store), sampler)
    server = MetricsServer(sock, exporter.respond, limits, on_error=_say_once())
    signalled = threading.Event()  # a signal before the loop runs is not lost
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    stop_on_signals(signalled)
    url = address.url(server.port) + "/metrics"
    try:
        if not address.loopback:
            print(f"nettop: warning: {url} is not on loopback: whoever reaches it reads this host's network "
                  "figures", file=sys.stderr)
        sampler.start()
        print(f"nettop: serving {url}" + (f" for namespace {target.spec}" if target else ""),
              file=sys.stderr, flush=True)
        import asyncio

        asyncio.run(_serve(server, exporter, signalled))
    finally:
        sampler.stop()  # done already in the loop, unless something failed before it
        sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    outcome = sampler_outcome(sampler)
    if outcome is not None:
        raise outcome
    return exitcodes.OK


async def _serve(server: MetricsServer, exporter: Exporter, signalled: threading.Event) -> None:
    import asyncio

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    if signalled.is_set():
        stop.set()
    watch = asyncio.ensure_future(_say_when_gone(exporter, stop))
    try:
        await server.serve(stop)
    finally:
        watch.cancel()
        if exporter.sampler is not None:
            exporter.sampler.stop()  # joined while the loop still takes the signals: a second one is harmless
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)


def _say_once() -> Callable[[BaseException], None]:
    """A failed scrape on stderr: each new reason once, not once per scrape."""
    said: list[str] = []

    def say(exc: BaseException) -> None:
        text = f"{type(exc).__name__}: {exc}"
        if text not in said:
            said[:] = [*said[-15:], text]
            print(f"nettop: a scrape failed (answered 500): {text}", file=sys.stderr, flush=True)
    return say


async def _say_when_gone(exporter: Exporter, stop: asyncio.Event) -> None:
    """One line on stderr when what is watched goes away for good; /metrics says it with each 503."""
    import asyncio

    while not stop.is_set():
        problem = exporter.problem()
        if problem is not None and not problem[1]:
            print(f"nettop: {problem[0]}; /metrics answers 503 until nettop is stopped", file=sys.stderr, flush=True)
            return
        await asyncio.sleep(0.5)

