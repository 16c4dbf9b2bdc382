"""The network sysctls nettop audits, read from /proc/sys/net.

Names use sysctl(8)'s spelling; a `.` inside an interface name is written `/`
(`net.ipv4.conf.eth0/100.rp_filter`). Values are kept as the kernel writes them,
with runs of white space folded to one space (tcp_mem's tabs become spaces). A
knob file that is not a regular file, is over 64 KiB or holds a number no kernel
prints (2**64 or more) is listed as absent with that reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .errors import SourceUnavailable
from .procfs import MAX_SMALL_BYTES, ProcFile, ProcRoot, read_small
from .text import int_token

KNOBS: tuple[str, ...] = (
    "net.core.somaxconn",
    "net.core.netdev_max_backlog",
    "net.core.netdev_budget",
    "net.core.netdev_budget_usecs",
    "net.core.default_qdisc",
    "net.core.busy_poll",
    "net.core.busy_read",
    "net.core.rmem_default",
    "net.core.rmem_max",
    "net.core.wmem_default",
    "net.core.wmem_max",
    "net.ipv4.tcp_max_syn_backlog",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_mem",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
    "net.ipv4.udp_mem",
    "net.ipv4.tcp_limit_output_bytes",
    "net.ipv4.tcp_max_orphans",
    "net.ipv4.tcp_max_tw_buckets",
    "net.ipv4.icmp_echo_ignore_broadcasts",
    "net.ipv4.icmp_ignore_bogus_error_responses",
    "net.netfilter.nf_conntrack_count",
    "net.netfilter.nf_conntrack_max",
)
PER_INTERFACE = ("rp_filter", "arp_filter")
# Present only when the module is loaded; their absence is not a fault.
OPTIONAL = frozenset({"net.netfilter.nf_conntrack_count", "net.netfilter.nf_conntrack_max"})
# Registered only in the initial network namespace (net/ipv4/sysctl_net_ipv4.c
# ipv4_table, net/core/sysctl_net_core.c net_core_table): a child sees none of them.
# rmem_*/wmem_* stay global: since 6.11 a child sees the host's value read-only
# (commit 19249c0724f2), before that not at all; either way the host's value binds.
GLOBAL_ONLY = frozenset({
    "net.core.netdev_max_backlog", "net.core.netdev_budget", "net.core.netdev_budget_usecs",
    "net.core.busy_poll", "net.core.busy_read", "net.core.rmem_default", "net.core.rmem_max",
    "net.core.wmem_default", "net.core.wmem_max", "net.core.default_qdisc",
    "net.ipv4.tcp_mem", "net.ipv4.udp_mem", "net.ipv4.tcp_max_orphans",
})
MEM_KNOBS = {"tcp_mem": "net.ipv4.tcp_mem", "udp_mem": "net.ipv4.udp_mem"}


@dataclass
class SysctlReading:
    values: dict[str, str] = field(default_factory=dict)
    absent: dict[str, str] = field(default_factory=dict)
    from_host: set[str] = field(default_factory=set)  # global knobs read from the initial namespace


def interface_knobs(root: ProcRoot) -> list[str]:
    """`net.ipv4.conf.{all,default,<each interface>}.{rp_filter,arp_filter}`."""
    conf = root.sysctl("net.ipv4.conf")
    try:
        names = sorted(os.listdir(conf), key=lambda n: (n not in ("all", "default"), n))
    except OSError:
        return []
    return [f"net.ipv4.conf.{n.replace('.', '/')}.{knob}" for n in names for knob in PER_INTERFACE]


def in_child_netns(root: ProcRoot) -> bool:
    """True when the reader's network namespace is not the initial one.

    PID 1's namespace link is the direct test, but it may be closed to us (a
    sandbox, a container); then the kernel's own tell is used: the global-only
    ipv4 table is missing while the per-namespace one is there.
    """
    try:
        return os.stat(root.task / "ns" / "net").st_ino != os.stat(root.proc / "1" / "ns" / "net").st_ino
    except OSError:
        pass
    per_ns = root.sysctl("net.ipv4.tcp_syncookies").exists()
    return per_ns and not root.sysctl("net.ipv4.tcp_mem").exists()


def absent_reason(name: str, child_netns: bool, error: str) -> str:
    if child_netns and name in GLOBAL_ONLY:
        return "global knob: not visible inside a child network namespace (read it on the host)"
    if name in OPTIONAL:
        return "module not loaded (nf_conntrack)"
    return error


def open_global_knobs(root: ProcRoot) -> dict[str, ProcFile]:
    """Open the global-only knobs while still in the initial namespace.

    A sysctl file keeps the table it was opened on, and these tables exist only in
    the initial namespace: read later from inside a child, the open files still give
    the host's values, which are the ones in force there too.
    """
    files = {}
    for name in sorted(GLOBAL_ONLY):
        f = ProcFile(root.sysctl(name), chunk=256, limit=MAX_SMALL_BYTES)
        try:
            f.open()
        except SourceUnavailable:
            continue
        files[name] = f
    return files


def read_sysctls(root: ProcRoot, names: list[str] | None = None,
                 host_files: dict[str, ProcFile] | None = None) -> SysctlReading:
    """Read every knob; one absent or unreadable knob never stops the others.

    `host_files` (from open_global_knobs) supply global knobs a child namespace cannot see.
    """
    if names is None:
        names = list(KNOBS) + interface_knobs(root)
    child = in_child_netns(root)
    reading = SysctlReading()
    for name in names:
        try:
            reading.values[name] = knob_value(read_small(root.sysctl(name)))
        except SourceUnavailable as exc:
            host = (host_files or {}).get(name)
            if host is not None:
                try:
                    reading.values[name] = knob_value(host.read().decode("utf-8", "replace"))
                    reading.from_host.add(name)
                    continue
                except (SourceUnavailable, ValueError):
                    pass
            reading.absent[name] = absent_reason(name, child, str(exc.strerror or exc))
        except ValueError as exc:
            reading.absent[name] = str(exc)
    return reading


def knob_value(raw: str) -> str:
    """The value with white space folded; ValueError when a number in it cannot be a kernel's
    (a view doing float arithmetic on 10**400 would raise)."""
    value = " ".join(raw.split())
    for token in value.split(" "):
        digits = token.removeprefix("-")
        if digits.isascii() and digits.isdigit() and int_token(token.encode(), signed=True) is None:
            raise ValueError(f"not a value a kernel prints: a number of {len(digits)} digits")
    return value


def parse_mem_triple(value: str) -> dict[str, int]:
    """`"383457 511277 766914"` -> `{"low": ..., "pressure": ..., "high": ...}` (pages)."""
    parts = value.split()
    if len(parts) != 3:
        raise ValueError(f"expected three numbers, got {value!r}")
    low, pressure, high = (int_token(p.encode(), signed=True) for p in parts)
    if low is None or pressure is None or high is None:
        raise ValueError(f"expected three integers, got {value!r}")
    return {"low": low, "pressure": pressure, "high": high}

