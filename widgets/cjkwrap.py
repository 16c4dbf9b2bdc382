"""Line breaks inside Japanese text.

Rich and Textual wrap at whitespace only, so a Japanese paragraph (no spaces between words)
breaks only where it meets ASCII: lines end half empty, or an ASCII word is cut off from its
particle ("SYN" / "を"). Japanese may break between any two characters, except before closing
punctuation and small kana, or after an opening bracket (kinsoku). `install()` widens the
"word" pattern both wrap with so each Japanese character is a word of its own, its closing
punctuation attached; ASCII text wraps as before. The pattern is a private attribute of
`rich._wrap`: when a Rich release drops it, nothing is changed (tests/tui/test_i18n.py notices).
"""

from __future__ import annotations

import re

CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
OPENING = "「『（［｛〈《【〔“"
CLOSING = "、。，．・：；？！）」』］｝〉》】〕ー々ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ”"
_OTHER = rf"[^\s{CJK}{OPENING}{CLOSING}]"
WORD = re.compile(rf"\s*(?:[{OPENING}]*[{CJK}][{CLOSING}]*|[{OPENING}]*{_OTHER}+[{CLOSING}]*|[{OPENING}{CLOSING}]+)\s*")


def install() -> bool:
    """Let Rich and Textual break Japanese lines between characters; False when not possible."""
    try:
        import rich._wrap as wrap
    except ImportError:  # pragma: no cover - a Rich without the module
        return False
    if not isinstance(getattr(wrap, "re_word", None), re.Pattern):
        return False
    wrap.re_word = WORD
    return True
