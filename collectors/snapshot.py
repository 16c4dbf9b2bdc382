"""The whole state as one document: `nettop snapshot`, the `s` key, doctor, export.

Schema `nettop.snapshot/2`, documented in docs/snapshot.md. Built only from the
store, so live sampling and replay give the same document.
"""

from __future__ import annotations

import datetime as dt
import platform
import socket
from typing import TYPE_CHECKING, Any

from . import keys
from .keys import COUNTER_KEYS, Key
from .netns import NetnsTarget
from .nlinfo import link_relations
from .nlstats import TC_COUNTERS, TC_GAUGES, TcStats, format_handle
from .procfs import ProcRoot
from .store import Store, Window
from .sysctl import MEM_KNOBS, SysctlReading, parse_mem_triple
from .views.context import Mark, ViewContext, entity, field_of

if TYPE_CHECKING:
    from pathlib import Path

    from .findings import Finding
    from .owners import SocketOwners
    from .replay import Player

SCHEMA = "nettop.snapshot/2"


def host_info(root: ProcRoot) -> dict[str, Any]:
    return {"hostname": socket.gethostname(), "kernel": platform.release(), "procfs": str(root.proc),
            "sysfs": str(root.sys), "pid": root.pid}


def _num(value: float | None) -> float | int | None:
    if value is None or value != value:
        return None
    return int(value) if float(value).is_integer() else round(value, 3)


def _entry(window: Window | None, name: str, value: int) -> dict[str, Any]:
    if window is None or name not in window:
        return {"value": value, "delta": None, "rate": None}
    if window.is_gauge(name):
        return {"value": value, "peak": _num(window.peak(name)), "gauge": True}
    d = window.delta(name)
    entry: dict[str, Any] = {"value": value, "delta": _num(d.delta), "rate": _num(d.rate)}
    if d.gaps:
        entry["gaps"] = d.gaps
    return entry


