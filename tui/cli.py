"""`nettop` command line. Sub-commands stay headless: Textual is imported only for the UI."""

from __future__ import annotations

import argparse
import json
import os
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from nettop.collectors.procfs import ProcRoot

if TYPE_CHECKING:
    from nettop.collectors.netns import NetnsTarget
    from nettop.collectors.replay import Player
    from nettop.collectors.sampler import Sampler
    from nettop.collectors.store import Store


def _version() -> str:
    try:
        return version("nettop")
    except PackageNotFoundError:
        return "unknown"


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _panes(text: str) -> list[int]:
    try:
        panes = [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("expected numbers 1-8, e.g. 1,3,4") from None
    if not panes or any(p < 1 or p > 8 for p in panes):
        raise argparse.ArgumentTypeError("expected numbers 1-8, e.g. 1,3,4")
    return panes


def default_lang() -> str:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nettop", description="htop for the Linux network stack")
    parser.add_argument("--version", action="version", version=f"nettop {_version()}")
    parser.add_argument("--interval", type=_positive, default=0.01,
                        help="seconds between hot samples (default 0.01, slowed down to stay within --budget)")
    parser.add_argument("--budget", type=_non_negative, default=2.0,
                        help="percent of one core the sampler may use; 0 for no limit (default 2)")
    parser.add_argument("--refresh", type=_positive, default=0.5, help="seconds between UI frames (default 0.5)")
    parser.add_argument("--panes", type=_panes, default=None, help="panes to show, e.g. 1,3,4")
    parser.add_argument("--lang", choices=("en", "ja"), default=None, help="notes language (default from LANG)")
    parser.add_argument("--snapshot-dir", type=Path, default=Path("."), help="where `s` writes snapshots")
    parser.add_argument("--procfs", type=Path, default=Path("/proc"), help="procfs root (default /proc)")
    parser.add_argument("--sysfs", type=Path, default=Path("/sys"), help="sysfs root (default /sys)")
    add_netns_option(parser)
    sub = parser.add_subparsers(dest="command")
    snap = sub.add_parser("snapshot", help="sample for a while and write the whole state (JSON or text)")
    snap.add_argument("--duration", type=_non_negative, default=1.0, help="seconds to sample (default 1)")
    snap.add_argument("--interval", type=_positive, default=0.1, help="seconds between hot samples (default 0.1)")
    snap.add_argument("-o", "--output", default="-", help="file to write, '-' for stdout (default)")
    snap.add_argument("--format", choices=("json", "text"), default="json")
    snap.add_argument("--all", action="store_true", help="text: show zero rows too")
    snap.add_argument("--procfs", type=Path, default=Path("/proc"), help="procfs root (default /proc)")
    snap.add_argument("--sysfs", type=Path, default=Path("/sys"), help="sysfs root (default /sys)")
    snap.add_argument("--force", action="store_true", help="replace an existing output file")
    snap.add_argument("--from", dest="recording", type=Path, default=None, help="take it from a recording")
    snap.add_argument("--at", default=None, help="with --from: HH:MM:SS from the start (default: its end)")
    add_netns_option(snap)
    ex = sub.add_parser("explain", help="print the note for a counter, sysctl or topic")
    ex.add_argument("name", help="e.g. ListenOverflows, TcpExt.ListenOverflows, net.core.somaxconn, bufferbloat")
    ex.add_argument("--lang", choices=("en", "ja"), default=None, help="default from LANG")
    doc = sub.add_parser("doctor", help="sample, then name what is wrong (exit 0 ok, 1 warning, 2 critical)")
    doc.add_argument("--duration", type=_non_negative, default=5.0, help="seconds to sample (default 5)")
    doc.add_argument("--interval", type=_positive, default=0.05, help="seconds between hot samples (default 0.05)")
    doc.add_argument("--json", action="store_true", help="print the findings as JSON")
    add_netns_option(doc)
    lab = sub.add_parser("lab", help="reproduce a phenomenon in namespaces of its own (root)")
    lab.add_argument("scenario", nargs="?", help="listen-overflow, qdisc-drops, syn-flood, tcp-memory-pressure")
    lab.add_argument("--duration", type=_positive, default=60.0, help="seconds to run (default 60, at most 600)")
    lab.add_argument("--yes", action="store_true", help="allow host-wide changes (tcp-memory-pressure)")
    lab.add_argument("--list", action="store_true", help="list the scenarios")
    lab.add_argument("--cleanup", action="store_true", help="remove what an interrupted lab left behind")
    rec = sub.add_parser("record", help="record every sample to a file, headless")
    rec.add_argument("-o", "--output", required=True, type=Path, help="the recording to write (.ntr)")
    rec.add_argument("--duration", type=_positive, default=None, help="seconds to record (default: until Ctrl-C)")
    rec.add_argument("--interval", type=_positive, default=0.01, help="seconds between hot samples (default 0.01)")
    rec.add_argument("--budget", type=_non_negative, default=2.0, help="percent of one core (default 2; 0: none)")
    rec.add_argument("--force", action="store_true", help="replace an existing file")
    add_netns_option(rec)
    rep = sub.add_parser("replay", help="play a recording in the TUI")
    rep.add_argument("recording", type=Path)
    rep.add_argument("--speed", type=_positive, default=1.0, help="playback speed (default 1)")
    exp = sub.add_parser("export", help="serve /metrics for Prometheus (OpenMetrics and text formats)")
    exp.add_argument("--listen", default="127.0.0.1:9489",
                     help="address:port to serve on (default 127.0.0.1:9489, loopback unless you say otherwise)")
    exp.add_argument("--interval", type=_positive, default=0.01, help="seconds between hot samples (default 0.01)")
    exp.add_argument("--budget", type=_non_negative, default=2.0, help="percent of one core (default 2; 0: none)")
    add_netns_option(exp)
    ns = sub.add_parser("netns", help="list the network namespaces on this host")
    ns.add_argument("--json", action="store_true", help="print JSON")
    return parser


def add_netns_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--netns", metavar="NAME|pid:PID",
                        help="watch a network namespace: a name under /run/netns or pid:PID")


