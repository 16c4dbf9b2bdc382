"""Multi-NIC rules: ARP flux between interfaces of one subnet, strict rp_filter on asymmetric paths."""

from __future__ import annotations

import ipaddress
from typing import Any

from .. import keys
from ..views.context import ViewContext
from .base import NIC, WARNING, Finding, Msg, rule


def _effective(ctx: ViewContext, knob: str, dev: str) -> int | None:
    """rp_filter and arp_filter: the interface's value or conf.all's, the larger one."""
    values = [ctx.int_knob(f"net.ipv4.conf.{n.replace('.', '/')}.{knob}") for n in ("all", dev)]
    present = [v for v in values if v is not None]
    return max(present) if present else None


@rule(keys.ROUTING, keys.LINKS, keys.SYSCTLS)
def multi_nic(ctx: ViewContext) -> list[Finding]:
    routing = ctx.store.detail(keys.ROUTING)
    links = ctx.store.detail(keys.LINKS) or {}
    if routing is None:
        return []
    name = {i: link.name for i, link in links.items()}
    addrs = [a for a in routing.addresses if not a.address.startswith("127.") and a.ifindex in name]
    out = []
    by_net: dict[Any, set[str]] = {}
    for a in addrs:
        net = ipaddress.ip_network(f"{a.address}/{a.prefixlen}", strict=False)
        by_net.setdefault(net, set()).add(name[a.ifindex])
    for net, devs in sorted(by_net.items(), key=lambda kv: str(kv[0])):
        loose = sorted(d for d in devs if _effective(ctx, "arp_filter", d) == 0)
        if len(devs) > 1 and len(loose) > 1:
            out.append(Finding("arp-flux", WARNING,
                               Msg("{devs} share {net} with arp_filter 0: any of them may answer ARP for the others' "
                                   "addresses", devs=", ".join(sorted(devs)), net=str(net)),
                               {"subnet": str(net), "interfaces": sorted(devs)},
                               {f"net.ipv4.conf.{d}.arp_filter": "0" for d in loose}, "topic-arp-filter", str(net),
                               NIC, Msg("arp_filter 0 on these interfaces: each answers ARP for all the host's "
                                        "addresses")))
    default_oifs = {r.oif for r in routing.routes if r.dst_len == 0}
    with_addr = {name[a.ifindex] for a in addrs}
    if len(with_addr) > 1 and default_oifs:
        out_devs = {name.get(i, f"if{i}") for i in default_oifs if i is not None}
        for dev in sorted(with_addr - out_devs):
            if _effective(ctx, "rp_filter", dev) == 1:
                out.append(Finding("rp-filter-strict-asymmetric", WARNING,
                                   Msg("strict rp_filter on {dev} while the default route leaves by {out}: packets "
                                       "from other networks arriving on {dev} are dropped", dev=dev,
                                       out=", ".join(sorted(out_devs))),
                                   {"interface": dev, "default_route_via": sorted(out_devs)},
                                   ctx.knobs("net.ipv4.conf.all.rp_filter", f"net.ipv4.conf.{dev}.rp_filter"),
                                   "topic-rp-filter", dev, NIC,
                                   Msg("net.ipv4.conf.{dev}.rp_filter 1 (strict; the larger of all and {dev} applies)",
                                       dev=dev)))
    return out
