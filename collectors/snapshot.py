"""The whole state as one document: `nettop snapshot`, the `s` key, doctor, export.

Schema `nettop.snapshot/1`, documented in docs/snapshot.md. Built only from the
store, so live sampling and replay give the same document.
"""

from __future__ import annotations

import datetime as dt
import platform
import socket
from typing import Any

from .netdev import parse_netdev
from .procfs import ProcRoot
from .protocols import parse_protocols
from .sampler import SYSCTL_SOURCE
from .sockstat import parse_sockstat
from .softnet import parse_softnet
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
    if window is None or name not in window.columns:
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
        if window is None or col not in window.columns:
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
    raw = store.latest_raw("dev")
    if not raw:
        return {}
    window = store.window("dev", since)
    return {name: {**fields, **_rates_by_entity(window, name, fields)}
            for name, fields in parse_netdev(raw).items()}


def _softnet(store: Store, since: float | None) -> list[dict[str, Any]]:
    raw = store.latest_raw("softnet_stat")
    if not raw:
        return []
    window = store.window("softnet_stat", since)
    return [{**row.as_dict(), **_rates_by_entity(window, f"cpu{row.cpu}", row.fields)}
            for row in parse_softnet(raw)]


def _sockstat(store: Store) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for source in ("sockstat", "sockstat6"):
        raw = store.latest_raw(source)
        if raw:
            out.update(parse_sockstat(raw))
    return out


def _protocols(store: Store) -> dict[str, Any]:
    raw = store.latest_raw("protocols")
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


def build_snapshot(store: Store, root: ProcRoot, since: float | None,
                   duration_s: float, taken_at: dt.datetime | None = None) -> dict[str, Any]:
    """The snapshot document for the samples taken since `since` (clock time)."""
    taken_at = taken_at or dt.datetime.now(dt.timezone.utc)
    sysctls: SysctlReading | None = store.info(SYSCTL_SOURCE)
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
        "sysctls": dict(sysctls.values) if sysctls else {},
        "sysctls_absent": dict(sysctls.absent) if sysctls else {},
        "sources": _sources(store, sysctls),
    }
