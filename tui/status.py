"""What the status line says: where, what state the display is in, then the figures."""

from __future__ import annotations

from dataclasses import dataclass

from nettop.collectors.store import State
from nettop.collectors.views.series import sampling_rate

from .datasource import DataSource


@dataclass
class DisplayState:
    paused: bool
    refresh: float
    mark_age: float


def where(data: DataSource) -> str:
    if data.playback is not None:
        header = data.playback.recording.header
        netns = f" netns {header['netns']}" if header.get("netns") else ""
        return f"recording of {header.get('host')}{netns}"
    return f"netns {data.netns.spec}" if data.netns else "host namespace"


def status_parts(data: DataSource, display: DisplayState) -> list[str]:
    store, now = data.store, data.now()
    down = [k for k in store.sources() if store.status(k).state is State.DOWN]
    gone = data.live.gone if data.live else None
    active = data.recorder.active if data.recorder else None
    alerts = ["PAUSED" if display.paused else "",
              f"GONE: {gone}" if gone else "",
              f"REC {active.path.name} ({active.samples} samples)" if active is not None else "",
              f"{len(down)} down: {', '.join(k.name for k in down)}" if down and not gone else ""]
    return [where(data), *alerts, *_figures(data, display, now),
            f"{down[0].name}: {store.status(down[0]).error}" if down else ""]


def _figures(data: DataSource, display: DisplayState, now: float) -> list[str]:
    if data.playback is not None:
        rate = data.playback.describe()
    else:
        hz = sampling_rate(data.store, now)
        note = data.live.budget_note() if data.live else ""
        rate = f"sampling {hz:.0f} Hz {note}".rstrip() if hz else "sampling -"
    cpu = data.live.cpu_percent() if data.live else None
    return [rate, f"nettop CPU {cpu:.1f}%" if cpu is not None else "", f"refresh {display.refresh:g}s",
            f"mark {display.mark_age:.0f}s ago"]
