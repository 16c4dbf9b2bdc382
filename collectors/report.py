"""A snapshot as text for a terminal: a richer `nstat`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .nlinfo import relation_text


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _table(headers: list[str], rows: Iterable[list[Any]]) -> list[str]:
    raw = [list(r) for r in rows]
    if not raw:
        return []
    body = [[_fmt(c) for c in r] for r in raw]
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(headers)]
    # numbers right-aligned, words left-aligned: a column is numeric when all its cells are
    numeric = [i > 0 and all(isinstance(r[i], (int, float)) or r[i] is None for r in raw)
               for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if numeric[i] else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=False))).rstrip()
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
        # netlink's 64-bit set when present; /proc/net/dev's fields carry the same names
        st = f.get("stats") or f
        r = f.get("stats_rates") if f.get("stats") else f.get("rates", {})
        rx_b, rx_p, tx_b, tx_p = (r.get(k) for k in ("rx_bytes", "rx_packets", "tx_bytes", "tx_packets"))
        drops = st.get("rx_dropped", 0) + st.get("tx_dropped", 0)
        errors = st.get("rx_errors", 0) + st.get("tx_errors", 0) + st.get("rx_missed_errors", 0)
        if not show_all and not (st.get("rx_packets") or st.get("tx_packets")) and not f.get("kind"):
            continue
        rows.append([name, f.get("kind") or "-", f.get("operstate", "-"), rx_b, rx_p, tx_b, tx_p, drops, errors,
                     relation_text(f, with_master=True)])
    return rows


def _tc_rows(snap: dict[str, Any], show_all: bool) -> list[list[Any]]:
    rows = []
    for kind, items in (("qdisc", snap.get("qdiscs", [])), ("class", snap.get("classes", []))):
        for q in items:
            if not show_all and not q["packets"] and q["kind"] in ("noqueue", "noop"):
                continue
            r = q.get("rates", {})
            rows.append([f"{q['dev']} {kind} {q['handle']}", q["kind"], q["parent"], q["backlog_bytes"],
                         q["peak_backlog_bytes"], q["backlog_packets"], q["drops"], r.get("drops"),
                         q["overlimits"], r.get("bytes")])
    return rows


def _listener_rows(snap: dict[str, Any]) -> list[list[Any]]:
    return [[x["local"], x["accept_queue"], x["peak_accept_queue"], x["backlog"],
             f"{x['process']}[{x['pid']}]" if x.get("pid") else "-"] for x in snap.get("listeners", [])]


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
    where = f", namespace {snap['netns']['spec']}" if snap.get("netns") else ""
    out = [f"nettop snapshot of {host['hostname']}{where} (Linux {host['kernel']}) at {snap['taken_at']}, "
           f"over {snap['duration_s']:.2f} s" + ("" if show_all else "; zero rows hidden (--all shows them)"), ""]
    out += _section("Sources", _source_lines(snap))
    out += _section("Counters", _table(["counter", "value", "delta", "rate/s"], _counter_rows(snap, show_all)))
    out += _section("Protocol memory and sockets", _memory_lines(snap))
    out += _section("Softnet per CPU", _table(
        ["cpu", "processed", "/s", "dropped", "/s", "time_squeeze", "/s"], _softnet_rows(snap)))
    out += _section("Interfaces", _table(
        ["interface", "kind", "state", "rx B/s", "rx pkt/s", "tx B/s", "tx pkt/s", "drops", "errors", "relation"],
        _interface_rows(snap, show_all)))
    out += _section("Qdiscs and classes", _table(
        ["object", "kind", "parent", "backlog B", "peak B", "qlen", "drops", "drops/s", "overlimits", "B/s"],
        _tc_rows(snap, show_all)))
    out += _section("Listeners (accept queue against backlog)", _table(
        ["local", "queue", "peak", "backlog", "process"], _listener_rows(snap)))
    states = snap.get("tcp_states") or {}
    out += _section("TCP sockets by state", ["  ".join(f"{k} {v:,}" for k, v in sorted(states.items()))]
                    if states else [])
    sysctl_lines = _table(["sysctl", "value"], [[k, v] for k, v in snap["sysctls"].items()])
    by_reason: dict[str, list[str]] = {}
    for knob, why in snap.get("sysctls_absent", {}).items():
        by_reason.setdefault(why, []).append(knob)
    sysctl_lines += [f"absent ({why}): {', '.join(knobs)}" for why, knobs in by_reason.items()]
    out += _section("Sysctls", sysctl_lines)
    return "\n".join(out)


def _pairs(d: dict[str, Any]) -> str:
    return "  ".join(f"{k}={_fmt(v)}" for k, v in d.items() if v is not None)


def format_findings(findings: list[dict[str, Any]], where: str, duration: float) -> str:
    """`nettop doctor`'s report: most severe first, each with evidence, knobs and its note."""
    if not findings:
        return f"nettop doctor: nothing found in {where} over {duration:.1f} s\n"
    lines = [f"nettop doctor: {len(findings)} finding(s) in {where} over {duration:.1f} s", ""]
    for f in findings:
        lines.append(f"{f['severity'].upper():8} {f['id']}: {f['title']}")
        if f.get("bound"):
            lines.append(f"         bound by: {f['bound']}")
        if f.get("evidence"):
            lines.append(f"         evidence: {_pairs(f['evidence'])}")
        if f.get("knobs"):
            lines.append(f"         knobs:    {_pairs(f['knobs'])}")
        if f.get("note"):
            lines.append(f"         explain:  nettop explain {explain_name(f['note'])}")
        lines.append("")
    return "\n".join(lines)


def explain_name(note: str) -> str:
    """What to type after `nettop explain`: `counter-drop.NO_SOCKET` -> `NO_SOCKET`,
    `counter-TcpExt.ListenOverflows` -> `TcpExt.ListenOverflows`; topics and sysctls as they are."""
    if note.startswith("counter-"):
        name = note[len("counter-"):]
        return name.removeprefix("drop.")
    return note
