"""Interfaces: links in their hierarchy (masters with their ports), with rates and drops."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import keys
from ..nlinfo import Link, link_relations, relation_text
from .context import ViewContext, entity
from .order import natural_key

DROP_COLUMNS = ("rx_dropped", "tx_dropped", "rx_missed_errors")


@dataclass
class InterfaceRow:
    name: str
    depth: int
    kind: str
    operstate: str
    relation: str
    rx_bps: float | None
    tx_bps: float | None
    rx_pps: float | None
    tx_pps: float | None
    errors: int
    drops: int
    missed: int
    drops_rate: float | None


def _bits(rate: float | None) -> float | None:
    return None if rate is None else rate * 8


def _row(ctx: ViewContext, name: str, depth: int, link: Link | None, rel: dict[str, Any]) -> InterfaceRow:
    source = ctx.link_source()
    stats, w, p = ctx.latest(source), ctx.window(source), f"{name}/"
    rx_b, tx_b, rx_p, tx_p = (ctx.rate(w, p + k) for k in ("rx_bytes", "tx_bytes", "rx_packets", "tx_packets"))
    drop_rates = [r for r in (ctx.rate(w, p + c) for c in DROP_COLUMNS) if r is not None]
    return InterfaceRow(
        name, depth, (link.kind or "-") if link else "?", link.operstate if link else "?", relation_text(rel),
        _bits(rx_b), _bits(tx_b), rx_p, tx_p,
        stats.get(p + "rx_errors", 0) + stats.get(p + "tx_errors", 0),
        stats.get(p + "rx_dropped", 0) + stats.get(p + "tx_dropped", 0),
        stats.get(p + "rx_missed_errors", 0), sum(drop_rates) if drop_rates else None)


def interface_rows(ctx: ViewContext) -> list[InterfaceRow]:
    """Links in hierarchy order: masters first with their ports under them."""
    links = ctx.store.detail(keys.LINKS) or {}
    names = sorted({entity(k) for k in ctx.latest(ctx.link_source())}, key=natural_key)
    by_name = {link.name: link for link in links.values()}
    relations = link_relations(links) if links else {}

    def rel(name: str) -> dict[str, Any]:
        link = by_name.get(name)
        return relations.get(link.index, {}) if link else {}

    ports: dict[str, list[str]] = {}
    for name in names:
        master = rel(name).get("master")
        if master:
            ports.setdefault(master, []).append(name)
    rows: list[InterfaceRow] = []
    placed: set[str] = set()

    def place(name: str, depth: int) -> None:
        if name in placed:
            return
        placed.add(name)
        rows.append(_row(ctx, name, depth, by_name.get(name), rel(name)))
        for port in sorted(ports.get(name, []), key=natural_key):
            place(port, depth + 1)

    for name in names:
        master = rel(name).get("master")
        if not master or master not in names:
            place(name, 0)
    for name in names:  # ports whose master is elsewhere
        place(name, 0)
    return rows
