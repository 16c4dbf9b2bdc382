"""Pane 1: is anything dropping or queuing, and where — one funnel from wire to socket."""

from __future__ import annotations

from dataclasses import replace

from nettop.collectors.findings import Finding, evaluate
from nettop.collectors.views.context import ViewContext
from nettop.collectors.views.overview import Stage, StageItem, funnel, movers, overview_note_keys
from rich.text import Text
from textual.app import ComposeResult

from .fmt import human, rate, status
from .pane import Pane, PaneInfo, UiState
from .synctable import SyncTable

FINDINGS_WINDOW = 10.0  # seconds: findings judge a trend, not one frame
SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "dim"}
STAGE_NOTES = {"nic": "figures-link", "softnet": "figures-softnet", "qdisc": "figures-qdisc",
               "tcp": "pane-overview", "memory": "topic-tcp-memory-pressure"}


def stage_text(stage: Stage) -> Text:
    """Items that move first, in red; quiet ones after, dim: readable without colour."""
    text = Text()
    ordered = sorted(stage.items, key=lambda i: i.status == "ok")
    for item in ordered:
        if text:
            text.append("  ")
        if item.status == "ok" and not item.rate:
            figure = f" {human(item.value)}" if item.value is not None else ""
        elif item.rate is not None:
            figure = f" {rate(item.rate)} ({human(item.value)})"
        else:
            figure = "" if item.value is None else f" {human(item.value)}"
        style = {"bad": "bold red", "warn": "yellow"}.get(item.status, "dim")
        text.append(f"{item.label}{figure}", style=style)
    return text


class OverviewPane(Pane):
    def __init__(self, info: PaneInfo) -> None:
        super().__init__(info)
        self._stages: dict[str, list[StageItem]] = {}
        self._findings: dict[str, Finding] = {}

    def compose(self) -> ComposeResult:
        yield SyncTable(["stage", "state", "what moves (rate, total)"], id="overview-funnel")
        yield SyncTable(["finding", "what (last 10 s)"], id="overview-findings")
        yield SyncTable(["moved since mark", "delta", "rate/s"], id="overview-movers", classes="main")

    def update_view(self, ctx: ViewContext, ui: UiState) -> None:
        rows: list[tuple[str, tuple[str, Text, Text | str]]] = []
        stages = funnel(ctx)
        self._stages = {s.key: s.items for s in stages}
        for stage in stages:
            if not stage.available:
                rows.append((stage.key, (stage.title, status("warn"), f"unavailable: {stage.reason or ''}")))
                continue
            rows.append((stage.key, (stage.title, status(stage.status), stage_text(stage))))
        self.query_one("#overview-funnel", SyncTable).sync(rows)
        self._findings = {f"{f.id}:{f.subject}": f for f in evaluate(replace(
            ctx, rate_window=FINDINGS_WINDOW, peak_window=FINDINGS_WINDOW))}
        table = self.query_one("#overview-findings", SyncTable)
        table.sync([(key, (Text(f.severity.upper(), style=SEVERITY_STYLE[f.severity]), f.title))
                    for key, f in self._findings.items()])
        table.display = bool(self._findings)
        self.query_one("#overview-movers", SyncTable).sync(
            [(r.name, (r.name, human(r.delta), rate(r.rate, ""))) for r in movers(ctx)])

    def note_for_cursor(self) -> str:
        findings = self.query_one("#overview-findings", SyncTable)
        if findings.has_focus and findings.current_key() in self._findings:
            return self._findings[findings.current_key() or ""].note or self.info.note
        table = self.query_one("#overview-funnel", SyncTable)
        movers_table = self.query_one("#overview-movers", SyncTable)
        if movers_table.has_focus and movers_table.current_key():
            return f"counter-{movers_table.current_key()}"
        key = table.current_key()
        worst = next((i for i in self._stages.get(key or "", []) if i.status != "ok"), None)
        if worst is not None and worst.name:
            return f"counter-{worst.name}"
        return STAGE_NOTES.get(key or "", self.info.note)

    def note_keys(self, ctx: ViewContext) -> list[str]:
        return overview_note_keys(ctx)
