"""Replay in the TUI (space, < >, left/right, g, s) and recording from it (r)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from conftest import make_recording, recorded_store
from nettop.collectors import keys
from nettop.collectors.recording import Recorder, read_recording
from nettop.collectors.replay import Player
from nettop.tui.app import NettopApp
from nettop.tui.datasource import RecordedSource, ReplaySource
from nettop.widgets.synctable import SyncTable


def replay_app(tmp_path: Path, **kw: object) -> NettopApp:
    path = make_recording(tmp_path / "r.ntr")
    data = ReplaySource(Player.open(path), path, playing=False)
    return NettopApp(data, panes=("counters",), snapshot_dir=tmp_path, timers=False, **kw)  # type: ignore[arg-type]


def status(app: NettopApp) -> str:
    return str(app.query_one("#status").render())


async def test_replay_keys(tmp_path: Path) -> None:
    app = replay_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        data: ReplaySource = app.data  # type: ignore[assignment]
        start = data.recording.start
        assert "REPLAY paused" in status(app) and "recording of recorded-host" in status(app)
        await pilot.press("g", *"00:00:02", "enter")
        assert data.now() == start + 2.0
        table = app.query_one("#counters-table", SyncTable)
        assert str(table.get_row("TcpExt.ListenOverflows")[1]) == "140"
        await pilot.press("left")
        assert data.now() == start  # clamped at the start
        await pilot.press("right")
        assert data.now() == data.recording.end  # 10 s forward is past the end: clamped
        await pilot.press("greater_than_sign", "greater_than_sign")
        assert data.speed == 5.0
        await pilot.press("less_than_sign")
        assert data.speed == 2.0
        await pilot.press("space")
        assert data.playing and "REPLAY end" in status(app)
        await pilot.press("s")
        snap = json.loads(next(tmp_path.glob("nettop-*.json")).read_text())
        assert snap["counters"]["TcpExt.ListenOverflows"]["value"] == 29 * 7


def test_replay_looks(tmp_path: Path, snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = replay_app(tmp_path)

    async def to_second_two(pilot) -> None:  # type: ignore[no-untyped-def]
        app.data.seek(app.data.recording.start + 2.0)  # type: ignore[attr-defined]
        app.monitor.refresh_panes(force=True)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=to_second_two)


async def test_r_records_live_samples_and_stops(tmp_path: Path) -> None:
    store, root, clock = recorded_store()

    @dataclass
    class Recordable:
        """The recording capability of a live source, over recorded samples."""

        active: Recorder | None = None

        def start_recording(self, path: Path) -> None:
            from nettop.collectors.recording import make_header
            self.active = Recorder(path, make_header(None, 0.1))
            self.active.open()
            self.active.sample(keys.NETSTAT, clock.now, ("TcpExt.ListenOverflows",), [90], None)

        def stop_recording(self) -> Path | None:
            recorder, self.active = self.active, None
            assert recorder is not None
            recorder.close()
            return recorder.path

    data = RecordedSource(store, root, clock=clock, first_sample=1000.0, recorder=Recordable())
    app = NettopApp(data, panes=("overview",), snapshot_dir=tmp_path, timers=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("r")
        assert "REC nettop-" in status(app)
        await pilot.press("m")
        await pilot.press("r")
        assert "REC" not in status(app)
    files = list(tmp_path.glob("nettop-*.ntr"))
    assert len(files) == 1
    recording = read_recording(files[0])
    assert recording.samples[0].values == [90] and recording.marks == [clock.now]


async def test_a_snapshot_of_a_replay_is_named_and_labelled_after_the_replayed_moment(tmp_path: Path) -> None:
    app = replay_app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("g", *"00:00:02", "enter")
        await pilot.press("s", "s")  # twice in one second: two files, none lost
    files = sorted(tmp_path.glob("nettop-recorded-host-*.json"), key=lambda f: len(f.name))
    assert len(files) == 2 and files[1].name == files[0].name.replace(".json", "-2.json")
    snap = json.loads(files[0].read_text())
    assert snap["host"]["hostname"] == "recorded-host" and snap["recording"]["offset_s"] == 2.0
    assert snap["recording"]["file"].endswith("r.ntr")
    # the recorded wall time of that moment: wall_origin 1_790_000_000 + 2 s
    assert files[0].name.startswith("nettop-recorded-host-" + __import__("datetime").datetime.fromtimestamp(
        1_790_000_002.0).strftime("%Y%m%d-%H%M%S"))
