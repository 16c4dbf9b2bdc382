"""Sysctls: the audited knobs, their values, and a line on what each does."""

from __future__ import annotations

from textual.app import ComposeResult

from nettop.collectors import keys
from nettop.collectors.views.context import ViewContext
from nettop.collectors.views.sysctls import sysctl_rows

from .pane import Pane, UiState
from .synctable import SyncTable


class SysctlsPane(Pane):
    SOURCES = (keys.SYSCTLS,)
    def compose(self) -> ComposeResult:
        yield SyncTable(["sysctl", "value", "what it does"], id="sysctls-table", classes="main")

    def update_view(self, ctx: ViewContext, ui: UiState) -> None:
        rows = sysctl_rows(ctx, ui.filter)
        self.query_one("#sysctls-table", SyncTable).sync(
            [(r.name, (r.name, r.value, ui.summary(f"sysctl-{r.name}"))) for r in rows])

    def note_keys(self, ctx: ViewContext) -> list[str]:
        return [f"sysctl-{r.name}" for r in sysctl_rows(ctx)]

    def note_for_cursor(self) -> str:
        key = self.query_one("#sysctls-table", SyncTable).current_key()
        return f"sysctl-{key}" if key else self.info.note
