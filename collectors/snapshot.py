"""The whole state as one document: `nettop snapshot`, the `s` key, doctor, export.

Schema `nettop.snapshot/1`, documented in docs/snapshot.md. Built only from the
store, so live sampling and replay give the same document.
"""

from __future__ import annotations

import datetime as dt
import platform
import socket
from typing import TYPE_CHECKING, Any

from .netns import NetnsTarget
from .nlinfo import Link, link_relations
from .nlstats import TC_COUNTERS, TC_GAUGES, DiagSocket, TcStats, format_handle

if TYPE_CHECKING:
    from .findings import Finding
    from .owners import SocketOwners
from .procfs import ProcRoot
from .protocols import parse_protocols
from .sources import SYSCTL_SOURCE
from .store import Store, Window
from .sysctl import MEM_KNOBS, SysctlReading, parse_mem_triple

SCHEMA = "nettop.snapshot/1"
COUNTER_SOURCES = ("netstat", "snmp", "snmp6")


def host_info(root: ProcRoot) -> dict[str, Any]:
    return {
        "hostname": socket.gethostname(),
        "kernel": platform.release(),
        "procfs": str(root.proc),
        "sysfs": str(root.sys),
        "pid": root.pid,
    }


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
    for source in COUNTER_SOURCES:
        _, values = store.latest(source)
        window = store.window(source, since)
        for name, value in values.items():
            out[name] = _entry(window, name, value)
    return out


def _rates_by_entity(window: Window | None, entity: str, fields: dict[str, int]) -> dict[str, Any]:
    rates: dict[str, Any] = {}
    peaks: dict[str, Any] = {}
    for field_name in fields:
        col = f"{entity}/{field_name}"
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


def _interfaces(store: Store, since: float | None) -> dict[str, Any]:
    """/proc/net/dev counters, and from netlink the kind, hierarchy and 64-bit stats."""
    _, dev = store.latest("dev")
    window = store.window("dev", since)
    out: dict[str, Any] = {name: {**fields, **_rates_by_entity(window, name, fields)}
                           for name, fields in _group(dev).items()}
    links: dict[int, Link] | None = store.detail("links")
    if links:
        relations = link_relations(links)
        for index, link in links.items():
            entry = out.setdefault(link.name, {})
            entry.update({"index": index, "kind": link.kind, "slave_kind": link.slave_kind,
                          **relations[index], "operstate": link.operstate, "mtu": link.mtu,
                          "txqlen": link.txqlen, "qdisc": link.qdisc, "tx_queues": link.num_tx_queues,
                          "rx_queues": link.num_rx_queues, "details": link.details})
    _, stats = store.latest("link_stats")
    stats_window = store.window("link_stats", since)
    for name, fields in _group(stats).items():
        entry = out.setdefault(name, {})
        entry["stats"] = fields
        entry["stats_rates"] = _rates_by_entity(stats_window, name, fields)["rates"]
    return out


def _group(flat: dict[str, int]) -> dict[str, dict[str, int]]:
    """`{"eth0/rx_bytes": 1}` -> `{"eth0": {"rx_bytes": 1}}`."""
    out: dict[str, dict[str, int]] = {}
    for key, value in flat.items():
        entity, _, field_name = key.rpartition("/")
        out.setdefault(entity, {})[field_name] = value
    return out


def _tc_entries(store: Store, source: str, since: float | None, records: list[TcStats],
                options: dict[tuple[int, int], dict[str, int]] | None = None) -> list[dict[str, Any]]:
    window = store.window(source, since)
    names: dict[int, Link] = store.detail("links") or {}
    out = []
    for r in records:
        dev = names[r.ifindex].name if r.ifindex in names else f"if{r.ifindex}"
        entity = f"{dev} {format_handle(r.handle)}"
        rates = _rates_by_entity(window, entity, {f: 0 for f in TC_COUNTERS + TC_GAUGES})
        entry: dict[str, Any] = {
            "dev": dev, "kind": r.kind, "handle": format_handle(r.handle), "parent": format_handle(r.parent),
            **{f: getattr(r, f) for f in TC_COUNTERS + TC_GAUGES},
            "peak_backlog_bytes": rates.get("peaks", {}).get("backlog_bytes", r.backlog_bytes),
            "peak_backlog_packets": rates.get("peaks", {}).get("backlog_packets", r.backlog_packets),
            "rates": rates["rates"],
        }
        if r.xstats:
            entry["xstats"] = r.xstats
        if options and (r.ifindex, r.handle) in options:
            entry.update(options[(r.ifindex, r.handle)])
        out.append(entry)
    return out


def _qdiscs(store: Store, since: float | None) -> list[dict[str, Any]]:
    return _tc_entries(store, "qdiscs", since, store.detail("qdiscs") or [])


def _classes(store: Store, since: float | None) -> list[dict[str, Any]]:
    detail = store.detail("classes")
    if not detail:
        return []
    records, options = detail
    return _tc_entries(store, "classes", since, records, options)


def _owners() -> "SocketOwners":
    from .owners import SocketOwners

    return SocketOwners()


