"""The live screen: the monitor plus `r`, recording what the sampler takes."""

from __future__ import annotations

import datetime as dt
import socket
from typing import ClassVar

from textual.binding import Binding, BindingType

from nettop.widgets.i18n import tr

from .datasource import RecordControl
from .monitor import MonitorScreen


class LiveScreen(MonitorScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "record", "record", tooltip="start / stop recording to nettop-<host>-<time>.ntr"),
    ]

    @property
    def control(self) -> RecordControl:
        assert self.data.recorder is not None
        return self.data.recorder

    def action_record(self) -> None:
        if self.control.active is not None:
            self.notify(tr("recording stopped: {path}", path=self.control.stop_recording()), timeout=5)
        else:
            path = self.snapshot_dir / f"nettop-{socket.gethostname()}-{dt.datetime.now():%Y%m%d-%H%M%S}.ntr"
            try:
                self.control.start_recording(path)
            except OSError as exc:
                self.notify(tr("cannot record to {path}: {why}", path=path, why=exc.strerror or exc), severity="error",
                            timeout=8)
                return
            self.notify(tr("recording to {path}", path=path), timeout=5)
        self.show_status()

    def action_mark(self) -> None:
        super().action_mark()
        if self.control.active is not None:  # a recording keeps the operator's marks
            self.control.active.mark(self.mark.t)
