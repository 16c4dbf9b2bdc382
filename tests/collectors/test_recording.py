"""Recordings: what a replay shows equals what the recorder saw; damage loses only what it hit."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, FrozenClock, K, make_recording, root_only
from nettop.collectors import keys, recording_legacy
from nettop.collectors import recording_v3 as v3
from nettop.collectors.keys import Key
from nettop.collectors.procfs import ProcRoot
from nettop.collectors.recording import (
    FILE_MAGIC,
    Recorder,
    RecordingError,
    make_header,
    read_recording,
)
from nettop.collectors.replay import Player
from nettop.collectors.sampler import Sampler
from nettop.collectors.snapshot import build_snapshot
from nettop.collectors.store import Store
from nettop.collectors.tiers import Cadence
from nettop.tui import exitcodes

NETTOP = [sys.executable, "-m", "nettop.tui.cli"]


def chunks(data: bytes) -> list[tuple[int, int]]:
    """(offset, size) of every v3 chunk, head included."""
    out, off = [], len(FILE_MAGIC)
    while off < len(data):
        _, meta_len, body_len, _, _ = v3.HEAD.unpack_from(data, off)
        size = v3.HEAD.size + meta_len + body_len
        out.append((off, size))
        off += size
    return out


def damaged(path: Path, victims: list[int], tmp_path: Path) -> Path:
    """A copy with one byte of each victim chunk's compressed data flipped."""
    data = bytearray(path.read_bytes())
    spans = chunks(bytes(data))
    for k in victims:
        off, size = spans[k]
        data[off + v3.HEAD.size + (size - v3.HEAD.size) // 2] ^= 0x40
    out = tmp_path / f"damaged-{'-'.join(map(str, victims))}.ntr"
    out.write_bytes(bytes(data))
    return out


class KeptDetails:
    """The recorder, and beside it each detail it kept (once a second): what a replay shows."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder, self.kept = recorder, {}

    def sample(self, key: Key[Any], t: float, names: tuple[str, ...], values: list[int], detail: object) -> None:
        self.recorder.sample(key, t, names, values, detail)
        if self.recorder._detail_at.get(key.name) == t:
            self.kept[key.name] = detail

    def down(self, key: Key[Any], t: float, reason: str, applicable: bool) -> None:
        self.recorder.down(key, t, reason, applicable)


def test_replay_equals_what_the_recorder_saw(tmp_path: Path, loopback_traffic) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "live.ntr"
    recorder = Recorder(path, make_header(None, 0.02))
    recorder.open()
    live = Store(short_capacity=2000)
    tee = KeptDetails(recorder)
    sampler = Sampler(ProcRoot(), live, Cadence(hot=0.02, warm=0.2, cold=0.5), recorder=tee)
    with loopback_traffic():
        sampler.start(until=time.monotonic() + 2.5)
        sampler.join()
    recorder.close()
    rec = read_recording(path)
    assert rec.warnings == [] and len(rec.samples) == recorder.samples and recorder.failed is None
    assert rec.header["format"] == "nettop.recording/3"
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
            assert list(got.ts) == pytest.approx(list(want.ts)[:n], abs=1e-6)  # kept to the microsecond
            if source != "listeners":  # other tests' listeners come and go while this one runs
                assert got.columns == want.columns, source
            common = [c for c in got.columns if c in want.columns]
            assert common, source
            for c in common:
                assert _nan_is_none(got.column(c)) == _nan_is_none(want.column(c)[:n]), (source, c)
    assert player.store.latest(K("netstat"))[1] == live.latest(K("netstat"))[1]
    for source in ("listeners", "qdiscs", "links", "protocols", "sysctl"):
        assert player.store.detail(K(source)) == tee.kept[source], source
    assert player.store.latest(K("snmp"))[1]["Tcp.OutSegs"] > 0


def _nan_is_none(values: Iterable[float]) -> list[float | None]:
    return [None if x != x else x for x in values]


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


def test_a_damaged_chunk_loses_its_second_and_nothing_else(tmp_path: Path) -> None:
    path = make_recording(tmp_path / "ok.ntr", steps=60)
    good = read_recording(path)
    spans = chunks(path.read_bytes())
    assert len(spans) == len(good.chunks) + 1 >= 6  # the header's own chunk, then one a second
    for victim in range(len(spans)):  # the header chunk included
        rec = read_recording(damaged(path, [victim], tmp_path))
        assert rec.header == good.header
        assert any("damaged chunk" in w for w in rec.warnings)
        lost = good.chunks[victim - 1].count if victim else 0
        assert len(rec.samples) == len(good.samples) - lost, victim
        if victim != len(spans) - 1:
            assert rec.end == good.end  # the chunks after the damage still stand alone
    proc = subprocess.run([*NETTOP, "snapshot", "--from", str(damaged(path, [2], tmp_path))],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and "damaged chunk" in proc.stderr


def test_the_header_and_column_names_survive_the_loss_of_their_first_copies(tmp_path: Path) -> None:
    """The header and each set of names ride in the first two chunks and every tenth."""
    path = make_recording(tmp_path / "ok.ntr", steps=140)
    good = read_recording(path)
    rec = read_recording(damaged(path, [0, 1, 2], tmp_path))
    assert rec.header == good.header
    assert len(rec.samples) == len(good.samples) - good.chunks[0].count - good.chunks[1].count
    assert not any("column names" in w for w in rec.warnings)
    assert rec.start == good.start + 2.0
    player = Player(rec)
    player.seek(rec.start + 1.0)  # a chunk whose names were only in the damaged ones: from the tenth
    assert player.store.latest(keys.NETSTAT)[1]["TcpExt.ListenOverflows"] == 7 * 30


def test_truncated_file_replays_up_to_its_last_good_chunk(tmp_path: Path) -> None:
    path = make_recording(tmp_path / "ok.ntr")
    data = path.read_bytes()
    good = read_recording(path)
    cut = tmp_path / "cut.ntr"
    cut.write_bytes(data[: len(data) - 40])
    rec = read_recording(cut)
    assert any("truncated" in w for w in rec.warnings)
    assert len(rec.samples) == len(good.samples) - good.chunks[-1].count
    cut.write_bytes(data[: chunks(data)[-1][0] + 7])  # mid-head
    assert any("truncated" in w for w in read_recording(cut).warnings)


def test_not_a_recording_and_other_versions_are_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.ntr"
    junk.write_bytes(b"hello\n")
    with pytest.raises(RecordingError, match="not a nettop recording"):
        read_recording(junk)
    proc = subprocess.run([*NETTOP, "replay", str(junk)], capture_output=True, text=True)
    assert proc.returncode == exitcodes.DATA and "not a nettop recording" in proc.stderr
    other = tmp_path / "v99.ntr"
    other.write_bytes(FILE_MAGIC + recording_legacy.chunk([{"k": "header", "format": "nettop.recording/99"}]))
    proc = subprocess.run([*NETTOP, "snapshot", "--from", str(other)], capture_output=True, text=True)
    assert proc.returncode == exitcodes.DATA and "nettop.recording/99" in proc.stderr
    v4 = tmp_path / "v4.ntr"
    header = v3.Header(format="nettop.recording/4")
    v4.write_bytes(FILE_MAGIC + v3.encode_chunk(v3.PendingChunk(0, [], [], [], header, {})))
    with pytest.raises(RecordingError, match=r"nettop\.recording/4"):
        read_recording(v4)
    v4.write_bytes(FILE_MAGIC + b"NTR4" + bytes(40))  # a framing this nettop does not know
    with pytest.raises(RecordingError, match="version"):
        read_recording(v4)
    empty = tmp_path / "empty.ntr"
    empty.write_bytes(FILE_MAGIC)
    with pytest.raises(RecordingError, match="header"):
        read_recording(empty)


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
    assert store.status(keys.BQL).down  # its down record, replayed
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
    assert bad.returncode == exitcodes.USAGE


def test_recording_is_private_and_not_clobbered(tmp_path: Path) -> None:
    path = make_recording(tmp_path / "r.ntr")
    assert (path.stat().st_mode & 0o777) == 0o600
    proc = subprocess.run([*NETTOP, "record", "-o", str(path), "--duration", "0.2"], capture_output=True, text=True)
    assert proc.returncode == exitcodes.CANT_CREATE and "--force" in proc.stderr


def test_a_value_the_format_cannot_hold_loses_its_block_not_the_recording(tmp_path: Path) -> None:
    clock = FrozenClock(100.0)
    recorder = Recorder(tmp_path / "big.ntr", make_header(None, 0.1), clock=clock)
    recorder.open()
    for step in range(25):
        clock.now = 100.0 + step * 0.1
        recorder.sample(keys.NETSTAT, clock.now, ("a",), [step], None)
        recorder.sample(keys.SNMP, clock.now, ("b",), [2**70 if step == 3 else step], None)  # past 64 bits
    recorder.close()
    assert recorder.failed is None and recorder.skipped == 1
    rec = read_recording(tmp_path / "big.ntr")
    assert rec.warnings == []
    assert sum(s.key is keys.NETSTAT for s in rec.samples) == 25
    assert sum(s.key is keys.SNMP for s in rec.samples) == 25 - 10  # the first second's block of snmp


@contextlib.contextmanager
def tiny_filesystem(size: str) -> Iterator[Path]:
    mount = Path(tempfile.mkdtemp(prefix="nettop-enospc-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)
        mount.rmdir()


@root_only
def test_a_full_disk_stops_the_recorder_and_leaves_every_whole_chunk_readable() -> None:
    with tiny_filesystem("1m") as mount:
        path = mount / "full.ntr"
        clock = FrozenClock(100.0)
        recorder = Recorder(path, make_header(None, 0.01), clock=clock)
        recorder.open()
        names = tuple(f"c{i}" for i in range(200))
        rng = random.Random(7)  # values that do not compress: the disk fills in a few seconds
        step = 0
        while recorder.failed is None and step < 20_000:
            clock.now = 100.0 + step * 0.01
            recorder.sample(keys.DEV, clock.now, names, [rng.getrandbits(63) for _ in names], None)
            step += 1
        assert recorder.failed is not None and "No space left on device" in recorder.failed
        taken = recorder.samples
        recorder.sample(keys.DEV, clock.now + 1, names, [0] * 200, None)  # quietly ignored now
        recorder.close()
        assert recorder.samples == taken
        size = path.stat().st_size
        assert 0 < size <= 1 << 20
        rec = read_recording(path)
        assert rec.warnings == []  # cut back to its last whole chunk: no partial chunk at the end
        assert 0 < len(rec.samples) < taken
        assert os.path.getsize(path) == size
