"""Findings: rules over the store that name a problem, show the evidence and the limit that
bound, and point at the knob and the note. Thresholds are named constants with their reason;
a quiet host gives no finding at all."""

from __future__ import annotations

from ..views.context import ViewContext
from . import connections, drops, queues, routing, tables, tcp
from .base import CRITICAL, INFO, RULES, SEVERITY_RANK, WARNING, Finding, RuleSpec

__all__ = ["CRITICAL", "INFO", "RULES", "SEVERITY_RANK", "WARNING", "Finding", "RuleSpec", "connections", "drops",
           "evaluate", "exit_code", "queues", "routing", "tables", "tcp"]


def evaluate(ctx: ViewContext) -> list[Finding]:
    """Every rule whose sources are live, most severe first."""
    found = [f for spec in RULES if all(ctx.freshness(k).live for k in spec.needs) for f in spec.fn(ctx)]
    return sorted(found, key=lambda f: (-SEVERITY_RANK[f.severity], f.id, f.subject))


def exit_code(findings: list[Finding]) -> int:
    """0 when nothing is above info, 1 for a warning, 2 for a critical finding."""
    return max((SEVERITY_RANK[f.severity] for f in findings), default=0)
