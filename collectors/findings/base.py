"""What a finding is, and how rules declare what they read.

A rule looks at a view context and returns findings: a severity, the evidence (values and
rates), the knobs involved with their live values, the limit that actually bound, the stage
of the funnel it belongs to, and the note that explains it. A rule runs only while the
sources it needs are live: figures of a source that is down or stale give no finding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import keys
from ..keys import Key
from ..views.context import ViewContext

INFO, WARNING, CRITICAL = "info", "warning", "critical"
SEVERITY_RANK = {INFO: 0, WARNING: 1, CRITICAL: 2}
# the funnel's stages, wire to socket (views/overview.py)
NIC, SOFTNET, QDISC, TCP, MEMORY, DROPS = "nic", "softnet", "qdisc", "tcp", "memory", "drops"


class Msg(str):
    """An English sentence that keeps its template and values: the UI says it in the language
    of the notes (widgets/i18n.py), the JSON of doctor and snapshots keeps the English."""

    __slots__ = ("params", "template")
    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, **params: Any) -> Msg:
        made = super().__new__(cls, template.format(**params))
        made.template, made.params = template, params
        return made


@dataclass
class Finding:
    id: str
    severity: str
    title: str
    evidence: dict[str, Any] = field(default_factory=dict)
    knobs: dict[str, str] = field(default_factory=dict)
    note: str = ""
    subject: str = ""  # the listener, device or qdisc concerned
    stage: str = ""  # the funnel stage it speaks for
    bound: str = ""  # the limit that actually bound, with its live value

    @property
    def key(self) -> str:
        return f"{self.id}:{self.subject}"

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "severity": self.severity, "title": self.title, "subject": self.subject,
                "stage": self.stage, "bound": self.bound, "evidence": self.evidence, "knobs": self.knobs,
                "note": self.note}


Rule = Callable[[ViewContext], list[Finding]]


@dataclass(frozen=True)
class RuleSpec:
    fn: Rule
    needs: tuple[Key[Any], ...]


RULES: list[RuleSpec] = []


def rule(*needs: Key[Any]) -> Callable[[Rule], Rule]:
    """Register a rule that reads `needs`: it is skipped while any of them is not live."""
    def register(fn: Rule) -> Rule:
        RULES.append(RuleSpec(fn, needs))
        return fn
    return register


def rnd(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def netstat_rate(ctx: ViewContext, name: str) -> float:
    return ctx.column_rate(keys.NETSTAT, name) or 0.0
