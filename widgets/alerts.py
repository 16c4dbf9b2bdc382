"""The findings strip: one to three lines above the panes that no layout can push away.

The worst findings first, each with its marker (`CRIT` reversed, `WARN` bold), its title and
the limit that bound; more than three are counted on the last line. When the figures are not
live (a namespace deleted, a sampler stopped) it says so instead of showing old alarms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from nettop.collectors.findings import SEVERITY_RANK, Finding

from .fmt import severity, style, styled
from .i18n import tr, tr_message

MAX_LINES = 3


@dataclass(frozen=True)
class Stale:
    since: str  # `12:03:04`
    reason: str


def finding_line(f: Finding) -> Text:
    line = severity(f.severity)
    line.append(" ")
    line.append(tr_message(f.title), style="bold" if f.severity == "critical" else "")
    if f.bound:
        line.append(f" — {tr_message(f.bound)}", style=style("quiet") if f.severity != "critical" else "")
    return line


def summary_line(rest: Sequence[Finding]) -> Text:
    crit = sum(1 for f in rest if f.severity == "critical")
    warn = sum(1 for f in rest if f.severity == "warning")
    parts = [tr("{n} critical", n=crit) if crit else "",
             (tr("{n} warning", n=warn) if warn == 1 else tr("{n} warnings", n=warn)) if warn else ""]
    line = styled(f" +{len(rest)} ", "bold reverse" if crit else "bold")
    line.append(" " + tr("more: {what} — the Overview (1) lists them all", what=", ".join(p for p in parts if p)))
    return line


def strip_lines(findings: Sequence[Finding], stale: Stale | None) -> list[Text]:
    if stale is not None:
        line = styled(" STALE ", "bold reverse")
        line.append(" " + tr("figures stopped at {since}: {why}", since=stale.since, why=stale.reason), style="bold")
        return [line]
    if not findings:
        return [styled(" ok ", style("ok")) + styled(" " + tr("no findings over the last 10 s"), style("quiet"))]
    ordered = sorted(findings, key=lambda f: -SEVERITY_RANK[f.severity])
    if len(ordered) <= MAX_LINES:
        return [finding_line(f) for f in ordered]
    return [*(finding_line(f) for f in ordered[:MAX_LINES - 1]), summary_line(ordered[MAX_LINES - 1:])]


class FindingsStrip(Static):
    DEFAULT_CSS = """
    FindingsStrip { height: auto; max-height: 3; padding: 0 1; background: $panel;
                    text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def show(self, findings: Sequence[Finding], stale: Stale | None = None) -> None:
        text = Text("\n").join(strip_lines(findings, stale))
        text.no_wrap, text.overflow = True, "ellipsis"
        self.update(text)
