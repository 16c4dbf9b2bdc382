"""`nettop` command line. Sub-commands stay headless: Textual is imported only for the UI."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from nettop.collectors.procfs import ProcRoot

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]  # what add_subparsers() gives; no public name


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


def _panes(text: str) -> list[str]:
    from nettop.tui.panes import UnknownPane, parse_panes

    try:
        return parse_panes(text)
    except UnknownPane as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def default_lang() -> str:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nettop", description="htop for the Linux network stack")
    parser.add_argument("--version", action="version", version=f"nettop {_version()}")
    _add_tui_options(parser)
    sub = parser.add_subparsers(dest="command")
    for add in (_add_snapshot, _add_explain, _add_doctor, _add_lab, _add_record, _add_replay, _add_export,
                _add_netns):
        add(sub)
    return parser


def _add_roots(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--procfs", type=Path, default=Path("/proc"), help="procfs root (default /proc)")
    parser.add_argument("--sysfs", type=Path, default=Path("/sys"), help="sysfs root (default /sys)")


def _add_sampling(parser: argparse.ArgumentParser, interval: float, budget: bool = True) -> None:
    parser.add_argument("--interval", type=_positive, default=interval,
                        help=f"seconds between hot samples (default {interval:g})")
    if budget:
        parser.add_argument("--budget", type=_non_negative, default=2.0,
                            help="percent of one core the sampler may use; 0 for no limit (default 2)")


def _add_tui_options(parser: argparse.ArgumentParser) -> None:
    _add_sampling(parser, 0.01)
    parser.add_argument("--refresh", type=_positive, default=0.5, help="seconds between UI frames (default 0.5)")
    parser.add_argument("--panes", type=_panes, default=None,
                        help="panes to show by key or name, e.g. 1,3,4 or overview,counters")
    parser.add_argument("--lang", choices=("en", "ja"), default=None, help="notes language (default from LANG)")
    parser.add_argument("--snapshot-dir", type=Path, default=Path("."), help="where `s` writes snapshots")
    _add_roots(parser)
    add_netns_option(parser)


def _add_snapshot(sub: Subparsers) -> None:
    snap = sub.add_parser("snapshot", help="sample for a while and write the whole state (JSON or text)")
    snap.add_argument("--duration", type=_non_negative, default=1.0, help="seconds to sample (default 1)")
    _add_sampling(snap, 0.1, budget=False)
    snap.add_argument("-o", "--output", default="-", help="file to write, '-' for stdout (default)")
    snap.add_argument("--format", choices=("json", "text"), default="json")
    snap.add_argument("--all", action="store_true", help="text: show zero rows too")
    _add_roots(snap)
    snap.add_argument("--force", action="store_true", help="replace an existing output file")
    snap.add_argument("--from", dest="recording", type=Path, default=None, help="take it from a recording")
    snap.add_argument("--at", default=None, help="with --from: HH:MM:SS from the start (default: its end)")
    add_netns_option(snap)


def _add_explain(sub: Subparsers) -> None:
    ex = sub.add_parser("explain", help="print the note for a counter, sysctl or topic")
    ex.add_argument("name", help="e.g. ListenOverflows, TcpExt.ListenOverflows, net.core.somaxconn, bufferbloat")
    ex.add_argument("--lang", choices=("en", "ja"), default=None, help="default from LANG")


def _add_doctor(sub: Subparsers) -> None:
    doc = sub.add_parser("doctor", help="sample, then name what is wrong (exit 0 ok, 1 warning, 2 critical)")
    doc.add_argument("--duration", type=_non_negative, default=5.0, help="seconds to sample (default 5)")
    _add_sampling(doc, 0.05, budget=False)
    doc.add_argument("--json", action="store_true", help="print the findings as JSON")
    add_netns_option(doc)


def _add_lab(sub: Subparsers) -> None:
    lab = sub.add_parser("lab", help="reproduce a phenomenon in namespaces of its own (root)")
    lab.add_argument("scenario", nargs="?", help="listen-overflow, qdisc-drops, syn-flood, tcp-memory-pressure")
    lab.add_argument("--duration", type=_positive, default=60.0, help="seconds to run (default 60, at most 600)")
    lab.add_argument("--yes", action="store_true", help="allow host-wide changes (tcp-memory-pressure)")
    lab.add_argument("--list", action="store_true", help="list the scenarios")
    lab.add_argument("--cleanup", action="store_true", help="remove what an interrupted lab left behind")


def _add_record(sub: Subparsers) -> None:
    rec = sub.add_parser("record", help="record every sample to a file, headless")
    rec.add_argument("-o", "--output", required=True, type=Path, help="the recording to write (.ntr)")
    rec.add_argument("--duration", type=_positive, default=None, help="seconds to record (default: until Ctrl-C)")
    _add_sampling(rec, 0.01)
    rec.add_argument("--force", action="store_true", help="replace an existing file")
    add_netns_option(rec)


def _add_replay(sub: Subparsers) -> None:
    rep = sub.add_parser("replay", help="play a recording in the TUI")
    rep.add_argument("recording", type=Path)
    rep.add_argument("--speed", type=_positive, default=1.0, help="playback speed (default 1)")


def _add_export(sub: Subparsers) -> None:
    exp = sub.add_parser("export", help="serve /metrics for Prometheus (OpenMetrics and text formats)")
    exp.add_argument("--listen", default="127.0.0.1:9489",
                     help="address:port to serve on (default 127.0.0.1:9489, loopback unless you say otherwise)")
    _add_sampling(exp, 0.01)
    add_netns_option(exp)


def _add_netns(sub: Subparsers) -> None:
    ns = sub.add_parser("netns", help="list the network namespaces on this host")
    ns.add_argument("--json", action="store_true", help="print JSON")


def add_netns_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--netns", metavar="NAME|pid:PID",
                        help="watch a network namespace: a name under /run/netns or pid:PID")


def cmd_replay(args: argparse.Namespace) -> int:
    from nettop.tui.app import NettopApp
    from nettop.tui.datasource import ReplaySource
    from nettop.tui.panes import DEFAULT_PANES

    from .headless import open_recording

    player = open_recording(args.recording)
    if isinstance(player, int):
        return player
    data = ReplaySource(player, args.recording, args.speed)
    app = NettopApp(data, panes=args.panes or DEFAULT_PANES, refresh=args.refresh,
                    snapshot_dir=args.snapshot_dir, lang=args.lang or default_lang())
    app.run()
    return app.return_code or 0


def cmd_tui(args: argparse.Namespace) -> int:
    from .headless import UsageError, where

    root, target = where(args)
    if not args.snapshot_dir.is_dir():
        raise UsageError(f"--snapshot-dir {args.snapshot_dir}: not a directory")
    from nettop.tui.app import NettopApp
    from nettop.tui.datasource import live_source
    from nettop.tui.panes import DEFAULT_PANES

    data = live_source(root, target, args.interval, args.budget / 100 if args.budget else None)
    app = NettopApp(data, panes=args.panes or DEFAULT_PANES, refresh=args.refresh,
                    snapshot_dir=args.snapshot_dir, lang=args.lang or default_lang())
    app.run()
    return app.return_code or 0


def main(argv: list[str] | None = None) -> int:
    from .headless import UsageError

    args = build_parser().parse_args(argv)
    try:
        return dispatch(args)
    except UsageError as exc:
        print(f"nettop: {exc}", file=sys.stderr)
        return 2


def cmd_lab(args: argparse.Namespace) -> int:
    from nettop.tui.lab import main as lab_main

    return lab_main(args.scenario, args.duration, args.yes, args.list, args.cleanup)


def cmd_explain(args: argparse.Namespace) -> int:
    from nettop.tui.explain import explain

    return explain(args.name, args.lang or default_lang(), ProcRoot(args.procfs, args.sysfs))


def dispatch(args: argparse.Namespace) -> int:
    from . import exportcmd, headless

    commands: dict[str | None, Callable[[argparse.Namespace], int]] = {
        "snapshot": headless.cmd_snapshot, "netns": headless.cmd_netns, "lab": cmd_lab,
        "export": exportcmd.cmd_export, "record": headless.cmd_record, "replay": cmd_replay,
        "doctor": headless.cmd_doctor, "explain": cmd_explain, None: cmd_tui}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
