"""The headless commands: snapshot, doctor, record, netns. Textual is never imported here.

Every way a command can fail ends in one line on stderr and an exit code of exitcodes.py:
a usage error (UsageError, 64) or a Failure carrying its code; nothing is half written.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nettop.collectors.procfs import ProcRoot

from . import exitcodes

if TYPE_CHECKING:
    from nettop.collectors.netns import NetnsTarget
    from nettop.collectors.recording import Recorder
    from nettop.collectors.replay import Player
    from nettop.collectors.sampler import Sampler, SampleSink
    from nettop.collectors.store import Store


class UsageError(Exception):
    """A bad option value: printed as `nettop: ...`, exit 64."""


class Failure(Exception):
    """A command that cannot do its work: one line, and the exit code that says which kind."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def where(args: argparse.Namespace) -> tuple[ProcRoot, NetnsTarget | None]:
    """The roots and namespace the options name, checked before anything is written."""
    from nettop.collectors.netns import NetnsError, NetnsPermission, check_enter, resolve

    if not args.procfs.is_dir():
        raise UsageError(f"--procfs {args.procfs}: not a directory")
    if args.netns is None:
        return ProcRoot(args.procfs, args.sysfs), None
    try:
        target = resolve(args.netns)
        check_enter(target)
    except NetnsPermission as exc:
        raise Failure(str(exc), exitcodes.NO_PERMISSION) from None
    except NetnsError as exc:
        raise UsageError(str(exc)) from None
    return ProcRoot(args.procfs, args.sysfs), target


def cannot_write(path: Path, exc: OSError) -> Failure:
    if isinstance(exc, FileExistsError):
        return Failure(f"{path} exists; use --force to replace it", exitcodes.CANT_CREATE)
    return Failure(f"cannot write {path}: {exc.strerror or exc}", exitcodes.CANT_CREATE)


def dump_json(doc: object) -> str:
    """JSON for people and programs: never NaN or Infinity, which JSON does not have."""
    return json.dumps(doc, indent=2, allow_nan=False)


def cmd_netns(args: argparse.Namespace) -> int:
    from nettop.collectors.netns import list_namespaces

    spaces = list_namespaces()
    try:
        current = os.stat("/proc/thread-self/ns/net").st_ino
    except OSError:
        current = None
    if args.json:
        print(dump_json([n.as_dict() for n in spaces]))
        return exitcodes.OK
    print(f"{'INODE':>12}  {'NAME':20}  {'PIDS':>5}  PROCESSES / HOW TO WATCH")
    for n in spaces:
        name = ",".join(n.names) or "-"
        how = f"--netns {n.names[0]}" if n.names else (f"--netns pid:{n.pids[0]}" if n.pids else "")
        if n.inode == current:
            name = f"{name} (this one)" if n.names else "(this one)"
        line = f"{n.inode:>12}  {name:20}  {len(n.pids):>5}  {','.join(n.processes) or '-'}"
        print(f"{line}  ({how})" if how else line)
    return exitcodes.OK


def sampler_outcome(sampler: Sampler) -> Failure | None:
    """Why a finished sampler's figures are incomplete: its namespace went, or it failed."""
    if sampler.failed is not None:
        return Failure(f"sampling failed: {type(sampler.failed).__name__}: {sampler.failed}", exitcodes.SOFTWARE)
    if sampler.gone:
        return Failure(sampler.gone, exitcodes.UNAVAILABLE)
    return None


def cmd_snapshot(args: argparse.Namespace) -> int:
    from nettop.collectors.report import format_text

    if args.at is not None and args.recording_file is None:
        raise UsageError("--at goes with --from RECORDING")
    root, target = where(args)
    out_path = None if args.output == "-" else Path(args.output)
    if out_path is not None and out_path.exists() and not args.force:  # before sampling, not after
        raise cannot_write(out_path, FileExistsError(out_path))
    outcome: Failure | None = None
    if args.recording_file is not None:
        snap = snapshot_from_recording(args.recording_file, args.at)
    else:
        from nettop.collectors.engine import sample_for, snapshot_of

        sampler, start = sample_for(root, args.duration, args.interval, target)
        outcome = sampler_outcome(sampler)
        snap = snapshot_of(sampler, start, target)
    text = format_text(snap, args.all) if args.format == "text" else dump_json(snap)
    write_output(out_path, text, args.force)
    if outcome is not None:
        raise outcome
    return exitcodes.OK


def write_output(path: Path | None, text: str, force: bool) -> None:
    if path is None:
        sys.stdout.write(text + "\n")
        return
    from nettop.collectors.atomic import write_atomic

    try:
        write_atomic(path, (text + "\n").encode(), force=force)
    except OSError as exc:
        raise cannot_write(path, exc) from None
    print(f"nettop: wrote {path}", file=sys.stderr)