def _listeners(store: Store, since: float | None, resolver: "SocketOwners") -> list[dict[str, Any]]:
    socks: list[DiagSocket] = store.detail("listeners") or []
    window = store.window("listeners", since)
    owners = resolver.lookup([s.inode for s in socks])
    out = []
    for s in socks:
        peak = window.peak(f"{s.local}/accept_queue") if window and f"{s.local}/accept_queue" in window else None
        pid, process = owners.get(s.inode, (None, None))
        out.append({"proto": "tcp6" if s.family == socket.AF_INET6 else "tcp", "local": s.local,
                    "accept_queue": s.rqueue, "backlog": s.wqueue,
                    "peak_accept_queue": _num(peak) if peak is not None else s.rqueue,
                    "inode": s.inode, "pid": pid, "process": process})
    return out


def _tcp_states(store: Store) -> dict[str, Any]:
    """Sockets by state from sock_diag, plus orphans, which only sockstat counts."""
    counts = dict(store.detail("tcp_states") or {})
    _, sockstat = store.latest("sockstat")
    if "TCP/orphan" in sockstat:
        counts["orphans"] = sockstat["TCP/orphan"]
    return counts


def _bql(store: Store) -> dict[str, Any]:
    queues = store.detail("bql")
    if queues is None:
        return {}
    _, values = store.latest("bql")
    out: dict[str, Any] = {dev: {"tx_queues": q["tx"], "rx_queues": q["rx"], "tx": {}} for dev, q in queues.items()}
    for key, value in values.items():
        entity, _, field_name = key.rpartition("/")
        dev, _, queue = entity.rpartition(" ")
        out.setdefault(dev, {"tx": {}})["tx"].setdefault(queue, {})[field_name] = value
    return out


def _softnet(store: Store, since: float | None) -> list[dict[str, Any]]:
    _, latest = store.latest("softnet_stat")
    window = store.window("softnet_stat", since)
    rows = sorted(_group(latest).items(), key=lambda kv: int(kv[0][3:]) if kv[0][3:].isdigit() else 0)
    return [{"cpu": int(cpu[3:]), **fields, **_rates_by_entity(window, cpu, fields)} for cpu, fields in rows]


def _sockstat(store: Store) -> dict[str, Any]:
    """Built from the columns (not the raw text), so a replayed recording gives the same."""
    out: dict[str, Any] = {}
    for source in ("sockstat", "sockstat6"):
        out.update(_group(store.latest(source)[1]))
    return out


def _protocols(store: Store) -> dict[str, Any]:
    raw = store.detail("protocols")
    return parse_protocols(raw) if raw else {}


def _sources(store: Store, sysctls: SysctlReading | None) -> dict[str, Any]:
    out = {name: store.status(name).as_dict() for name in store.sources()}
    for short, knob in MEM_KNOBS.items():
        if sysctls is None:
            out[short] = {"ok": False, "error": out.get(SYSCTL_SOURCE, {}).get("error") or "not read"}
        elif knob in sysctls.values:
            out[short] = {"ok": True, "error": None}
        else:
            out[short] = {"ok": False, "error": sysctls.absent.get(knob, "not read")}
    return out


def _mem(sysctls: SysctlReading | None, knob: str) -> dict[str, int] | None:
    if sysctls is None or knob not in sysctls.values:
        return None
    try:
        return parse_mem_triple(sysctls.values[knob])
    except ValueError:
        return None


def run_findings(store: Store, since: float | None, now: float) -> list[Finding]:
    """The rules over the samples since `since`: rates over the whole stretch, peaks across it."""
    from .findings import evaluate
    from .views import Mark, ViewContext

    window = max(1.0, now - since) if since is not None else 1.0
    return evaluate(ViewContext(store, now, Mark(now), rate_window=window, peak_window=window))


def _newest(store: Store) -> float:
    times = [store.latest(s)[0] for s in store.sources()]
    return max((t for t in times if t is not None), default=0.0)


def _netns(netns: NetnsTarget | None, gone: str | None) -> dict[str, Any] | None:
    if netns is None:
        return None
    return {**netns.describe(), "gone": gone}


def build_snapshot(store: Store, root: ProcRoot, since: float | None,
                   duration_s: float, taken_at: dt.datetime | None = None,
                   netns: NetnsTarget | None = None, netns_gone: str | None = None,
                   owners: "SocketOwners | None" = None) -> dict[str, Any]:
    """The snapshot document for the samples taken since `since` (clock time)."""
    taken_at = taken_at or dt.datetime.now(dt.timezone.utc)
    sysctls: SysctlReading | None = store.detail(SYSCTL_SOURCE)
    return {
        "schema": SCHEMA,
        "taken_at": taken_at.isoformat(timespec="milliseconds"),
        "duration_s": round(duration_s, 3),
        "host": host_info(root),
        "counters": _counters(store, since),
        "protocols": _protocols(store),
        "sockstat": _sockstat(store),
        "tcp_mem": _mem(sysctls, MEM_KNOBS["tcp_mem"]),
        "udp_mem": _mem(sysctls, MEM_KNOBS["udp_mem"]),
        "softnet": _softnet(store, since),
        "interfaces": _interfaces(store, since),
        "qdiscs": _qdiscs(store, since),
        "classes": _classes(store, since),
        "listeners": _listeners(store, since, owners or _owners()),
        "tcp_states": _tcp_states(store),
        "bql": _bql(store),
        "netns": _netns(netns, netns_gone),
        "sysctls": dict(sysctls.values) if sysctls else {},
        "sysctls_absent": dict(sysctls.absent) if sysctls else {},
        "sysctls_from_host": sorted(sysctls.from_host) if sysctls else [],
        "sources": _sources(store, sysctls),
        "findings": [f.as_dict() for f in run_findings(store, since, _newest(store))],
    }
