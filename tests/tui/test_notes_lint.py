"""The notes' house rules, checked on every note: the Japanese glossary and style, the parts an
operator needs (Confirm / Act / Risk; a sysctl's facts), links to the topics, no word a reader
cannot place ("seed")."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from nettop.tui.notebook import NOTES_DIR, Note, parse_note

CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
LIST_OR_BLOCK = re.compile(r"^\s*([-*+]|\d+\.|\||#|>|```)")
SECTIONS = {"en": ("## Confirm", "## Act", "## Risk"), "ja": ("## 確認", "## 対処", "## リスク")}
SYSCTL_SECTIONS = {"en": ("## Facts", "## Interactions"), "ja": ("## 基本情報", "## 関係するもの")}
NEEDS_ACTION = ("drops-", "counter-", "counters-", "figures-", "topic-", "sysctl-")


def glossary() -> list[tuple[str, str]]:
    """(never, use) pairs from the glossary table."""
    pairs = []
    for line in (NOTES_DIR / "glossary-ja.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] not in ("concept", "---") and not cells[0].startswith("-"):
            pairs += [(never.strip(), cells[1]) for never in cells[2].split(",") if never.strip()]
    return pairs


def files(lang: str) -> list[Path]:
    return sorted((NOTES_DIR / lang).glob("*.md"))


def load(path: Path) -> Note:
    return parse_note(path.read_text(encoding="utf-8"), path.parent.name, str(path))


def prose(note: Note) -> str:
    return CODE.sub("", f"{note.title}\n{note.summary}\n{note.body}")


@pytest.mark.parametrize("path", files("ja"), ids=lambda p: p.stem)
def test_japanese_uses_the_glossary_terms(path: Path) -> None:
    text = prose(load(path))
    wrong = [f"{never} (use {use})" for never, use in glossary() if never in text]
    assert not wrong, wrong


@pytest.mark.parametrize("path", files("ja"), ids=lambda p: p.stem)
def test_japanese_has_no_line_break_inside_a_paragraph(path: Path) -> None:
    body = CODE.sub("``", load(path).body)
    lines = body.split("\n")
    broken = [f"{a.strip()[-12:]}⏎{b.strip()[:12]}" for a, b in itertools.pairwise(lines)
              if a.strip() and b.strip() and not LIST_OR_BLOCK.match(b) and not LIST_OR_BLOCK.match(a)
              and CJK.search(a + b)]
    assert not broken, broken


@pytest.mark.parametrize("path", files("ja"), ids=lambda p: p.stem)
def test_japanese_parentheses_are_full_width_around_japanese(path: Path) -> None:
    bad = re.findall(r"\([^()]*[\u3040-\u30ff\u3400-\u9fff][^()]*\)", re.sub(r"\]\([^)]*\)", "", prose(load(path))))
    assert not bad, bad


@pytest.mark.parametrize("path", files("en") + files("ja"), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_no_note_speaks_of_the_seed(path: Path) -> None:
    assert not re.search(r"\bseed\b", prose(load(path)), re.IGNORECASE)


@pytest.mark.parametrize("path", files("en") + files("ja"), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_notes_tell_the_operator_what_to_do(path: Path) -> None:
    note = load(path)
    if not note.id.startswith(NEEDS_ACTION):
        return
    lang = path.parent.name
    wanted = SECTIONS[lang] + (SYSCTL_SECTIONS[lang] if note.id.startswith("sysctl-") else ())
    missing = [h for h in wanted if not re.search(rf"^{re.escape(h)}\s*$", note.body, re.MULTILINE)]
    assert not missing, missing


@pytest.mark.parametrize("path", files("en"), ids=lambda p: p.stem)
def test_pane_and_sysctl_notes_link_to_their_topics(path: Path) -> None:
    note = load(path)
    if note.id.startswith(("pane-", "sysctl-")):
        assert any(s.startswith("topic-") for s in note.see_also), note.see_also


@pytest.mark.parametrize("path", files("en") + files("ja"), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_note_has_aliases(path: Path) -> None:
    note = load(path)
    assert note.aliases, "give the words a reader would type for it"
