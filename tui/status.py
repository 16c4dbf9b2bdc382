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


def alerts(data: DataSource, display: DisplayState) -> list[str]:
    """What is wrong with the display itself, most serious first: it must fit at 80 columns."""
    store = data.store
    down = [k.name for k in store.sources() if store.status(k).state is State.DOWN]
    degraded = [k.name for k in store.sources() if store.status(k).parse_errors]
    live = data.live
    gone = live.gone if live else None
    active = data.recorder.active if data.recorder else None
    return ["PAUSED" if display.paused else "",
            f"SAMPLER STOPPED: {live.failure}" if live and live.failure else "",
            f"GONE: {gone}" if gone else "",
            f"REC FAILED: {active.failed}" if active is not None and active.failed else
            (f"REC {active.path.name} ({active.samples} samples)" if active is not None else ""),
            f"{len(down)} down: {', '.join(down)}" if down and not gone else "",
            f"degraded: {', '.join(degraded)}" if degraded else ""]


def status_parts(data: DataSource, display: DisplayState) -> list[str]:
    store, now = data.store, data.now()
    down = [k for k in store.sources() if store.status(k).state is State.DOWN]
    degraded = [k for k in store.sources() if store.status(k).parse_errors]
    detail = ""
    if down:
        detail = f"{down[0].name}: {store.status(down[0]).error}"
    elif degraded:
        st = store.status(degraded[0])
        detail = f"{degraded[0].name}: {st.parse_errors} bad lines skipped, last {st.last_parse_error}"
    return [where(data), *alerts(data, display), *_figures(data, display, now), detail]


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
