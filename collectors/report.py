"""A snapshot as text for a terminal: a richer `nstat`."""

from __future__ import annotations

from typing import Any, Iterable


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _table(headers: list[str], rows: Iterable[list[Any]]) -> list[str]:
    body = [[_fmt(c) for c in r] for r in rows]
    if not body:
        return []
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(  # noqa: E731
        c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return [line(headers)] + [line(r) for r in body]


def _section(title: str, lines: list[str]) -> list[str]:
    return [f"== {title}", *(lines or ["(nothing to show)"]), ""]


def _counter_rows(snap: dict[str, Any], show_all: bool) -> list[list[Any]]:
    rows = []
    for name, e in snap["counters"].items():
        if not show_all and not e["value"] and not e.get("delta") and not e.get("peak"):
            continue
        if e.get("gauge"):
            rows.append([name, e["value"], "gauge", f"peak {_fmt(e.get('peak'))}"])
        else:
            rows.append([name, e["value"], e.get("delta"), e.get("rate")])
    return rows


def _interface_rows(snap: dict[str, Any], show_all: bool) -> list[list[Any]]:
    rows = []
    for name, f in snap["interfaces"].items():
        r = f.get("rates", {})
        errors = sum(f.get(k, 0) for k in ("rx_errs", "rx_drop", "rx_fifo", "tx_errs", "tx_drop", "tx_fifo"))
        if not show_all and not f.get("rx_packets") and not f.get("tx_packets"):
            continue
        rows.append([name, r.get("rx_bytes"), r.get("rx_packets"), r.get("tx_bytes"), r.get("tx_packets"),
                     f.get("rx_drop"), f.get("tx_drop"), errors])
    return rows


def _softnet_rows(snap: dict[str, Any]) -> list[list[Any]]:
    return [[f"cpu{r['cpu']}", r.get("processed"), r["rates"].get("processed"), r.get("dropped"),
             r["rates"].get("dropped"), r.get("time_squeeze"), r["rates"].get("time_squeeze")]
            for r in snap["softnet"]]


def _memory_lines(snap: dict[str, Any]) -> list[str]:
    lines = []
    for proto in ("TCP", "UDP"):
        p = snap["protocols"].get(proto)
        limits = snap.get(f"{proto.lower()}_mem")
        mem = snap["sockstat"].get(proto, {}).get("mem")
        if limits:
            marks = f"low {limits['low']:,}  pressure {limits['pressure']:,}  high {limits['high']:,}"
        else:
            marks = f"limits unavailable: {snap['sources'].get(f'{proto.lower()}_mem', {}).get('error')}"
        press = p.get("press") if p else "?"
        lines.append(f"{proto:4} memory {_fmt(mem)} pages  press {press}  ({marks})")
    for proto, fields in snap["sockstat"].items():
        lines.append(f"{proto:9} " + "  ".join(f"{k} {v:,}" for k, v in fields.items()))
    return lines


def _source_lines(snap: dict[str, Any]) -> list[str]:
    bad = {n: s for n, s in snap["sources"].items() if not s.get("ok") or s.get("parse_errors")}
    if not bad:
        return [f"all {len(snap['sources'])} sources ok"]
    lines = []
    for name, s in bad.items():
        state = "ok" if s.get("ok") else "UNAVAILABLE"
        errs = f", {s['parse_errors']} parse errors" if s.get("parse_errors") else ""
        lines.append(f"{name}: {state}{errs} - {s.get('error') or s.get('last_parse_error') or ''}".rstrip(" -"))
    return lines


def format_text(snap: dict[str, Any], show_all: bool = False) -> str:
    host = snap["host"]
    out = [f"nettop snapshot of {host['hostname']} (Linux {host['kernel']}) at {snap['taken_at']}, "
           f"over {snap['duration_s']:.2f} s" + ("" if show_all else "; zero rows hidden (--all shows them)"), ""]
    out += _section("Sources", _source_lines(snap))
    out += _section("Counters", _table(["counter", "value", "delta", "rate/s"], _counter_rows(snap, show_all)))
    out += _section("Protocol memory and sockets", _memory_lines(snap))
    out += _section("Softnet per CPU", _table(
        ["cpu", "processed", "/s", "dropped", "/s", "time_squeeze", "/s"], _softnet_rows(snap)))
    out += _section("Interfaces", _table(
        ["interface", "rx B/s", "rx pkt/s", "tx B/s", "tx pkt/s", "rx_drop", "tx_drop", "errors"],
        _interface_rows(snap, show_all)))
    sysctl_rows = [[k, v] for k, v in snap["sysctls"].items()]
    sysctl_rows += [[k, f"absent: {why}"] for k, why in snap.get("sysctls_absent", {}).items()]
    out += _section("Sysctls", _table(["sysctl", "value"], sysctl_rows))
    return "\n".join(out)
