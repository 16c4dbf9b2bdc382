"""Pane 8: the audited knobs, their values, and a line on what each does."""

from __future__ import annotations

from typing import Callable

from textual.app import ComposeResult

from nettop.collectors.sources import SYSCTL_SOURCE
from nettop.collectors.views import ViewContext

from .pane import Pane, UiState
from .synctable import SyncTable


class SysctlsPane(Pane):
    pane_id = "sysctls"
    number = 8
    title = "Sysctls"

    def __init__(self, describe: Callable[[str], str], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.describe = describe

    def body(self) -> ComposeResult:
        yield SyncTable(["sysctl", "value", "what it does"], id="sysctls-table", classes="main")

    def update_view(self, ctx: ViewContext, ui: UiState) -> None:
        reading = ctx.store.detail(SYSCTL_SOURCE)
        rows = []
        if reading is not None:
            needle = ui.filter.lower()
            items = list(reading.values.items()) + [(k, "absent") for k in reading.absent]
            rows = [(k, (k, v, self.describe(k))) for k, v in items if needle in k.lower()]
        self.query_one("#sysctls-table", SyncTable).sync(rows)

    def note_keys(self, ctx: ViewContext) -> list[str]:
        reading = ctx.store.detail(SYSCTL_SOURCE)
        if reading is None:
            return []
        return [f"sysctl-{k}" for k in list(reading.values) + list(reading.absent)]

    def note_for_cursor(self) -> str:
        key = self.query_one("#sysctls-table", SyncTable).current_key()
        return f"sysctl-{key}" if key else "pane-sysctls"
