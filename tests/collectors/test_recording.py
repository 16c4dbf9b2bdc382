"""Recordings: what a replay shows equals what the recorder saw; damage loses only what it hit."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import make_recording
from nettop.collectors.procfs import ProcRoot
from nettop.collectors.recording import (CHUNK_HEAD, FILE_MAGIC, Recorder, RecordingError, _chunk, make_header,
                                         read_recording)
from nettop.collectors.replay import Player
from nettop.collectors.sampler import Sampler
from nettop.collectors.sources import Cadence
from nettop.collectors.store import Store

NETTOP = [sys.executable, "-m", "nettop.tui.cli"]


def test_replay_equals_what_the_recorder_saw(tmp_path: Path, loopback_traffic) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "live.ntr"
    recorder = Recorder(path, make_header(None, 0.02))
    recorder.open()
    live = Store(short_capacity=2000)
    sampler = Sampler(ProcRoot(), live, Cadence(hot=0.02, warm=0.2, cold=0.5), recorder=recorder)
    with loopback_traffic():
        sampler.start(until=time.monotonic() + 2.5)
        sampler.join()
    recorder.close()
    rec = read_recording(path)
    assert rec.warnings == [] and len(rec.samples) == recorder.samples
    for fraction in (0.25, 0.5, 0.75, 1.0):
        t = rec.start + fraction * (rec.end - rec.start)
        player = Player(rec)
        player.seek(t)
        for source in ("netstat", "dev", "link_stats", "qdiscs", "listeners", "softnet_stat"):
            want = live.window(source)
            got = player.store.window(source)
            assert want is not None and got is not None
            n = sum(1 for x in want.ts if x <= t + 1e-6)
            assert len(got) == n, source
            assert list(got.data) == list(want.data)[: n * len(want.columns)], source
            assert got.columns == want.columns
    assert player.store.latest("netstat")[1] == live.latest("netstat")[1]
    assert player.store.detail("listeners") == live.detail("listeners")
    assert player.store.latest("snmp")[1]["Tcp.OutSegs"] > 0


def test_a_recorder_killed_with_sigkill_leaves_a_readable_file(tmp_path: Path) -> None:
    path = tmp_path / "killed.ntr"
    proc = subprocess.Popen([*NETTOP, "record", "-o", str(path), "--interval", "0.02"], stderr=subprocess.PIPE)
    time.sleep(3.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    rec = read_recording(path)
    assert len(rec.samples) > 20
    assert rec.end - rec.start >= 1.0
    player = Player(rec)
    player.seek(rec.end)
    assert player.store.latest("netstat")[1]


def test_a_damaged_chunk_in_the_middle_is_skipped_with_a_warning(tmp_path: Path) -> None:
    path = make_recording(tmp_path / "ok.ntr")
    good = read_recording(path)
    data = bytearray(path.read_bytes())
    offsets, off = [], len(FILE_MAGIC)
    while off < len(data):
        _, length, _ = CHUNK_HEAD.unpack_from(data, off)
        offsets.append(off)
        off += CHUNK_HEAD.size + length
    assert len(offsets) >= 4  # header + several one-second chunks
    victim = offsets[2]
    data[victim + CHUNK_HEAD.size + 5] ^= 0xFF
    damaged = tmp_path / "damaged.ntr"
    damaged.write_bytes(bytes(data))
    rec = read_recording(damaged)
    assert any("damaged chunk" in w for w in rec.warnings)
    assert 0 < len(rec.samples) < len(good.samples)
    assert rec.end == good.end  # the chunks after the damage still stand alone
    proc = subprocess.run([*NETTOP, "snapshot", "--from", str(damaged)], capture_output=True, text=True)
    assert proc.returncode == 0 and "damaged chunk" in proc.stderr


def test_truncated_file_replays_up_to_its_last_good_chunk(tmp_path: Path) -> None:
    path = make_recording(tmp_path / "ok.ntr")
    data = path.read_bytes()
    cut = tmp_path / "cut.ntr"
    cut.write_bytes(data[: len(data) - 40])
    rec = read_recording(cut)
    assert any("truncated" in w for w in rec.warnings) and rec.samples


def test_not_a_recording_and_other_versions_are_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.ntr"
    junk.write_bytes(b"hello\n")
    with pytest.raises(RecordingError):
        read_recording(junk)
    proc = subprocess.run([*NETTOP, "replay", str(junk)], capture_output=True, text=True)
    assert proc.returncode == 2 and "not a nettop recording" in proc.stderr
    other = tmp_path / "v2.ntr"
    other.write_bytes(FILE_MAGIC + _chunk([{"k": "header", "format": "nettop.recording/2"}]))
    proc = subprocess.run([*NETTOP, "snapshot", "--from", str(other)], capture_output=True, text=True)
    assert proc.returncode == 2 and "nettop.recording/2" in proc.stderr


def test_snapshot_from_a_recording_at_a_moment(tmp_path: Path) -> None:
    path = make_recording(tmp_path / "r.ntr")
    out = subprocess.run([*NETTOP, "snapshot", "--from", str(path), "--at", "00:00:02"], capture_output=True,
                         text=True, check=True).stdout
    snap = json.loads(out)
    assert snap["counters"]["TcpExt.ListenOverflows"]["value"] == 20 * 7  # the sample at +2.0 s
    assert snap["counters"]["TcpExt.ListenOverflows"]["rate"] == pytest.approx(70.0)
    assert snap["host"]["hostname"] == "recorded-host" and snap["recording"]["offset_s"] == 2.0
    bad = subprocess.run([*NETTOP, "snapshot", "--from", str(path), "--at", "soon"], capture_output=True, text=True)
    assert bad.returncode == 2


def test_recording_is_private_and_not_clobbered(tmp_path: Path) -> None:
    path = make_recording(tmp_path / "r.ntr")
    assert (path.stat().st_mode & 0o777) == 0o600
    proc = subprocess.run([*NETTOP, "record", "-o", str(path), "--duration", "0.2"], capture_output=True, text=True)
    assert proc.returncode == 1 and "--force" in proc.stderr
