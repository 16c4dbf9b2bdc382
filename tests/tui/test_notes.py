"""The knowledge base: valid, bilingual, complete for what the panes show, reachable by `explain`."""

from __future__ import annotations

import fnmatch
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, recorded_store
from nettop.collectors.netstat import parse_netstat
from nettop.collectors.snmp6 import parse_snmp6
from nettop.collectors.views.context import Mark, ViewContext
from nettop.tui.app import NettopApp
from nettop.tui.datasource import RecordedSource
from nettop.tui.notebook import NOTES_DIR, Note, NoteBook, load_notes, parse_note
from nettop.tui.panes import PANES
from nettop.widgets.pane import Pane

LANGS = ("en", "ja")
SEED_COUNTERS = ("ListenOverflows", "ListenDrops", "TCPMemoryPressures", "TCPMemoryPressuresChrono", "OfoPruned",
                 "TCPAbortOnMemory", "PruneCalled", "RcvPruned", "TCPRcvQDrop", "TCPAbortFailed")
SEED_TOPICS = ("napi-softnet", "listen-backlog", "tcp-knobs", "tcp-memory-pressure", "syn-flood-icmp",
               "bufferbloat", "rp-filter", "arp-filter", "multi-nic", "netlink", "virtual-devices")


@pytest.fixture(scope="module")
def notes() -> dict[str, dict[str, Note]]:
    return {lang: load_notes(lang) for lang in LANGS}


def test_every_file_parses_and_is_named_after_its_id() -> None:
    for lang in LANGS:
        files = sorted((NOTES_DIR / lang).glob("*.md"))
        assert files
        for path in files:
            note = parse_note(path.read_text(encoding="utf-8"), lang, str(path))
            assert note.id == path.stem
            assert note.title and note.summary and note.body.strip(), path


def test_both_languages_have_the_same_notes_with_the_same_lists(notes: dict[str, dict[str, Note]]) -> None:
    assert set(notes["en"]) == set(notes["ja"])
    for note_id, en in notes["en"].items():
        ja = notes["ja"][note_id]
        assert (en.counters, en.sysctls, en.see_also) == (ja.counters, ja.sysctls, ja.see_also), note_id


def test_japanese_notes_are_in_japanese(notes: dict[str, dict[str, Note]]) -> None:
    for note in notes["ja"].values():
        text = note.title + note.summary + note.body
        assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text), note.id


def test_every_see_also_resolves(notes: dict[str, dict[str, Note]]) -> None:
    for lang in LANGS:
        for note in notes[lang].values():
            for other in note.see_also:
                assert other in notes[lang], f"{lang}/{note.id}: see_also {other} does not exist"


def test_each_counter_has_one_dedicated_note(notes: dict[str, dict[str, Note]]) -> None:
    """A counter is explained in one place; knobs may be named by many notes (for their live
    values), but a knob's own note wins when one asks for it."""
    for lang in LANGS:
        owner: dict[str, str] = {}
        for note in notes[lang].values():
            if note.id.startswith("pane-"):
                continue
            for name in note.counters:
                assert name not in owner, f"{lang}: {name} in {owner.get(name)} and {note.id}"
                owner[name] = note.id
        book = NoteBook(lang)
        for note_id in notes[lang]:
            if note_id.startswith("sysctl-") and "*" not in note_id:
                assert book.get(note_id).id == note_id  # type: ignore[union-attr]


def covered(book: NoteBook, key: str, lang: str) -> bool:
    note = book.get(key)
    return note is not None and note.lang == lang


def test_every_counter_of_this_kernel_has_a_note_in_both_languages() -> None:
    host = FIXTURES / "linux-6.18-host"
    names = list(parse_netstat((host / "netstat").read_bytes())) + list(parse_netstat((host / "snmp").read_bytes()))
    names += list(parse_snmp6((host / "snmp6").read_bytes()))
    for lang in LANGS:
        book = NoteBook(lang)
        missing = [n for n in names if not covered(book, f"counter-{n}", lang)]
        assert not missing, f"{lang}: no note for {missing[:10]} ({len(missing)} in all)"


def drop_reasons() -> list[str]:
    """The drop reasons of the running kernel, else of the 6.18 format kept as a fixture."""
    from nettop.collectors.drops.tracepoint import DEFAULT_TRACEFS, DropsUnavailable, parse_format, read_format

    sys.path.insert(0, str(Path(__file__).parents[1] / "collectors"))
    import kfree_skb_formats

    try:
        reasons = read_format(DEFAULT_TRACEFS).reasons
    except (DropsUnavailable, OSError):
        reasons = parse_format(kfree_skb_formats.FORMAT_6_18).reasons
    return sorted(set(reasons.values()) - {"MAX"})


def test_every_drop_reason_of_this_kernel_has_a_note_in_both_languages() -> None:
    names = drop_reasons()
    assert len(names) > 100
    for lang in LANGS:
        book = NoteBook(lang)
        missing = [n for n in names if not covered(book, f"counter-drop.{n}", lang)]
        assert not missing, f"{lang}: no note for {missing[:10]} ({len(missing)} in all)"