def resolve_netns(spec: str | None) -> "NetnsTarget | None":
    from nettop.collectors.netns import resolve

    return resolve(spec) if spec else None


def cmd_netns(args: argparse.Namespace) -> int:
    from nettop.collectors.netns import list_namespaces

    spaces = list_namespaces()
    try:
        current = os.stat("/proc/thread-self/ns/net").st_ino
    except OSError:
        current = None
    if args.json:
        print(json.dumps([n.as_dict() for n in spaces], indent=2))
        return 0
    print(f"{'INODE':>12}  {'NAME':20}  {'PIDS':>5}  PROCESSES / HOW TO WATCH")
    for n in spaces:
        name = ",".join(n.names) or "-"
        how = f"--netns {n.names[0]}" if n.names else (f"--netns pid:{n.pids[0]}" if n.pids else "")
        procs = ",".join(n.processes) or "-"
        if n.inode == current:
            name = f"{name} (this one)" if n.names else "(this one)"
        print(f"{n.inode:>12}  {name:20}  {len(n.pids):>5}  {procs}  ({how})" if how else
              f"{n.inode:>12}  {name:20}  {len(n.pids):>5}  {procs}")
    return 0


def _cannot_write(path: Path, exc: OSError) -> int:
    """Say why an output file was not written; exit status 1."""
    if isinstance(exc, FileExistsError):
        print(f"nettop: {path} exists; use --force to replace it", file=sys.stderr)
    else:
        print(f"nettop: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
    return 1


class UsageError(Exception):
    """A bad option value: printed as `nettop: ...`, exit 2."""


def _where(args: argparse.Namespace) -> "tuple[ProcRoot, NetnsTarget | None]":
    """The roots and namespace the options name; UsageError says what is wrong with them."""
    from nettop.collectors.netns import NetnsError

    if not args.procfs.is_dir():
        raise UsageError(f"--procfs {args.procfs}: not a directory")
    try:
        return ProcRoot(args.procfs, args.sysfs), resolve_netns(args.netns)
    except NetnsError as exc:
        raise UsageError(str(exc)) from None


def cmd_snapshot(args: argparse.Namespace) -> int:
    from nettop.collectors.atomic import write_atomic
    from nettop.collectors.engine import take_snapshot
    from nettop.collectors.report import format_text

    where = _where(args)
    out_path = None if args.output == "-" else Path(args.output)
    if out_path is not None and out_path.exists() and not args.force:  # before sampling, not after
        return _cannot_write(out_path, FileExistsError(out_path))
    root, target = where
    if args.recording is not None:
        snap_or_error = snapshot_from_recording(args.recording, args.at)
        if isinstance(snap_or_error, int):
            return snap_or_error
        snap = snap_or_error
    else:
        snap = take_snapshot(root, args.duration, args.interval, netns=target)
    text = format_text(snap, args.all) if args.format == "text" else json.dumps(snap, indent=2)
    if out_path is None:
        sys.stdout.write(text + "\n")
        return 0
    try:
        write_atomic(out_path, (text + "\n").encode(), force=args.force)
    except OSError as exc:
        return _cannot_write(out_path, exc)
    print(f"nettop: wrote {out_path}", file=sys.stderr)
    return 0


def _open_recording(path: Path) -> "Player | int":
    from nettop.collectors.recording import RecordingError
    from nettop.collectors.replay import Player

    try:
        player = Player.open(path)
    except (RecordingError, OSError) as exc:
        print(f"nettop: {exc}", file=sys.stderr)
        return 2
    for warning in player.recording.warnings:
        print(f"nettop: warning: {path}: {warning}", file=sys.stderr)
    return player


def snapshot_from_recording(path: Path, at: str | None) -> "dict[str, object] | int":
    from nettop.collectors.snapshot import build_snapshot
    from nettop.tui.datasource import parse_hms

    player = _open_recording(path)
    if isinstance(player, int):
        return player
    rec = player.recording
    try:
        t = rec.end if at is None else rec.start + parse_hms(at)
    except ValueError as exc:
        print(f"nettop: --at: {exc}", file=sys.stderr)
        return 2
    player.seek(t)
    import datetime as dt

    snap = build_snapshot(player.store, ProcRoot(), since=player.position - 1.0, duration_s=1.0,
                          taken_at=dt.datetime.fromtimestamp(rec.wall(player.position), dt.timezone.utc))
    snap["host"].update(hostname=rec.header.get("host"), kernel=rec.header.get("kernel"))
    snap["recording"] = {"file": str(path), "offset_s": round(player.position - rec.start, 3),
                         "warnings": rec.warnings}
    return snap


def budgeted_sampler(args: argparse.Namespace, root: ProcRoot, target: "NetnsTarget | None", store: "Store",
                     recorder: object = None) -> "Sampler":
    """The headless commands' sampler: --interval under --budget (percent of one core, 0: none)."""
    from nettop.collectors.budget import Budget
    from nettop.collectors.sampler import Sampler
    from nettop.collectors.sources import Cadence

    budget = Budget(args.interval, args.budget / 100) if args.budget else None
    return Sampler(root, store, Cadence(hot=args.interval), netns=target, budget=budget, recorder=recorder)


def cmd_record(args: argparse.Namespace) -> int:
    import signal
    import time

    from nettop.collectors.recording import Recorder, make_header
    from nettop.collectors.store import Store

    where = _where(args)
    root, target = where
    recorder = Recorder(args.output, make_header(target.spec if target else None, args.interval), args.force)
    try:
        recorder.open()
    except OSError as exc:
        return _cannot_write(args.output, exc)
    sampler = budgeted_sampler(args, root, target, Store(short_capacity=64, long_seconds=4), recorder=recorder)
    signal.signal(signal.SIGTERM, lambda *_: sampler._stop.set())
    print(f"nettop: recording to {args.output}" + (f" for {args.duration:g} s" if args.duration else
                                                  " until Ctrl-C"), file=sys.stderr)
    sampler.start(until=time.monotonic() + args.duration if args.duration else None)
    try:
        sampler.join()
    except KeyboardInterrupt:
        sampler.stop()
    finally:
        recorder.close()
    print(f"nettop: {recorder.samples} samples, {args.output.stat().st_size:,} bytes", file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    import signal
    import threading

    from prometheus_client import start_http_server

    from nettop.collectors.export import NettopCollector, registry_for
    from nettop.collectors.store import Store

    where = _where(args)
    host, _, port = args.listen.rpartition(":")
    if not host or not port.isdigit():
        print(f"nettop: --listen {args.listen}: expected ADDRESS:PORT", file=sys.stderr)
        return 2
    root, target = where
    store = Store(short_capacity=int(60 / args.interval) + 10, long_seconds=600, max_ring_bytes=8 << 20)
    sampler = budgeted_sampler(args, root, target, store)
    try:
        server, thread = start_http_server(int(port), addr=host.strip("[]"),
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


def cmd_replay(args: argparse.Namespace) -> int:
    from nettop.tui.app import DEFAULT_PANES, NettopApp
    from nettop.tui.datasource import ReplaySource

    checked = _open_recording(args.recording)
    if isinstance(checked, int):
        return checked
    data = ReplaySource(args.recording, args.speed)
    app = NettopApp(data, panes=args.panes or DEFAULT_PANES, refresh=args.refresh,  # type: ignore[arg-type]
                    snapshot_dir=args.snapshot_dir, lang=args.lang or default_lang())
    app.run()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return dispatch(args)
    except UsageError as exc:
        print(f"nettop: {exc}", file=sys.stderr)
        return 2


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "snapshot":
        return cmd_snapshot(args)
    if args.command == "netns":
        return cmd_netns(args)
    if args.command == "lab":
        from nettop.tui.lab import main as lab_main

        return lab_main(args.scenario, args.duration, args.yes, args.list, args.cleanup)
    if args.command == "export":
        return cmd_export(args)
    if args.command == "record":
        return cmd_record(args)
    if args.command == "replay":
        return cmd_replay(args)
    if args.command == "doctor":
        return cmd_doctor(args)
    if args.command == "explain":
        from nettop.tui.explain import explain

        return explain(args.name, args.lang or default_lang(), ProcRoot(args.procfs, args.sysfs))
    return cmd_tui(args)


def cmd_doctor(args: argparse.Namespace) -> int:
    from nettop.collectors.engine import diagnose
    from nettop.collectors.findings import exit_code
    from nettop.collectors.report import format_findings

    where = _where(args)
    root, target = where
    findings, snap = diagnose(root, args.duration, args.interval, target)
    docs = [f.as_dict() for f in findings]
    if args.json:
        print(json.dumps({"findings": docs, "duration_s": snap["duration_s"], "netns": snap["netns"],
                          "exit_code": exit_code(findings)}, indent=2))
    else:
        place = f"namespace {target.spec}" if target else "this host's namespace"
        sys.stdout.write(format_findings(docs, place, snap["duration_s"]))
    return exit_code(findings)


def cmd_tui(args: argparse.Namespace) -> int:
    where = _where(args)
    if not args.snapshot_dir.is_dir():
        raise UsageError(f"--snapshot-dir {args.snapshot_dir}: not a directory")
    from nettop.tui.app import DEFAULT_PANES, NettopApp
    from nettop.tui.datasource import live_source

    root, target = where
    data = live_source(root, target, args.interval, args.budget / 100 if args.budget else None)
    app = NettopApp(data, panes=args.panes or DEFAULT_PANES, refresh=args.refresh,
                    snapshot_dir=args.snapshot_dir, lang=args.lang or default_lang())
    app.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
