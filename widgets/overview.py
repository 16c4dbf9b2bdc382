"""Pane 1: is anything dropping or queuing, and where — one funnel from wire to socket."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult

from nettop.collectors import keys
from nettop.collectors.findings import Finding
from nettop.collectors.views.context import ViewContext
from nettop.collectors.views.overview import Stage, StageItem, funnel, movers, overview_note_keys

from .fmt import human, rate, severity, status, style, styled
from .i18n import tr, tr_message
from .pane import Pane, PaneInfo, UiState
from .synctable import SyncTable

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
        text.append(f"{item.label}{figure}", style=style({"bad": "alert", "warn": "warn"}.get(item.status, "quiet")))
    return text


def stage_row(stage: Stage, ui: UiState) -> tuple[str, Text, Text | str]:
    if stage.freshness is not None:
        seen = ui.clock(stage.freshness.last_seen) if stage.freshness.last_seen is not None else "never"
        why = stage.freshness.reason or stage.freshness.state
        text = tr("{state}: last seen {seen} ({why})", state=tr(stage.freshness.state), seen=seen, why=why)
        return stage.title, status("stale"), styled(text, style("quiet"))
    if not stage.available:
        quiet = style("quiet")
        return stage.title, styled("n/a", quiet), styled(tr("not applicable: {why}", why=stage.reason or ""), quiet)
    return stage.title, status(stage.status, stage.word), stage_text(stage)


class OverviewPane(Pane):
    SOURCES = (keys.NETSTAT,)

    def __init__(self, info: PaneInfo) -> None:
        super().__init__(info)
        self._stages: dict[str, list[StageItem]] = {}
        self._findings: dict[str, Finding] = {}

    def compose(self) -> ComposeResult:
        yield SyncTable(["stage", "state", "what moves (rate, total)"], id="overview-funnel")
        yield SyncTable(["finding", "what (last 10 s)"], id="overview-findings")
        yield SyncTable(["moved since mark", "delta", "rate/s"], id="overview-movers", classes="main")

    def update_view(self, ctx: ViewContext, ui: UiState) -> None:
        stages = funnel(ctx, ui.findings)
        self._stages = {s.key: s.items for s in stages}
        self.query_one("#overview-funnel", SyncTable).sync([(stage.key, stage_row(stage, ui)) for stage in stages])
        self._findings = {f.key: f for f in ui.findings}
        table = self.query_one("#overview-findings", SyncTable)
        table.sync([(key, (severity(f.severity), f"{tr_message(f.title)} — {tr_message(f.bound)}" if f.bound
                                else tr_message(f.title))) for key, f in self._findings.items()])
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
