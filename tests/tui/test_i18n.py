"""`--lang ja`: the UI itself in Japanese, not only the notes."""

from __future__ import annotations

import ast
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import recorded_store
from nettop.tui.app import NettopApp
from nettop.tui.datasource import RecordedSource
from nettop.widgets.alerts import FindingsStrip
from nettop.widgets.i18n import set_language
from nettop.widgets.locale_ja import JA
from nettop.widgets.synctable import SyncTable

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "collectors" / "findings", ROOT / "widgets", ROOT / "tui"]


def ui_texts() -> Iterator[tuple[str, str]]:
    """(where, text) of every English text the UI shows: tr() and Msg() arguments, key descriptions and
    tooltips, column headers, pane titles."""
    for base in SOURCES:
        for path in sorted(base.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                literals: list[ast.expr] = []
                if name in ("tr", "Msg") and node.args:
                    literals = [node.args[0]]
                elif name == "Binding":
                    literals = node.args[2:3] + [k.value for k in node.keywords if k.arg == "tooltip"]
                elif name == "SyncTable" and node.args and isinstance(node.args[0], ast.List):
                    literals = list(node.args[0].elts)
                elif name == "PaneSpec":
                    literals = node.args[2:3]
                for lit in literals:
                    if isinstance(lit, ast.Constant) and isinstance(lit.value, str):
                        yield f"{path.relative_to(ROOT)}:{node.lineno}", lit.value


def fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_text_of_the_ui_has_its_japanese() -> None:
    missing = sorted({f"{where}: {text!r}" for where, text in ui_texts() if text not in JA})
    assert not missing, missing


def test_translations_keep_their_placeholders() -> None:
    wrong = [en for en, ja in JA.items() if fields(en) != fields(ja)]
    assert not wrong, wrong


@pytest.fixture
def japanese() -> Iterator[None]:
    yield
    set_language("en")


async def test_the_ui_speaks_japanese(tmp_path: Path, japanese: None) -> None:
    store, root, clock = recorded_store()
    app = NettopApp(RecordedSource(store, root, clock=clock, first_sample=1000.0), panes=("overview", "counters"),
                    snapshot_dir=tmp_path, timers=False, lang="ja")
    async with app.run_test(size=(140, 40)) as pilot:
        assert "概要" in str(app.query_one("#pane-overview").border_title)
        assert [str(c.label) for c in app.query_one("#overview-funnel", SyncTable).columns.values()][:2] == ["段階",
                                                                                                            "状態"]
        strip = str(app.query_one(FindingsStrip).render())
        assert "の accept キューが満杯" in strip and "件待ち" in strip
        assert "ホストの名前空間" in str(app.query_one("#status").render())
        footer = {b.binding.description for b in app.screen.active_bindings.values() if b.binding.show}
        assert {"一時停止", "キー", "終了"} <= footer
        await pilot.press("question_mark")
        help_text = " ".join(str(s.render()) for s in app.screen.query("Static"))
        assert "nettop のキー" in help_text and "表示を一時停止する" in help_text


def test_japanese_text_wraps_between_characters_and_keeps_kinsoku() -> None:
    from textual.content import Content

    from nettop.widgets import cjkwrap

    text = "攻撃者は大量の SYN を、多くは偽の送信元アドレスで送り、ハンドシェイクを完了させません。" * 3
    assert cjkwrap.install()
    lines = [line.plain.rstrip() for line in Content(text).wrap(30)]
    widths = [sum(2 if "\u3040" <= ch <= "\u9fff" or ch in "、。" else 1 for ch in line) for line in lines]
    assert all(w <= 30 for w in widths) and all(w >= 26 for w in widths[:-1]), lines  # lines filled
    assert not any(line.startswith(("、", "。")) for line in lines), lines  # no line opens with punctuation
    english = "the accept queue of a listener overflows when the application accepts too slowly"
    assert [line.plain.rstrip() for line in Content(english).wrap(30)] == [
        "the accept queue of a listener", "overflows when the application", "accepts too slowly"]


def test_texts_built_from_tables_have_their_japanese_too() -> None:
    """Bounds of drop reasons, how drops are counted: not literal tr()/Msg() arguments."""
    from nettop.collectors.drops.source import HOST_WIDE
    from nettop.collectors.findings.drops import BOUNDS
    from nettop.widgets.drops import METHOD
    from nettop.widgets.locale_ja import JA

    texts = [template for _, template in BOUNDS.values()] + list(METHOD.values()) + [HOST_WIDE]
    assert [t for t in texts if t not in JA] == []
