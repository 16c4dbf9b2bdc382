"""Recordings: what a replay shows equals what the recorder saw; damage loses only what it hit."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, K, make_recording
from nettop.collectors import keys
from nettop.collectors.procfs import ProcRoot
from nettop.collectors.recording import (
    CHUNK_HEAD,
    FILE_MAGIC,
    Recorder,
    RecordingError,
    _chunk,
    make_header,
    read_recording,
)
from nettop.collectors.replay import Player
from nettop.collectors.sampler import Sampler
from nettop.collectors.snapshot import build_snapshot
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
            want = live.window(K(source))
            got = player.store.window(K(source))
            assert want is not None and got is not None
            n = sum(1 for x in want.ts if x <= t + 1e-6)
            assert len(got) == n, source
            assert list(got.data) == list(want.data)[: n * len(want.columns)], source
            assert got.columns == want.columns
    assert player.store.latest(K("netstat"))[1] == live.latest(K("netstat"))[1]
    assert player.store.detail(K("listeners")) == live.detail(K("listeners"))
    assert player.store.latest(K("snmp"))[1]["Tcp.OutSegs"] > 0


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
    assert player.store.latest(K("netstat"))[1]


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
    other = tmp_path / "v99.ntr"
    other.write_bytes(FILE_MAGIC + _chunk([{"k": "header", "format": "nettop.recording/99"}]))
    proc = subprocess.run([*NETTOP, "snapshot", "--from", str(other)], capture_output=True, text=True)
    assert proc.returncode == 2 and "nettop.recording/99" in proc.stderr


def test_a_version_1_recording_still_replays_with_every_detail() -> None:
    """Made by nettop 0.1 (`nettop record --netns X`, a veth with htb 1: -> 1:20 -> pfifo 20: and a
    listener): details had a shape per source and /proc/net/dev its /proc names then."""
    rec = read_recording(FIXTURES / "recordings" / "v1-netns.ntr")
    assert rec.header["format"] == "nettop.recording/1" and not rec.warnings
    player = Player(rec)
    player.seek(rec.end)
    store = player.store
    links = store.detail(keys.LINKS)
    assert links and {"lo", "v0", "v0p"} <= {link.name for link in links.values()}
    classes = store.detail(keys.CLASSES)
    assert classes and classes[0].kind == "htb" and classes[0].options["rate"] == 125000
    assert {q.kind for q in store.detail(keys.QDISCS) or []} >= {"htb", "pfifo"}
    assert [s.local for s in store.detail(keys.LISTENERS) or []] == ["127.0.0.1:8080"]
    assert "TCP" in (store.detail(keys.PROTOCOLS) or {})
    assert "v0/rx_dropped" in store.latest(keys.DEV)[1]  # /proc/net/dev's `drop`, renamed
    snap = build_snapshot(store, ProcRoot(), since=rec.end - 1.0, duration_s=1.0)
    assert snap["classes"][0]["rate"] == 125000 and snap["interfaces"]["v0"]["kind"] == "veth"


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
