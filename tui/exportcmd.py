"""`nettop export`: the store served as Prometheus metrics."""

from __future__ import annotations

import argparse
import sys

from .headless import budgeted_sampler, where


def cmd_export(args: argparse.Namespace) -> int:
    import signal
    import threading

    from prometheus_client import start_http_server

    from nettop.collectors.export import NettopCollector, registry_for
    from nettop.collectors.store import Store

    host, _, port = args.listen.rpartition(":")
    if not host or not port.isdigit():
        print(f"nettop: --listen {args.listen}: expected ADDRESS:PORT", file=sys.stderr)
        return 2
    root, target = where(args)
    store = Store(short_capacity=int(60 / args.interval) + 10, long_seconds=600, max_ring_bytes=8 << 20)
    sampler = budgeted_sampler(args, root, target, store)
    try:
        server, _thread = start_http_server(int(port), addr=host.strip("[]"),
                                           registry=registry_for(NettopCollector(store)))
    except OSError as exc:
        print(f"nettop: cannot listen on {args.listen}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    sampler.start()
    print(f"nettop: serving http://{args.listen}/metrics" + (f" for namespace {target.spec}" if target else ""),
          file=sys.stderr, flush=True)
    done.wait()
    sampler.stop()
    server.shutdown()
    return 0
