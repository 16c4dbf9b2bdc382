"""Qdiscs and classes: per device, a tree of each object under its parent."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .. import keys
from ..keys import Key
from ..nlstats import CLASSFUL, TcStats, format_handle
from .context import ViewContext

QDISC, CLASS = "qdisc", "class"
SOURCE_OF: dict[str, Key[list[TcStats]]] = {QDISC: keys.QDISCS, CLASS: keys.CLASSES}


@dataclass
class TcRow:
    dev: str
    depth: int
    what: str  # "qdisc" or "class"
    handle: str
    parent: str
    kind: str
    backlog_bytes: int
    peak_backlog_bytes: float | None
    backlog_packets: int
    drops_rate: float | None
    overlimits_rate: float | None
    requeues_rate: float | None
    bytes_rate: float | None
    key: str  # store column prefix: `DEV HANDLE`
    leaf: bool  # holds packets itself (not a classful qdisc adding up its children)


Item = tuple[str, TcStats]


def tc_records(ctx: ViewContext) -> list[Item]:
    """Every qdisc and class, tagged with what it is."""
    return ([(QDISC, r) for r in ctx.store.detail(keys.QDISCS) or []]
            + [(CLASS, r) for r in ctx.store.detail(keys.CLASSES) or []])


def _tree(items: list[Item]) -> tuple[list[Item], dict[int, list[Item]]]:
    """Roots and children of one device: a class hangs under its qdisc (X:) or parent class,
    a qdisc under the class it is attached to."""
    handles = {r.handle for _, r in items}
    children: dict[int, list[Item]] = {}
    roots = []
    for what, r in items:
        parent = r.parent
        if what == CLASS and parent not in handles:
            parent = r.handle & 0xFFFF0000  # a top class (parent root) belongs to its qdisc X:
        if parent in handles and parent != r.handle:
            children.setdefault(parent, []).append((what, r))
        else:
            roots.append((what, r))
    return roots, children


def _walk(item: Item, children: dict[int, list[Item]], depth: int) -> Iterator[tuple[Item, int]]:
    yield item, depth
    for child in sorted(children.get(item[1].handle, []), key=lambda x: (x[0] != CLASS, x[1].handle)):
        yield from _walk(child, children, depth + 1)


def _row(ctx: ViewContext, what: str, r: TcStats, depth: int) -> TcRow:
    key = ctx.tc_entity(r)
    source = SOURCE_OF[what]
    w = ctx.window(source)
    return TcRow(r.dev or ctx.link_name(r.ifindex), depth, what, format_handle(r.handle), format_handle(r.parent),
                 r.kind, r.backlog_bytes, ctx.peak(source, f"{key}/backlog_bytes"), r.backlog_packets,
                 ctx.rate(w, f"{key}/drops"), ctx.rate(w, f"{key}/overlimits"), ctx.rate(w, f"{key}/requeues"),
                 ctx.rate(w, f"{key}/bytes"), key, what == CLASS or r.kind not in CLASSFUL)


def tc_rows(ctx: ViewContext) -> list[TcRow]:
    """Per device (by ifindex), its qdiscs and classes in tree order."""
    by_dev: dict[int, list[Item]] = {}
    for what, r in tc_records(ctx):
        by_dev.setdefault(r.ifindex, []).append((what, r))
    rows = []
    for ifindex in sorted(by_dev):
        roots, children = _tree(by_dev[ifindex])
        for root in sorted(roots, key=lambda x: x[1].handle):
            rows += [_row(ctx, what, r, depth) for (what, r), depth in _walk(root, children, 0)]
    return rows


def leaf_qdiscs(ctx: ViewContext) -> list[TcStats]:
    """Qdiscs that hold packets themselves: a classful qdisc only adds up its children,
    so summing drops over these gives what `tc -s` shows once per packet."""
    return [r for r in ctx.store.detail(keys.QDISCS) or [] if r.kind not in CLASSFUL]