def open_recording(path: Path) -> Player:
    from nettop.collectors.recording import RecordingError
    from nettop.collectors.replay import Player

    try:
        player = Player.open(path)
    except RecordingError as exc:
        raise Failure(str(exc), exitcodes.DATA) from None
    except OSError as exc:
        raise Failure(f"cannot read {path}: {exc.strerror or exc}", exitcodes.NO_INPUT) from None
    for warning in player.recording.warnings:
        print(f"nettop: warning: {path}: {warning}", file=sys.stderr)
    return player


def recording_time(player: Player, at: str | None) -> float:
    """The recorded time `--at` names (its end by default); a usage error outside the recording."""
    from nettop.tui.datasource import hms, parse_hms

    rec = player.recording
    if at is None:
        return rec.end
    try:
        offset = parse_hms(at)
    except ValueError as exc:
        raise UsageError(f"--at: {exc}") from None
    if offset > rec.end - rec.start:
        raise UsageError(f"--at {at}: the recording lasts {hms(rec.end - rec.start)}")
    return rec.start + offset


def snapshot_from_recording(path: Path, at: str | None) -> dict[str, Any]:
    from nettop.collectors.snapshot import recorded_snapshot

    player = open_recording(path)
    player.seek(recording_time(player, at))
    return recorded_snapshot(player, path)


def cmd_doctor(args: argparse.Namespace) -> int:
    from nettop.collectors.engine import diagnose
    from nettop.collectors.findings import exit_code
    from nettop.collectors.report import format_findings

    if args.duration <= 0:
        raise UsageError("--duration: doctor needs some time to sample, more than 0 seconds")
    root, target = where(args)
    findings, snap, sampler = diagnose(root, args.duration, args.interval, target)
    docs = [f.as_dict() for f in findings]
    if args.json:
        print(dump_json({"findings": docs, "duration_s": snap["duration_s"], "netns": snap["netns"],
                         "exit_code": exit_code(findings)}))
    else:
        place = f"namespace {target.spec}" if target else "this host's namespace"
        sys.stdout.write(format_findings(docs, place, snap["duration_s"]))
    outcome = sampler_outcome(sampler)
    if outcome is not None:
        raise outcome
    return exit_code(findings)


def budgeted_sampler(args: argparse.Namespace, root: ProcRoot, target: NetnsTarget | None, store: Store,
                     recorder: SampleSink | None = None) -> Sampler:
    """The headless commands' sampler: --interval under --budget (percent of one core, 0: none)."""
    from nettop.collectors.budget import Budget
    from nettop.collectors.sampler import Sampler
    from nettop.collectors.tiers import Cadence

    budget = Budget(args.interval, args.budget / 100) if args.budget else None
    return Sampler(root, store, Cadence.for_interval(args.interval), netns=target, budget=budget, recorder=recorder)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def stop_on_signals(stop: threading.Event) -> None:
    """SIGINT, SIGTERM and SIGHUP (the SSH session closed) all stop a headless command cleanly."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, lambda *_: stop.set())


def cmd_record(args: argparse.Namespace) -> int:
    from nettop.collectors.recording import Recorder, make_header
    from nettop.collectors.store import Store

    if args.output is None:
        raise UsageError("record needs -o FILE")
    root, target = where(args)
    recorder = Recorder(Path(args.output), make_header(target.spec if target else None, args.interval), args.force)
    try:
        recorder.open()
    except OSError as exc:
        raise cannot_write(Path(args.output), exc) from None
    sampler = budgeted_sampler(args, root, target, Store(short_capacity=64, long_seconds=4), recorder=recorder)
    stop = threading.Event()
    stop_on_signals(stop)
    print(f"nettop: recording to {args.output}" + (f" for {args.duration:g} s" if args.duration else
                                                  " until Ctrl-C"), file=sys.stderr)
    try:
        record_until(sampler, recorder, stop, args.duration)
    finally:
        sampler.stop()
        recorder.close()
    return recording_outcome(sampler, recorder, Path(args.output))


def record_until(sampler: Sampler, recorder: Recorder, stop: threading.Event, duration: float | None) -> None:
    """Sample until the duration ends, a signal comes, the disk is full or the namespace goes."""
    end = time.monotonic() + duration if duration else None
    sampler.start(until=end)
    while sampler.running and not stop.is_set() and recorder.failed is None:
        stop.wait(0.2)


def recording_outcome(sampler: Sampler, recorder: Recorder, path: Path) -> int:
    size = path.stat().st_size if path.exists() else 0
    print(f"nettop: {recorder.samples} samples, {size:,} bytes in {path}", file=sys.stderr)
    if recorder.failed:
        raise Failure(f"recording stopped: {recorder.failed}; the file is readable up to its last second",
                      exitcodes.IO_ERROR)
    outcome = sampler_outcome(sampler)
    if outcome is not None:
        raise outcome
    return exitcodes.OK
