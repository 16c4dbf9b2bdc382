"""The TUI driven as a person would, through Textual's Pilot, on recorded samples."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from textual.widgets import DataTable

from conftest import K, recorded_store
from nettop.collectors.views.context import Mark
from nettop.tui.app import NettopApp
from nettop.tui.datasource import RecordedSource
from nettop.tui.notescreen import NoteScreen
from nettop.tui.panes import PANES, pane
from nettop.tui.screens import HelpScreen
from nettop.widgets.pane import Pane
from nettop.widgets.synctable import SyncTable


def make_app(tmp_path: Path, panes: tuple[int, ...] = (1, 4, 7), **kw: object) -> NettopApp:
    store, root, clock = recorded_store()
    app = NettopApp(RecordedSource(store, root, clock=clock, first_sample=1000.0),
                    panes=[pane(str(n)).name for n in panes], snapshot_dir=tmp_path, timers=False,
                    **kw)  # type: ignore[arg-type]
    app.test_clock = clock  # type: ignore[attr-defined]
    return app


def shown(app: NettopApp) -> list[int]:
    return sorted(int(p.info.key) for p in app.query(Pane) if p.display)


def table_keys(app: NettopApp, table_id: str) -> list[str]:
    return app.query_one(f"#{table_id}", SyncTable).row_keys


def cell(app: NettopApp, table_id: str, key: str, column: int) -> str:
    table = app.query_one(f"#{table_id}", SyncTable)
    return str(table.get_row(key)[column])


async def test_number_keys_toggle_panes_and_the_layout_reflows(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        assert shown(app) == [1, 4, 7]
        await pilot.press("3")
        assert shown(app) == [1, 3, 4, 7]
        await pilot.press("1", "4", "7")
        assert shown(app) == [3]
        await pilot.press("3")  # the last pane stays: an empty screen helps nobody
        assert shown(app) == [3]
        for n in "2568":
            await pilot.press(n)
        assert shown(app) == [2, 3, 5, 6, 8]
    app = make_app(tmp_path)
    async with app.run_test(size=(170, 48)) as pilot:
        assert app.query_one("#panes").has_class("-wide")
        await pilot.resize_terminal(100, 40)
        await pilot.pause()
        assert not app.query_one("#panes").has_class("-wide")


async def test_overview_shows_where_it_drops(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)):
        assert table_keys(app, "overview-funnel") == ["nic", "softnet", "qdisc", "tcp", "memory", "drops"]
        assert cell(app, "overview-funnel", "tcp", 1) == "DROP"
        assert cell(app, "overview-funnel", "drops", 1) == "DROP"  # SOCKET_RCVBUFF, not only routine ones
        assert cell(app, "overview-funnel", "drops", 2).startswith("SOCKET_RCVBUFF 500/s")
        assert "ListenOverflows 30/s" in cell(app, "overview-funnel", "tcp", 2)
        assert cell(app, "overview-funnel", "nic", 1) == "ok"
        assert cell(app, "overview-funnel", "qdisc", 1) == "DROP"
        assert "TcpExt.ListenOverflows" in table_keys(app, "overview-movers")


async def test_drops_pane_names_reason_location_and_counter(tmp_path: Path) -> None:
    app = make_app(tmp_path, panes=(9,))
    async with app.run_test(size=(130, 30)) as pilot:
        rows = table_keys(app, "drops-table")
        assert rows[0] == "SOCKET_RCVBUFF@__udp_enqueue_schedule_skb+0x1c2"  # the busiest first
        assert cell(app, "drops-table", "NO_SOCKET@__udp4_lib_rcv+0x4bc", 6) == "Udp(6).NoPorts 0/s"
        assert cell(app, "drops-table", "QDISC_DROP@__dev_xmit_skb+0x4ad", 6).startswith("qdisc drops (leaves) 70")
        await pilot.press("g")  # one row per reason
        assert set(table_keys(app, "drops-table")) == {"SOCKET_RCVBUFF@", "NO_SOCKET@", "QDISC_DROP@",
                                                       "NOT_SPECIFIED@"}
        assert app.monitor.focused_pane() is not None
        app.query_one("#drops-table").focus()
        assert app.monitor.focused_pane().note_for_cursor() == "counter-drop.SOCKET_RCVBUFF"  # type: ignore[union-attr]


async def test_connections_pane_groups_sorts_drills_down_and_opens_a_connection(tmp_path: Path) -> None:
    from nettop.tui.connscreen import ConnScreen

    app = make_app(tmp_path, panes=(0,))
    async with app.run_test(size=(140, 40)) as pilot:
        assert table_keys(app, "conn-table") == ["peer:198.51.100.7", "peer:203.0.113.9"]  # retransmits first
        table = app.query_one("#conn-table", DataTable)
        send_at = sum(c.get_render_width(table) for c in list(table.columns.values())[:3]) + 1
        await pilot.click("#conn-table", offset=(send_at, 0))  # the "send B/s" header sorts by bytes
        await pilot.pause()
        assert table_keys(app, "conn-table")[0] == "peer:203.0.113.9"
        table.focus()
        await pilot.press("o", "o", "o")  # bytes -> limited -> retrans -> rtt
        assert table_keys(app, "conn-table")[0] == "peer:198.51.100.7"
        assert "rwnd 82%" in str(cell(app, "conn-table", "peer:203.0.113.9", 8))
        await pilot.press("v")  # by service port, still by rtt
        assert table_keys(app, "conn-table") == ["port:to :443", "port::8080"]
        await pilot.press("down", "enter")  # :8080's own connections
        assert table_keys(app, "conn-table") == ["102", "103"]
        await pilot.press("home", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ConnScreen)
        shown = str(app.screen.query_one("#conn-detail").render())
        assert "192.0.2.2:8080 -> 203.0.113.9:51000" in shown and "82% of busy time" in shown
        assert "samples" in shown and "bytes/s    █  9,040,000" in shown  # its history as a sparkline


async def test_filter_changed_only_and_sort(tmp_path: Path) -> None:
    app = make_app(tmp_path, panes=(3,))
    async with app.run_test(size=(100, 40)) as pilot:
        everything = len(table_keys(app, "counters-table"))
        await pilot.press("slash")
        assert app.query_one("#filter").display
        await pilot.press(*"listen", "enter")
        keys = table_keys(app, "counters-table")
        assert keys and all("listen" in k.lower() for k in keys) and len(keys) < everything
        await pilot.press("slash", "escape")
        assert len(table_keys(app, "counters-table")) == everything
        app.query_one("#counters-table").focus()
        await pilot.press("c")
        changed = table_keys(app, "counters-table")
        assert set(changed) == {"TcpExt.ListenOverflows", "TcpExt.ListenDrops", "TcpExt.TCPRcvCoalesce"}
        await pilot.press("o")
        # drops first, whatever their size: 30 overflows/s rank above 500 coalesced segments/s
        assert table_keys(app, "counters-table")[:3] == ["TcpExt.ListenOverflows", "TcpExt.ListenDrops",
                                                         "TcpExt.TCPRcvCoalesce"]
        await pilot.press("c", "o")
        assert len(table_keys(app, "counters-table")) == everything


async def test_mark_restarts_deltas(tmp_path: Path) -> None:
    app = make_app(tmp_path, panes=(3,))
    async with app.run_test(size=(100, 40)) as pilot:
        app.monitor.mark = Mark.take(app.data.store, 1000.0)
        app.monitor.mark.values["netstat"]["TcpExt.ListenOverflows"] = 0
        app.monitor.refresh_panes(force=True)
        assert cell(app, "counters-table", "TcpExt.ListenOverflows", 2) == "90"
        await pilot.press("m")
        assert cell(app, "counters-table", "TcpExt.ListenOverflows", 2) == "0"


async def test_pause_freezes_the_display_while_sampling_goes_on(tmp_path: Path) -> None:
    app = make_app(tmp_path, panes=(7,))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("p")
        store = app.data.store
        drained = [dataclasses.replace(s, rqueue=0) for s in store.detail(K("listeners"))]
        store.record(K("listeners"), 1004.0, ("0.0.0.0:8080/accept_queue", "0.0.0.0:8080/backlog",
                                           "[::]:22/accept_queue", "[::]:22/backlog"), [0, 3, 0, 128], drained)
        app.test_clock.now = 1004.0  # type: ignore[attr-defined]
        app.monitor.refresh_panes()
        assert "PAUSED" in str(app.query_one("#status").render())
        before = cell(app, "sockets-listeners", "0.0.0.0:8080", 1)
        await pilot.press("p")
        after = cell(app, "sockets-listeners", "0.0.0.0:8080", 1)
        assert before == "4" and after == "0"  # the queue drained while the display stood still


async def test_snapshot_key_writes_the_engine_snapshot(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        files = list(tmp_path.glob("nettop-*-*.json"))
        assert len(files) == 1 and (files[0].stat().st_mode & 0o777) == 0o600
        snap = json.loads(files[0].read_text())
        assert snap["schema"] == "nettop.snapshot/2"
        assert snap["counters"]["TcpExt.ListenOverflows"]["value"] == 90
        assert any(q["kind"] == "pfifo" for q in snap["qdiscs"])


async def test_snapshot_into_an_unwritable_place_says_so(tmp_path: Path) -> None:
    app = make_app(tmp_path / "missing")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        await pilot.pause()
        assert any("snapshot failed" in n.message for n in app._notifications)


async def test_help_lists_every_binding(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = " ".join(str(s.render()) for s in app.screen.query("Static"))
        for spec in PANES:
            assert f"{spec.key}  show or hide the {spec.title} pane" in text
        for line in ("/  filter counters", "open the note for the row", "move the focus to the next table",
                     "c  counters: only those that changed",
                     "o  counters: sort", "p  pause", "m  mark", "s  snapshot", "+  refresh the display faster",
                     "q  quit", "?  every key"):
            assert line in text, line
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_enter_opens_the_note_with_live_values(tmp_path: Path) -> None:
    app = make_app(tmp_path, panes=(3,))
    async with app.run_test(size=(100, 40)) as pilot:
        table = app.query_one("#counters-table", SyncTable)
        table.focus()
        table.move_cursor(row=table.row_keys.index("TcpExt.ListenOverflows"))
        await pilot.press("enter")
        assert isinstance(app.screen, NoteScreen)
        markdown = app.screen.render_markdown()
        assert "`TcpExt.ListenOverflows` = 90" in markdown
        await pilot.press("escape")
        await pilot.press("8")
        sysctls = app.query_one("#sysctls-table", SyncTable)
        sysctls.focus()
        sysctls.move_cursor(row=sysctls.row_keys.index("net.ipv4.tcp_mem"))
        await pilot.press("enter")
        assert "`net.ipv4.tcp_mem` = 1000 1500 2000" in app.screen.render_markdown()


async def test_tab_cycles_focus_between_tables(tmp_path: Path) -> None:
    app = make_app(tmp_path, panes=(1, 4))
    async with app.run_test(size=(100, 40)) as pilot:
        seen = []
        for _ in range(4):
            await pilot.press("tab")
            seen.append(app.focused.id if app.focused else None)
        assert {"overview-funnel", "overview-movers", "qdiscs-table"} <= set(seen)


async def test_refresh_rate_keys_and_quit(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.monitor.refresh_interval == 0.5
        await pilot.press("plus")
        assert app.monitor.refresh_interval == 0.25
        await pilot.press("minus", "minus")
        assert app.monitor.refresh_interval == 1.0
        assert "refresh 1s" in str(app.query_one("#status").render())
        await pilot.press("q")
    assert app.return_code == 0


async def test_qdisc_tree_and_peak_of_a_burst(tmp_path: Path) -> None:
    app = make_app(tmp_path, panes=(4,))
    async with app.run_test(size=(120, 40)):
        keys = table_keys(app, "qdiscs-table")
        assert keys == ["qdisc:lo 0:", "qdisc:eth0 1:", "class:eth0 1:1", "class:eth0 1:20", "qdisc:eth0 20:"]
        assert cell(app, "qdiscs-table", "qdisc:eth0 20:", 0) == "    └ qdisc 20:"
        # the last sample had an empty queue, but a burst in the last two seconds shows as the peak
        assert cell(app, "qdiscs-table", "qdisc:eth0 20:", 2) == "0"
        assert cell(app, "qdiscs-table", "qdisc:eth0 20:", 3) == "12.0k"


async def test_a_source_down_shows_in_the_status_line(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)):
        app.data.store.mark_unavailable(K("snmp6"), 1003.0, "absent: /proc/net/snmp6")
        app.monitor.refresh_panes(force=True)
        assert "1 down: snmp6" in str(app.query_one("#status").render())


async def test_overview_lists_findings_by_severity_and_enter_opens_their_note(tmp_path: Path) -> None:
    app = make_app(tmp_path, panes=(1,))
    async with app.run_test(size=(140, 40)) as pilot:
        keys = table_keys(app, "overview-findings")
        assert keys[0] == "listen-queue-full:0.0.0.0:8080"
        assert cell(app, "overview-findings", keys[0], 0) == " CRIT "
        assert {"qdisc-drops:eth0 20:", "softnet-drops:"} <= set(keys)
        table = app.query_one("#overview-findings", SyncTable)
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("enter")
        assert isinstance(app.screen, NoteScreen)
        assert "`TcpExt.ListenOverflows` = 90" in app.screen.render_markdown()


async def test_a_pane_built_on_demand_has_its_columns_once(tmp_path: Path) -> None:
    app = make_app(tmp_path, panes=(1,))
    async with app.run_test(size=(120, 40)) as pilot:
        for key in "35":
            await pilot.press(key)
            await pilot.pause()
        assert len(app.query_one("#counters-table", SyncTable).columns) == 5
        assert len(app.query_one("#interfaces-table", SyncTable).columns) == 11
        assert table_keys(app, "counters-table")  # filled right after the layout


async def test_a_panes_own_note_lists_the_notes_of_what_it_shows(tmp_path: Path) -> None:
    app = make_app(tmp_path, panes=(6,))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("i")
        assert isinstance(app.screen, NoteScreen) and app.screen.note.id == "pane-softnet"
        text = app.screen.render_markdown()
        assert "## On this pane" in text and "`figures-softnet`" in text
        assert "`sysctl-net.core.netdev_max_backlog`" in text
