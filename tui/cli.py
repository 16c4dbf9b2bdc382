"""`nettop` command line. Sub-commands stay headless: Textual is imported only for the UI."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from nettop.collectors.procfs import ProcRoot

from . import exitcodes

if TYPE_CHECKING:
    from .app import NettopApp


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nettop")
    except PackageNotFoundError:
        return "unknown"


def default_lang() -> str:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


def need_terminal() -> None:
    """The TUI draws on a terminal; without one Textual would spin forever."""
    from .headless import UsageError

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("the TUI needs a terminal on standard input and output; for scripts and pipes use "
                         "`nettop snapshot`, `nettop record` or `nettop export`")


def run_app(app: NettopApp) -> int:
    profile_to = os.environ.get("NETTOP_PROFILE")  # where cProfile's stats of the UI thread go
    if not profile_to:
        app.run()
        return app.return_code or exitcodes.OK
    import cProfile

    with cProfile.Profile() as prof:
        app.run()
    prof.dump_stats(profile_to)
    return app.return_code or exitcodes.OK


def cmd_replay(args: argparse.Namespace) -> int:
    from nettop.tui.app import NettopApp
    from nettop.tui.datasource import ReplaySource
    from nettop.tui.panes import DEFAULT_PANES

    from .headless import open_recording

    player = open_recording(args.recording)
    need_terminal()
    data = ReplaySource(player, args.recording, args.speed)
    return run_app(NettopApp(data, panes=args.panes or DEFAULT_PANES, refresh=args.refresh,
                             snapshot_dir=args.snapshot_dir, lang=args.lang or default_lang()))


def cmd_tui(args: argparse.Namespace) -> int:
    from .headless import UsageError, where

    root, target = where(args)
    if not args.snapshot_dir.is_dir():
        raise UsageError(f"--snapshot-dir {args.snapshot_dir}: not a directory")
    need_terminal()
    from nettop.tui.app import NettopApp
    from nettop.tui.datasource import live_source
    from nettop.tui.panes import DEFAULT_PANES

    data = live_source(root, target, args.interval, args.budget / 100 if args.budget else None)
    return run_app(NettopApp(data, panes=args.panes or DEFAULT_PANES, refresh=args.refresh,
                             snapshot_dir=args.snapshot_dir, lang=args.lang or default_lang()))


def main(argv: list[str] | None = None) -> int:
    from .headless import Failure, UsageError
    from .options import parse

    args = parse(argv, _version)
    try:
        return dispatch(args)
    except UsageError as exc:
        print(f"nettop: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    except Failure as exc:
        print(f"nettop: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return exitcodes.INTERRUPTED


def cmd_lab(args: argparse.Namespace) -> int:
    from nettop.tui.lab import main as lab_main

    return lab_main(args.scenario, args.duration, args.yes, args.list, args.cleanup)


def cmd_explain(args: argparse.Namespace) -> int:
    from nettop.tui.explain import explain

    return explain(" ".join(args.name), args.lang or default_lang(), ProcRoot(args.procfs, args.sysfs),
                   find=args.search)


def dispatch(args: argparse.Namespace) -> int:
    from . import exportcmd, headless

    commands: dict[str | None, Callable[[argparse.Namespace], int]] = {
        "snapshot": headless.cmd_snapshot, "netns": headless.cmd_netns, "lab": cmd_lab,
        "export": exportcmd.cmd_export, "record": headless.cmd_record, "replay": cmd_replay,
        "doctor": headless.cmd_doctor, "explain": cmd_explain, None: cmd_tui}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
