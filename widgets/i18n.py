"""The UI's words in the language of the notes (`--lang ja`): pane titles, column headers, keys,
the status line, the findings strip and the findings themselves.

`tr("text")` returns the text in the current language; an English text may hold `{name}`
fields, filled after translation. Findings carry their English template and its values
(collectors/findings/base.py: Msg), so they are translated the same way. A test checks that
every text the UI passes through `tr` has its Japanese.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from .locale_ja import JA

if TYPE_CHECKING:
    from textual.dom import DOMNode

LANGUAGE = {"lang": "en"}


def set_language(lang: str) -> None:
    LANGUAGE["lang"] = lang if lang in ("en", "ja") else "en"


def language() -> str:
    return LANGUAGE["lang"]


def tr(text: str, /, **fields: object) -> str:
    """`text` in the current language, with its `{fields}` filled in."""
    if LANGUAGE["lang"] == "ja":
        text = JA.get(text, text)
    return text.format(**fields) if fields else text


def tr_message(text: str) -> str:
    """A finding's title or bound: a Msg keeps its English template and its values."""
    template = getattr(text, "template", None)
    params = getattr(text, "params", None)
    if LANGUAGE["lang"] != "ja" or template is None or params is None:
        return text
    translated = JA.get(template)
    if translated is None:
        return text
    return translated.format(**{k: tr_message(v) if isinstance(v, str) else v for k, v in params.items()})


def localize_bindings(node: DOMNode) -> None:
    """Say a node's key bindings in the current language (the footer shows their description).
    Textual builds the map from BINDINGS when the node is made; this rewrites that map's
    descriptions and tooltips, so the classes keep their English text."""
    if LANGUAGE["lang"] == "en":
        return
    for key, bindings in node._bindings.key_to_bindings.items():
        node._bindings.key_to_bindings[key] = [
            dataclasses.replace(b, description=tr(b.description), tooltip=tr(b.tooltip) if b.tooltip else b.tooltip)
            for b in bindings]
