"""The signal in sight: the findings strip, severity that does not need colour, never a stale `ok`."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import K, recorded_store
from nettop.collectors import sampler as sampler_mod
from nettop.collectors.procfs import ProcRoot
from nettop.tui.app import SAMPLER_FAILED, NettopApp
from nettop.tui.datasource import RecordedSource, live_source
from nettop.widgets.alerts import FindingsStrip
from nettop.widgets.pane import Pane
from nettop.widgets.synctable import SyncTable


def recorded_app(tmp_path: Path, panes: tuple[str, ...]) -> NettopApp:
    store, root, clock = recorded_store()
    app = NettopApp(RecordedSource(store, root, clock=clock, first_sample=1000.0), panes=panes,
                    snapshot_dir=tmp_path, timers=False)
    app.test_clock = clock  # type: ignore[attr-defined]
    return app


def strip_text(app: NettopApp) -> str:
    return str(app.query_one(FindingsStrip).render())


def state_cells(app: NettopApp) -> dict[str, str]:
    table = app.query_one("#overview-funnel", SyncTable)
    return {key: str(table.get_row(key)[1]) for key in table.row_keys}


async def test_the_strip_keeps_the_critical_finding_in_sight_whatever_the_layout(tmp_path: Path) -> None:
    app = recorded_app(tmp_path, ("counters",))  # the Overview is not even shown
    async with app.run_test(size=(80, 24)) as pilot:
        assert strip_text(app).startswith(" CRIT  accept queue of 0.0.0.0:8080 full")
        assert "+8  more" in strip_text(app)  # three lines at most, the rest counted
        for key in "12345678":
            await pilot.press(key)
        await pilot.pause()
        assert app.query_one(FindingsStrip).region.height == 3 and " CRIT " in strip_text(app)


async def test_a_stage_agrees_with_its_findings(tmp_path: Path) -> None:
    """The recorded TCP memory is 83% of the pressure mark: a warning finding, and a WARN stage."""
    app = recorded_app(tmp_path, ("overview",))
    async with app.run_test(size=(120, 40)):
        assert state_cells(app)["memory"] == "WARN"
        assert state_cells(app)["tcp"] == "DROP" and state_cells(app)["qdisc"] == "DROP"


async def test_when_the_namespace_is_gone_nothing_reads_ok_or_drop_as_if_live(tmp_path: Path) -> None:
    app = recorded_app(tmp_path, ("overview", "qdiscs", "sockets"))
    async with app.run_test(size=(100, 40)):
        store = app.data.store
        for key in store.sources():
            store.mark_unavailable(key, 1003.0, "network namespace nettop-lab was deleted")
        app.monitor.refresh_panes(force=True)
        assert set(state_cells(app).values()) == {"?"}
        assert strip_text(app).startswith(" STALE  figures stopped at")
        assert "network namespace nettop-lab was deleted" in strip_text(app)
        for pane in app.query(Pane):
            assert pane.has_class("-stale") and "STALE since" in str(pane.border_subtitle)
        assert not app.query_one("#overview-findings", SyncTable).row_keys


async def test_figures_go_stale_when_samples_stop_coming(tmp_path: Path) -> None:
    app = recorded_app(tmp_path, ("overview",))
    async with app.run_test(size=(100, 40)):
        store = app.data.store
        for key in store.sources():
            store.declare(key, max_age=3.0)
        app.test_clock.now += 5.0  # type: ignore[attr-defined]
        app.monitor.refresh_panes(force=True)
        assert "ok" not in state_cells(app).values() and "DROP" not in state_cells(app).values()
        assert "STALE" in strip_text(app) and "no sample for 5 s" in strip_text(app)


async def test_a_sampler_that_keeps_failing_is_said_and_q_exits_non_zero(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: sampler_mod.Sampler) -> float:
        raise RuntimeError("value too large for the store")

    monkeypatch.setattr(sampler_mod.Sampler, "tick", broken)
    monkeypatch.setattr(sampler_mod, "RESTART_DELAY", 0.01)
    app = NettopApp(live_source(ProcRoot(), None, 0.05, None), panes=("overview",), snapshot_dir=tmp_path,
                    timers=False)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(50):
            await pilot.pause(0.05)
            if app.data.live and app.data.live.failure:
                break
        app.monitor.refresh_panes(force=True)
        status = str(app.query_one("#status").render())
        assert "SAMPLER STOPPED: RuntimeError: value too large for the store" in status
        assert "the sampler stopped" in strip_text(app)
        await pilot.press("q")
    assert app.return_code == SAMPLER_FAILED


async def test_parse_errors_show_as_a_degraded_source_with_file_and_line(tmp_path: Path) -> None:
    app = recorded_app(tmp_path, ("overview",))
    async with app.run_test(size=(160, 40)):
        app.data.store.parse_error(K("netstat"), "/proc/net/netstat:4: cannot parse 'TcpExt: 1 x': not an integer")
        app.monitor.refresh_panes(force=True)
        status = str(app.query_one("#status").render())
        assert "degraded: netstat" in status and "/proc/net/netstat:4" in status