def _counters(store: Store, since: float | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in COUNTER_KEYS:
        window = store.window(key, since)
        for name, value in store.latest(key)[1].items():
            out[name] = _entry(window, name, value)
    return out


def _rates_by_entity(window: Window | None, name: str, fields: dict[str, int]) -> dict[str, Any]:
    rates: dict[str, Any] = {}
    peaks: dict[str, Any] = {}
    for field_name in fields:
        col = f"{name}/{field_name}"
        if window is None or col not in window:
            continue
        if window.is_gauge(col):
            peaks[field_name] = _num(window.peak(col))
        else:
            rates[field_name] = _num(window.delta(col).rate)
    out: dict[str, Any] = {"rates": rates}
    if peaks:
        out["peaks"] = peaks
    return out


def group(flat: dict[str, int]) -> dict[str, dict[str, int]]:
    """`{"eth0/rx_bytes": 1}` -> `{"eth0": {"rx_bytes": 1}}`."""
    out: dict[str, dict[str, int]] = {}
    for column, value in flat.items():
        out.setdefault(entity(column), {})[field_of(column)] = value
    return out


def _interfaces(store: Store, since: float | None) -> dict[str, Any]:
    """Each link's counters (netlink's 64-bit stats, /proc/net/dev where netlink is not read: the
    two are never both read), and from netlink the kind, hierarchy and 64-bit stats."""
    source = keys.LINK_STATS if store.status(keys.LINK_STATS).ok else keys.DEV
    window = store.window(source, since)
    out: dict[str, Any] = {name: {**fields, **_rates_by_entity(window, name, fields)}
                           for name, fields in group(store.latest(source)[1]).items()}
    links = store.detail(keys.LINKS)
    if links:
        relations = link_relations(links)
        for index, link in links.items():
            out.setdefault(link.name, {}).update({
                "index": index, "kind": link.kind, "slave_kind": link.slave_kind, **relations[index],
                "operstate": link.operstate, "mtu": link.mtu, "txqlen": link.txqlen, "qdisc": link.qdisc,
                "tx_queues": link.num_tx_queues, "rx_queues": link.num_rx_queues, "details": link.details})
    stats_window = store.window(keys.LINK_STATS, since)
    for name, fields in group(store.latest(keys.LINK_STATS)[1]).items():
        entry = out.setdefault(name, {})
        entry["stats"] = fields
        entry["stats_rates"] = _rates_by_entity(stats_window, name, fields)["rates"]
    return out


def _tc_entries(ctx: ViewContext, key: Key[list[TcStats]], since: float | None) -> list[dict[str, Any]]:
    window = ctx.store.window(key, since)
    out = []
    for r in ctx.store.detail(key) or []:
        rates = _rates_by_entity(window, ctx.tc_entity(r), dict.fromkeys(TC_COUNTERS + TC_GAUGES, 0))
        peaks = rates.get("peaks", {})
        entry: dict[str, Any] = {
            "dev": r.dev or ctx.link_name(r.ifindex), "kind": r.kind, "handle": format_handle(r.handle),
            "parent": format_handle(r.parent), **{f: getattr(r, f) for f in TC_COUNTERS + TC_GAUGES},
            "peak_backlog_bytes": peaks.get("backlog_bytes", r.backlog_bytes),
            "peak_backlog_packets": peaks.get("backlog_packets", r.backlog_packets),
            "rates": rates["rates"],
        }
        if r.xstats:
            entry["xstats"] = r.xstats
        entry.update(r.options)
        out.append(entry)
    return out


def _owners() -> SocketOwners:
    from .owners import SocketOwners

    return SocketOwners()


def _listeners(store: Store, since: float | None, resolver: SocketOwners) -> list[dict[str, Any]]:
    socks = store.detail(keys.LISTENERS) or []
    window = store.window(keys.LISTENERS, since)
    owners = resolver.lookup([s.inode for s in socks])
    out = []
    for s in socks:
        column = f"{s.local}/accept_queue"
        peak = window.peak(column) if window is not None and column in window else None
        pid, process = owners.get(s.inode, (None, None))
        out.append({"proto": "tcp6" if s.family == socket.AF_INET6 else "tcp", "local": s.local,
                    "accept_queue": s.rqueue, "backlog": s.wqueue,
                    "peak_accept_queue": _num(peak) if peak is not None else s.rqueue,
                    "inode": s.inode, "pid": pid, "process": process})
    return out


def _tcp_states(store: Store) -> dict[str, Any]:
    """Sockets by state from sock_diag, plus orphans, which only sockstat counts."""
    states = store.detail(keys.TCP_STATES)
    counts: dict[str, Any] = dict(states) if states else {}
    sockstat = store.latest(keys.SOCKSTAT)[1]
    if "TCP/orphan" in sockstat:
        counts["orphans"] = sockstat["TCP/orphan"]
    return counts


def _bql(store: Store) -> dict[str, Any]:
    queues = store.detail(keys.BQL)
    if queues is None:
        return {}
    out: dict[str, Any] = {dev: {"tx_queues": q["tx"], "rx_queues": q["rx"], "tx": {}} for dev, q in queues.items()}
    for column, value in store.latest(keys.BQL)[1].items():
        dev, _, queue = entity(column).rpartition(" ")
        out.setdefault(dev, {"tx": {}})["tx"].setdefault(queue, {})[field_of(column)] = value
    return out


def _softnet(store: Store, since: float | None) -> list[dict[str, Any]]:
    window = store.window(keys.SOFTNET, since)
    rows = sorted(group(store.latest(keys.SOFTNET)[1]).items(),
                  key=lambda kv: int(kv[0][3:]) if kv[0][3:].isdigit() else 0)
    return [{"cpu": int(cpu[3:]), **fields, **_rates_by_entity(window, cpu, fields)} for cpu, fields in rows]


def _sockstat(store: Store) -> dict[str, Any]:
    """Built from the columns (not the raw text), so a replayed recording gives the same."""
    out: dict[str, Any] = {}
    for key in (keys.SOCKSTAT, keys.SOCKSTAT6):
        out.update(group(store.latest(key)[1]))
    return out


def _sources(store: Store, sysctls: SysctlReading | None) -> dict[str, Any]:
    out = {key.name: store.status(key).as_dict() for key in store.sources()}
    for short, knob in MEM_KNOBS.items():
        if sysctls is None:
            error = out.get(keys.SYSCTLS.name, {}).get("error") or "not read"
            out[short] = {"ok": False, "state": "down", "error": error}
        elif knob in sysctls.values:
            out[short] = {"ok": True, "state": "ok", "error": None}
        else:
            out[short] = {"ok": False, "state": "down", "error": sysctls.absent.get(knob, "not read")}
    return out


def _drops(store: Store, since: float | None) -> dict[str, Any]:
    """The kernel's drop reasons over the run: per reason, its locations, busiest first."""
    from .drops.info import split_column

    detail = store.detail(keys.DROPS)
    window = store.window(keys.DROPS, since)
    reasons: dict[str, dict[str, Any]] = {}
    for name, value in store.latest(keys.DROPS)[1].items():
        reason, location = split_column(name)
        entry = _entry(window, name, value)
        if entry["delta"] is None and window is not None:  # first seen during the run: it was 0 before
            entry["delta"] = value
        row = reasons.setdefault(reason, {"reason": reason, "value": 0, "delta": 0, "rate": 0.0, "locations": []})
        row["value"] += value
        row["delta"] += entry["delta"] or 0
        row["rate"] = round(row["rate"] + (entry["rate"] or 0.0), 3)
        row["locations"].append({"location": location, **entry})
    for row in reasons.values():
        row["locations"].sort(key=lambda e: (e["delta"] or 0, e["value"]), reverse=True)
    return {"method": detail.method if detail else None, "note": detail.note if detail else None,
            "reasons": sorted(reasons.values(), key=lambda r: (r["delta"], r["value"]), reverse=True)}


def _sampling(store: Store, sampler: dict[str, Any] | None) -> dict[str, Any]:
    """Each tier's effective rate over the last two seconds, and what the sampler said of itself."""
    from .views.series import tier_rates

    gauges, counters = tier_rates(store, newest_sample(store))
    return {"gauges_hz": _num(gauges), "counters_hz": _num(counters), **(sampler or {})}


SNAPSHOT_CONNS = 20  # the busiest connections a snapshot keeps (the source keeps 64)


def _connections(store: Store) -> dict[str, Any] | None:
    """The newest connections dump: totals, groups, the busiest connections, dropping UDP sockets."""
    import msgspec

    detail = store.detail(keys.CONNECTIONS)
    if detail is None:
        return None
    out: dict[str, Any] = msgspec.to_builtins(detail)
    out["conns"] = out["conns"][:SNAPSHOT_CONNS]
    out["totals"] = store.latest(keys.CONNECTIONS)[1]
    return out


def _mem(sysctls: SysctlReading | None, knob: str) -> dict[str, int] | None:
    if sysctls is None or knob not in sysctls.values:
        return None
    try:
        return parse_mem_triple(sysctls.values[knob])
    except ValueError:
        return None


def window_context(store: Store, since: float | None, now: float) -> ViewContext:
    """A view context whose rates and peaks cover the whole stretch since `since`."""
    window = max(1.0, now - since) if since is not None else 1.0
    return ViewContext(store, now, Mark(now), rate_window=window, peak_window=window)


def run_findings(store: Store, since: float | None, now: float) -> list[Finding]:
    """The rules over the samples since `since`: rates over the whole stretch, peaks across it."""
    from .findings import evaluate

    return evaluate(window_context(store, since, now))


def newest_sample(store: Store) -> float:
    times = [store.latest(k)[0] for k in store.sources()]
    return max((t for t in times if t is not None), default=0.0)


def _netns(netns: NetnsTarget | None, gone: str | None) -> dict[str, Any] | None:
    if netns is None:
        return None
    return {**netns.describe(), "gone": gone}


def build_snapshot(store: Store, root: ProcRoot, *, since: float | None,  # noqa: PLR0913
                   duration_s: float, taken_at: dt.datetime | None = None,
                   netns: NetnsTarget | None = None, netns_gone: str | None = None,
                   owners: SocketOwners | None = None, sampling: dict[str, Any] | None = None) -> dict[str, Any]:
    """The snapshot document for the samples taken since `since` (clock time)."""
    taken_at = taken_at or dt.datetime.now(dt.UTC)
    sysctls = store.detail(keys.SYSCTLS)
    now = newest_sample(store)
    ctx = window_context(store, since, now)
    from .findings import evaluate

    return {
        "schema": SCHEMA,
        "taken_at": taken_at.isoformat(timespec="milliseconds"),
        "duration_s": round(duration_s, 3),
        "host": host_info(root),
        "counters": _counters(store, since),
        "protocols": store.detail(keys.PROTOCOLS) or {},
        "sockstat": _sockstat(store),
        "tcp_mem": _mem(sysctls, MEM_KNOBS["tcp_mem"]),
        "udp_mem": _mem(sysctls, MEM_KNOBS["udp_mem"]),
        "softnet": _softnet(store, since),
        "interfaces": _interfaces(store, since),
        "qdiscs": _tc_entries(ctx, keys.QDISCS, since),
        "classes": _tc_entries(ctx, keys.CLASSES, since),
        "listeners": _listeners(store, since, owners or _owners()),
        "tcp_states": _tcp_states(store),
        "bql": _bql(store),
        "drops": _drops(store, since),
        "connections": _connections(store),
        "sampling": _sampling(store, sampling),
        "netns": _netns(netns, netns_gone),
        "sysctls": dict(sysctls.values) if sysctls else {},
        "sysctls_absent": dict(sysctls.absent) if sysctls else {},
        "sysctls_from_host": sorted(sysctls.from_host) if sysctls else [],
        "sources": _sources(store, sysctls),
        "findings": [f.as_dict() for f in evaluate(ctx)],
    }


def recorded_snapshot(player: Player, path: Path) -> dict[str, Any]:
    """The snapshot of a recording at the player's position: its host, its time, its file."""
    rec = player.recording
    taken = dt.datetime.fromtimestamp(rec.wall(player.position), dt.UTC)
    snap = build_snapshot(player.store, ProcRoot(), since=player.position - 1.0, duration_s=1.0, taken_at=taken)
    snap["host"].update(hostname=rec.header.get("host"), kernel=rec.header.get("kernel"), procfs=None, sysfs=None)
    snap["recording"] = {"file": str(path), "offset_s": round(player.position - rec.start, 3),
                         "netns": rec.header.get("netns"), "warnings": list(rec.warnings)}
    return snap
