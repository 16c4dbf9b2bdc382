"""The pane registry: the one ordered list of panes. Keys, bindings, the help screen,
`--panes`, the snapshot tests and the notes tests all derive from it; adding a pane is
its widget file, one line here, and its notes (pane-NAME in each language)."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # textual stays out of `nettop snapshot`: widgets load on first use
    from nettop.widgets.pane import Pane


@dataclass(frozen=True)
class PaneSpec:
    key: str
    name: str
    title: str
    widget: str  # "module:Class" under nettop.widgets
    note: str

    def load(self) -> type[Pane]:
        module, _, cls = self.widget.partition(":")
        found: type[Pane] = getattr(importlib.import_module(f"nettop.widgets.{module}"), cls)
        return found

    def build(self) -> Pane:
        from nettop.widgets.i18n import tr
        from nettop.widgets.pane import PaneInfo

        return self.load()(PaneInfo(self.key, self.name, tr(self.title), self.note))


PANES: tuple[PaneSpec, ...] = (
    PaneSpec("1", "overview", "Overview: wire -> socket", "overview:OverviewPane", "pane-overview"),
    PaneSpec("2", "memory", "Protocol memory", "memory:MemoryPane", "pane-memory"),
    PaneSpec("3", "counters", "Counters", "counters:CountersPane", "pane-counters"),
    PaneSpec("4", "qdiscs", "Qdiscs and classes", "qdiscs:QdiscsPane", "pane-qdiscs"),
    PaneSpec("5", "interfaces", "Interfaces", "interfaces:InterfacesPane", "pane-interfaces"),
    PaneSpec("6", "softnet", "Softnet / NAPI per CPU", "softnet:SoftnetPane", "pane-softnet"),
    PaneSpec("7", "sockets", "Sockets", "sockets:SocketsPane", "pane-sockets"),
    PaneSpec("8", "sysctls", "Sysctls", "sysctls:SysctlsPane", "pane-sysctls"),
    PaneSpec("9", "drops", "Drop reasons", "drops:DropsPane", "pane-drops"),
    PaneSpec("0", "connections", "Connections", "connections:ConnectionsPane", "pane-connections"),
)
DEFAULT_PANES = ("overview", "qdiscs", "sockets")
BY_NAME = {p.name: p for p in PANES}


class UnknownPane(ValueError):
    """A `--panes` word that names no pane."""


def pane(word: str) -> PaneSpec:
    """A pane by its key (`3`) or its name (`counters`)."""
    for spec in PANES:
        if word in (spec.key, spec.name):
            return spec
    choices = ", ".join(f"{p.key} {p.name}" for p in PANES)
    raise UnknownPane(f"no pane {word!r} (panes: {choices})")


def parse_panes(text: str) -> list[str]:
    """`--panes 1,3,qdiscs` to pane names, in registry order."""
    words = [w.strip() for w in text.split(",") if w.strip()]
    if not words:
        raise UnknownPane("name at least one pane, e.g. 1,3,4 or overview,counters")
    return ordered(pane(w).name for w in words)


def ordered(names: Iterable[str]) -> list[str]:
    wanted = set(names)
    return [p.name for p in PANES if p.name in wanted]
