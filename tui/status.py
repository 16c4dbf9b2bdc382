"""What the status line says: where, what state the display is in, then the figures."""

from __future__ import annotations

from dataclasses import dataclass

from nettop.collectors.store import State
from nettop.collectors.views.series import tier_rates
from nettop.widgets.i18n import tr

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
        return tr("recording of {host}", host=header.get("host")) + netns
    return f"netns {data.netns.spec}" if data.netns else tr("host namespace")


def alerts(data: DataSource, display: DisplayState) -> list[str]:
    """What is wrong with the display itself, most serious first: it must fit at 80 columns."""
    store = data.store
    down = [k.name for k in store.sources() if store.status(k).state is State.DOWN]
    degraded = [k.name for k in store.sources() if store.status(k).parse_errors]
    live = data.live
    gone = live.gone if live else None
    active = data.recorder.active if data.recorder else None
    return [tr("PAUSED") if display.paused else "",
            tr("SAMPLER STOPPED: {why}", why=live.failure) if live and live.failure else "",
            tr("GONE: {why}", why=gone) if gone else "",
            tr("REC FAILED: {why}", why=active.failed) if active is not None and active.failed else
            (tr("REC {file} ({n} samples)", file=active.path.name, n=active.samples) if active is not None else ""),
            tr("{n} down: {names}", n=len(down), names=", ".join(down)) if down and not gone else "",
            tr("degraded: {names}", names=", ".join(degraded)) if degraded else ""]


def status_parts(data: DataSource, display: DisplayState) -> list[str]:
    store, now = data.store, data.now()
    down = [k for k in store.sources() if store.status(k).state is State.DOWN]
    degraded = [k for k in store.sources() if store.status(k).parse_errors]
    detail = ""
    if down:
        detail = f"{down[0].name}: {store.status(down[0]).error}"
    elif degraded:
        st = store.status(degraded[0])
        detail = tr("{name}: {n} bad lines skipped, last {line}", name=degraded[0].name, n=st.parse_errors,
                    line=st.last_parse_error)
    elif data.live is not None and (slowed := data.live.slowed()):
        detail = tr("slower: {what}", what=", ".join(slowed))
    return [where(data), *alerts(data, display), *_figures(data, display, now), detail]


def _figures(data: DataSource, display: DisplayState, now: float) -> list[str]:
    if data.playback is not None:
        rate = data.playback.describe()
    else:
        gauges, counters = tier_rates(data.store, now)
        hz = gauges or counters
        note = data.live.budget_note() if data.live else ""
        if gauges and counters:
            rate = tr("gauges {hz:.0f} Hz, counters {counters:.0f} Hz", hz=gauges, counters=counters)
        else:
            rate = tr("sampling {hz:.0f} Hz", hz=hz) if hz else tr("sampling -")
        if hz and note:
            rate += note if note.startswith("（") else f" {note}"
    cpu = data.live.cpu_percent() if data.live else None
    return [rate, tr("nettop CPU {cpu:.1f}%", cpu=cpu) if cpu is not None else "",
            tr("refresh {s:g}s", s=display.refresh), tr("mark {s:.0f}s ago", s=display.mark_age)]
