"""One connection on screen (Enter on the Connections pane): every field, the recent history of
rtt, bytes/s and retransmits/s as sparklines, and the notes of its fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from nettop.collectors.conn.model import Conn
from nettop.collectors.views.connections import by_cookie
from nettop.widgets.i18n import tr

if TYPE_CHECKING:
    from nettop.widgets.connections import ConnectionsPane

BLOCKS = "▁▂▃▄▅▆▇█"
NOTES = (("conn-rtt", "rtt, rttvar, min_rtt"), ("conn-window", "cwnd, ssthresh, unacked, notsent, rates"),
         ("conn-loss", "retransmits, lost, reordering"), ("conn-limited", "busy, rwnd and sndbuf limited"))


def spark(values: Sequence[float], width: int = 40) -> str:
    """`▁▃█▅` of the last `width` values, scaled to their maximum; text, so NO_COLOR keeps it."""
    tail = list(values)[-width:]
    top = max(tail, default=0.0)
    if top <= 0:
        return BLOCKS[0] * len(tail)
    return "".join(BLOCKS[min(len(BLOCKS) - 1, int(v / top * (len(BLOCKS) - 1) + 0.5))] for v in tail)


def figure(v: float) -> str:
    return f"{v:,.0f}" if v >= 100 else f"{v:.3g}"


def fields(c: Conn) -> list[tuple[str, str]]:
    def num(v: float | None, unit: str = "") -> str:
        return "-" if v is None else f"{v:,.0f}{unit}"

    def share(v: float | None) -> str:
        return "-" if v is None else f"{100 * v:.0f}% of busy time"

    return [("state", c.state), ("owner", c.owner or "?"),
            ("rtt / rttvar / min_rtt", f"{num(c.rtt_us)} / {num(c.rttvar_us)} / {num(c.min_rtt_us)} µs"),
            ("cwnd / ssthresh", f"{num(c.cwnd)} / {num(c.ssthresh)} segments"),
            ("unacked / notsent", f"{num(c.unacked)} segments / {num(c.notsent)} bytes"),
            ("send / recv", f"{num(c.send_bps)} / {num(c.recv_bps)} bytes/s"),
            ("delivery / pacing rate", f"{num(c.delivery_rate)} / {num(c.pacing_rate)} bytes/s"),
            ("retransmits", (f"{num(c.retrans_per_s)}/s, {num(c.total_retrans)} in all; lost {num(c.lost)}, "
                            f"reordering {num(c.reordering)}")),
            ("rwnd limited", share(c.rwnd_limited)), ("sndbuf limited", share(c.sndbuf_limited)),
            ("recv-Q / send-Q", f"{c.rqueue:,} / {c.wqueue:,} bytes")]


class ConnScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    ConnScreen { align: center middle; }
    ConnScreen > VerticalScroll { width: 90%; height: 90%; border: round $primary; background: $surface;
                                  padding: 0 1; }
    ConnScreen #conn-notes { height: auto; max-height: 6; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "dismiss", "close")]
    REFRESH = 1.0

    def __init__(self, cookie: int, pane: ConnectionsPane) -> None:
        super().__init__()
        self.cookie, self.pane = cookie, pane

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(id="conn-detail")
            yield OptionList(*[Option(f"{tr(what)}: {note}", id=note) for note, what in NOTES], id="conn-notes")

    def on_mount(self) -> None:
        self.refresh_detail()
        self.set_interval(self.REFRESH, self.refresh_detail)

    def refresh_detail(self) -> None:
        ctx = self.pane.last_context
        conn = by_cookie(ctx, self.cookie) if ctx is not None else None
        history = self.pane.history.get(self.cookie, ())
        if conn is None:
            self.query_one("#conn-detail", Static).update(tr("this connection is gone or no longer among the busiest"))
            return
        lines = [f"{conn.local} -> {conn.remote}", ""]
        lines += [f"{tr(name):24} {value}" for name, value in fields(conn)]
        if history:
            lines += ["", tr("last {n} samples", n=len(history))]
            for label, k in (("rtt ms", 1), ("bytes/s", 2), ("retrans/s", 3)):
                values = [p[k] for p in history]
                top = figure(max(values))
                lines.append(f"{tr(label):10} {spark(values)}  {figure(values[-1])} ({tr('max')} {top})")
        self.query_one("#conn-detail", Static).update("\n".join(lines))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        note_id = event.option.id
        if note_id:
            self.app.pop_screen()
            self.app.monitor.open_note(note_id, None)  # type: ignore[attr-defined]
