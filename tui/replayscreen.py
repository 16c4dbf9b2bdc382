"""The replay screen: the monitor plus playback keys; the position moves with the display."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input

from nettop.collectors.replay import SPEEDS
from nettop.collectors.views.context import Mark
from nettop.widgets.i18n import tr

from .datasource import Playback, parse_hms
from .monitor import MonitorScreen


class ReplayScreen(MonitorScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "play_pause", "play", show=False, tooltip="replay: play / pause"),
        Binding("less_than_sign", "speed(-1)", "slower", show=False, tooltip="replay: slower (down to 1x)"),
        Binding("greater_than_sign", "speed(1)", "faster", show=False, tooltip="replay: faster (up to 60x)"),
        Binding("left", "seek(-10)", "-10 s", show=False, priority=True, tooltip="replay: 10 s back"),
        Binding("right", "seek(10)", "+10 s", show=False, priority=True, tooltip="replay: 10 s forward"),
        Binding("g", "goto", "go to", show=False, tooltip="replay: go to a time (HH:MM:SS from the start)"),
    ]

    @property
    def playback(self) -> Playback:
        assert self.data.playback is not None
        return self.data.playback

    def compose_extra(self) -> ComposeResult:
        yield Input(placeholder=tr("go to HH:MM:SS from the start of the recording"), id="goto")

    def before_frame(self) -> None:
        self.playback.tick()

    def action_play_pause(self) -> None:
        self.playback.playing = not self.playback.playing
        self.playback.tick()
        self.show_status()

    def action_speed(self, step: int) -> None:
        i = min(range(len(SPEEDS)), key=lambda k: abs(SPEEDS[k] - self.playback.speed))
        self.playback.speed = SPEEDS[max(0, min(len(SPEEDS) - 1, i + step))]
        self.show_status()

    def action_seek(self, seconds: float) -> None:
        self.seek_to(self.data.now() + seconds)

    def seek_to(self, t: float) -> None:
        self.playback.seek(t)
        at = min(self.mark.t, self.data.now())
        self.set_mark(Mark(at, self.playback.first_values(at)))

    def action_goto(self) -> None:
        box = self.query_one("#goto", Input)
        box.display = True
        box.value = ""
        box.focus()

    @on(Input.Submitted, "#goto")
    def _goto_done(self, event: Input.Submitted) -> None:
        event.input.display = False
        self.focus_first_table()
        try:
            offset = parse_hms(event.value)
        except ValueError as exc:
            self.notify(str(exc), severity="error", timeout=4)
            return
        self.seek_to(self.playback.recording.start + offset)
