"""`nettop` command line. Sub-commands stay headless: Textual is imported only for the UI."""

from __future__ import annotations

import argparse
import json
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from nettop.collectors.procfs import ProcRoot


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nettop", description="htop for the Linux network stack")
    parser.add_argument("--version", action="version", version=f"nettop {_version()}")
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
    return parser


def cmd_snapshot(args: argparse.Namespace) -> int:
    from nettop.collectors.atomic import write_atomic
    from nettop.collectors.engine import take_snapshot
    from nettop.collectors.report import format_text

    if not args.procfs.is_dir():
        print(f"nettop: --procfs {args.procfs}: not a directory", file=sys.stderr)
        return 2
    out_path = None if args.output == "-" else Path(args.output)
    if out_path is not None and out_path.exists() and not args.force:
        print(f"nettop: {out_path} exists; use --force to replace it", file=sys.stderr)
        return 1
    snap = take_snapshot(ProcRoot(args.procfs, args.sysfs), args.duration, args.interval)
    text = format_text(snap, args.all) if args.format == "text" else json.dumps(snap, indent=2)
    if out_path is None:
        sys.stdout.write(text + "\n")
        return 0
    try:
        write_atomic(out_path, (text + "\n").encode(), force=args.force)
    except FileExistsError:
        print(f"nettop: {out_path} exists; use --force to replace it", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"nettop: cannot write {out_path}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"nettop: wrote {out_path}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "snapshot":
        return cmd_snapshot(args)
    print("nettop: the interactive UI is not built yet; try `nettop snapshot --format text`",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