def test_every_pane_of_the_registry_has_its_note_in_both_languages() -> None:
    for lang in LANGS:
        book = NoteBook(lang)
        for spec in PANES:
            assert covered(book, spec.note, lang), (lang, spec.name)


async def test_every_name_the_panes_show_has_a_note_in_both_languages(tmp_path: Path) -> None:
    store, root, clock = recorded_store()
    app = NettopApp(RecordedSource(store, root, clock=clock, first_sample=1000.0), panes=[p.name for p in PANES],
                    snapshot_dir=tmp_path, timers=False)
    async with app.run_test(size=(160, 48)):
        ctx = ViewContext(store, clock.now, Mark.at(store, 1000.0))
        panes = list(app.query(Pane))
        assert {p.info.name for p in panes} == {p.name for p in PANES}
        keys = {key for pane in panes for key in pane.note_keys(ctx)}
    assert len(keys) > 40
    assert "counter-TcpExt.ListenOverflows" in keys and "sysctl-net.core.somaxconn" in keys
    for lang in LANGS:
        book = NoteBook(lang)
        missing = sorted(k for k in keys if not covered(book, k, lang))
        assert not missing, f"{lang}: {missing}"


def test_seed_topics_exist(notes: dict[str, dict[str, Note]]) -> None:
    for topic in SEED_TOPICS:
        for lang in LANGS:
            assert f"topic-{topic}" in notes[lang], (lang, topic)


def explain(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nettop.tui.cli", "explain", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=60)


@pytest.mark.parametrize("counter", SEED_COUNTERS)
def test_explain_every_counter_the_seed_names(counter: str) -> None:
    for name in (counter, f"TcpExt.{counter}"):
        out = explain(name, "--lang", "en")
        assert out.returncode == 0, out.stderr
        assert f"TcpExt.{counter} = " in out.stdout  # the live value is in the note
    ja = explain(counter, "--lang", "ja")
    assert ja.returncode == 0 and "現在の値" in ja.stdout


def test_explain_sysctl_topic_and_japanese_locale() -> None:
    out = explain("net.core.somaxconn")
    assert out.returncode == 0 and "net.core.somaxconn = " in out.stdout
    assert explain("bufferbloat").returncode == 0
    ja = explain("somaxconn", env={"LANG": "ja_JP.UTF-8", "LC_ALL": ""})
    assert ja.returncode == 0 and any("\u3040" <= ch <= "\u30ff" for ch in ja.stdout)


def test_explain_unknown_name_suggests_and_fails() -> None:
    out = explain("ListenOverflws")  # a typo: the close spelling is suggested
    assert out.returncode == 1
    assert "did you mean: ListenOverflows" in out.stderr
    nonsense = explain("frobnicate")  # nothing shares a word with it: no suggestion at all
    assert nonsense.returncode == 1 and "did you mean" not in nonsense.stderr


def test_explain_finds_words_and_lists_matches() -> None:
    assert explain("listen", "backlog").returncode == 0
    found = subprocess.run([sys.executable, "-m", "nettop.tui.cli", "explain", "--search", "syn", "flood"],
                           capture_output=True, text=True, timeout=60)
    assert found.returncode == 0 and found.stdout.splitlines()[1].split()[0] == "topic-syn-flood-icmp"


def test_wildcard_counters_resolve() -> None:
    book = NoteBook("en")
    assert book.get("counter-IcmpMsg.InType3") is not None
    assert book.get("sysctl-net.ipv4.conf.eth0.rp_filter") is not None
    assert any(fnmatch.fnmatchcase("IcmpMsg.OutType8", c) for n in book.en.values() for c in n.counters)


async def test_enter_in_japanese_opens_the_japanese_note_with_live_values(tmp_path: Path) -> None:
    from nettop.tui.notescreen import NoteScreen
    from nettop.widgets.synctable import SyncTable

    store, root, clock = recorded_store()
    app = NettopApp(RecordedSource(store, root, clock=clock, first_sample=1000.0), panes=("counters",),
                    snapshot_dir=tmp_path, timers=False, lang="ja")
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one("#counters-table", SyncTable)
        table.focus()
        table.move_cursor(row=table.row_keys.index("TcpExt.TCPRcvQDrop"))
        await pilot.press("enter")
        assert isinstance(app.screen, NoteScreen)
        assert app.screen.note.lang == "ja" and app.screen.note.id == "counter-TcpExt.TCPRcvQDrop"
        assert "`TcpExt.TCPRcvQDrop` = 0" in app.screen.render_markdown()


def test_live_values_read_knobs_the_sampler_does_not_watch() -> None:
    from nettop.collectors.procfs import ProcRoot
    from nettop.collectors.store import Store
    from nettop.tui.notelive import StoreValues

    ctx = ViewContext(Store(), 1.0, Mark(0.0))
    watched_elsewhere = "net.core.dev_weight"  # named by sysctl-net.core.netdev_budget, not sampled
    expected = Path("/proc/sys/net/core/dev_weight").read_text().strip()
    assert StoreValues(ctx, ProcRoot()).sysctl(watched_elsewhere) == expected
    assert StoreValues(ctx).sysctl(watched_elsewhere) is None  # --netns or a recording: never the UI's own
