"""The headless commands: snapshot, doctor, record, export, netns. Textual is never imported here."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from nettop.collectors.procfs import ProcRoot

if TYPE_CHECKING:
    from nettop.collectors.netns import NetnsTarget
    from nettop.collectors.replay import Player
    from nettop.collectors.sampler import Sampler, SampleSink
    from nettop.collectors.store import Store


class UsageError(Exception):
    """A bad option value: printed as `nettop: ...`, exit 2."""


def resolve_netns(spec: str | None) -> NetnsTarget | None:
    from nettop.collectors.netns import resolve

    return resolve(spec) if spec else None


def where(args: argparse.Namespace) -> tuple[ProcRoot, NetnsTarget | None]:
    """The roots and namespace the options name; UsageError says what is wrong with them."""
    from nettop.collectors.netns import NetnsError

    if not args.procfs.is_dir():
        raise UsageError(f"--procfs {args.procfs}: not a directory")
    try:
        return ProcRoot(args.procfs, args.sysfs), resolve_netns(args.netns)
    except NetnsError as exc:
        raise UsageError(str(exc)) from None


def cannot_write(path: Path, exc: OSError) -> int:
    """Say why an output file was not written; exit status 1."""
    if isinstance(exc, FileExistsError):
        print(f"nettop: {path} exists; use --force to replace it", file=sys.stderr)
    else:
        print(f"nettop: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
    return 1


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


def cmd_snapshot(args: argparse.Namespace) -> int:
    from nettop.collectors.atomic import write_atomic
    from nettop.collectors.engine import take_snapshot
    from nettop.collectors.report import format_text

    root, target = where(args)
    out_path = None if args.output == "-" else Path(args.output)
    if out_path is not None and out_path.exists() and not args.force:  # before sampling, not after
        return cannot_write(out_path, FileExistsError(out_path))
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
        return cannot_write(out_path, exc)
    print(f"nettop: wrote {out_path}", file=sys.stderr)
    return 0


def open_recording(path: Path) -> Player | int:
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


def snapshot_from_recording(path: Path, at: str | None) -> dict[str, object] | int:
    from nettop.collectors.snapshot import build_snapshot
    from nettop.tui.datasource import parse_hms

    player = open_recording(path)
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
                          taken_at=dt.datetime.fromtimestamp(rec.wall(player.position), dt.UTC))
    snap["host"].update(hostname=rec.header.get("host"), kernel=rec.header.get("kernel"))
    snap["recording"] = {"file": str(path), "offset_s": round(player.position - rec.start, 3),
                         "warnings": rec.warnings}
    return snap


def cmd_doctor(args: argparse.Namespace) -> int:
    from nettop.collectors.engine import diagnose
    from nettop.collectors.findings import exit_code
    from nettop.collectors.report import format_findings

    root, target = where(args)
    findings, snap = diagnose(root, args.duration, args.interval, target)
    docs = [f.as_dict() for f in findings]
    if args.json:
        print(json.dumps({"findings": docs, "duration_s": snap["duration_s"], "netns": snap["netns"],
                          "exit_code": exit_code(findings)}, indent=2))
    else:
        place = f"namespace {target.spec}" if target else "this host's namespace"
        sys.stdout.write(format_findings(docs, place, snap["duration_s"]))
    return exit_code(findings)


def budgeted_sampler(args: argparse.Namespace, root: ProcRoot, target: NetnsTarget | None, store: Store,
                     recorder: SampleSink | None = None) -> Sampler:
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

    root, target = where(args)
    recorder = Recorder(args.output, make_header(target.spec if target else None, args.interval), args.force)
    try:
        recorder.open()
    except OSError as exc:
        return cannot_write(args.output, exc)
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
