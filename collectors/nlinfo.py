"""Cold-path decoding with pyroute2: what a link is and how it hangs together.

Runs every few seconds, so pyroute2's complete decoding is affordable here;
pyroute2 is imported on first use, off the path to the first frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MACVLAN_MODES = {1: "private", 2: "vepa", 4: "bridge", 8: "passthru", 16: "source"}
IPVLAN_MODES = {0: "l2", 1: "l3", 2: "l3s"}
BOND_MODES = {0: "balance-rr", 1: "active-backup", 2: "balance-xor", 3: "broadcast", 4: "802.3ad",
              5: "balance-tlb", 6: "balance-alb"}


@dataclass
class Link:
    index: int
    name: str
    kind: str | None = None  # IFLA_INFO_KIND: veth, bridge, vlan ...; None for a physical NIC
    slave_kind: str | None = None  # what it is a port of: bridge, bond ...
    master: int | None = None
    link: int | None = None  # IFLA_LINK: lower device, or a veth's peer
    link_netnsid: int | None = None  # set when `link` lives in another namespace
    operstate: str = "UNKNOWN"
    mtu: int | None = None
    txqlen: int | None = None
    qdisc: str | None = None
    num_tx_queues: int | None = None
    num_rx_queues: int | None = None
    details: dict[str, Any] = field(default_factory=dict)  # vlan id, vni, mode ...


@dataclass(frozen=True)
class Address:
    ifindex: int
    address: str
    prefixlen: int


@dataclass(frozen=True)
class Route:
    dst: str  # "0.0.0.0" for the default route
    dst_len: int
    gateway: str | None
    oif: int | None


@dataclass
class Routing:
    """IPv4 addresses and main-table routes, for the multi-NIC rules."""

    addresses: list[Address]
    routes: list[Route]


def _info_details(kind: str | None, data: Any) -> dict[str, Any]:
    if data is None or not hasattr(data, "get_attr"):
        return {}
    get = data.get_attr
    if kind == "vlan":
        return {"vlan_id": get("IFLA_VLAN_ID"), "protocol": get("IFLA_VLAN_PROTOCOL")}
    if kind == "vxlan":
        return {"vni": get("IFLA_VXLAN_ID"), "port": get("IFLA_VXLAN_PORT"),
                "local": get("IFLA_VXLAN_LOCAL"), "group": get("IFLA_VXLAN_GROUP")}
    if kind in ("macvlan", "macvtap"):
        mode = get("IFLA_MACVLAN_MODE")
        return {"mode": MACVLAN_MODES.get(mode, mode)}
    if kind == "ipvlan":
        mode = get("IFLA_IPVLAN_MODE")
        return {"mode": IPVLAN_MODES.get(mode, mode)}
    if kind == "bond":
        mode = get("IFLA_BOND_MODE")
        return {"mode": BOND_MODES.get(mode, mode)}
    if kind == "bridge":
        return {"stp_state": get("IFLA_BR_STP_STATE")}
    return {}


def decode_link(msg: bytes) -> Link:
    """One RTM_NEWLINK message (nlmsghdr included) to a Link."""
    from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

    m = ifinfmsg(msg)
    m.decode()
    get = m.get_attr
    link = Link(index=m["index"], name=get("IFLA_IFNAME") or f"if{m['index']}",
                master=get("IFLA_MASTER"), link=get("IFLA_LINK"), link_netnsid=get("IFLA_LINK_NETNSID"),
                operstate=get("IFLA_OPERSTATE") or "UNKNOWN", mtu=get("IFLA_MTU"),
                txqlen=get("IFLA_TXQLEN"), qdisc=get("IFLA_QDISC"),
                num_tx_queues=get("IFLA_NUM_TX_QUEUES"), num_rx_queues=get("IFLA_NUM_RX_QUEUES"))
    info = get("IFLA_LINKINFO")
    if info is not None:
        link.kind = info.get_attr("IFLA_INFO_KIND")
        link.slave_kind = info.get_attr("IFLA_INFO_SLAVE_KIND")
        link.details = {k: v for k, v in _info_details(link.kind, info.get_attr("IFLA_INFO_DATA")).items()
                        if v is not None}
    if link.link == link.index and link.link_netnsid is None:
        link.link = None  # some drivers name themselves as their own lower device
    return link


def link_relations(links: dict[int, Link]) -> dict[int, dict[str, Any]]:
    """Per link: master, lower device or veth peer, by name where it is in this namespace."""
    def name(index: int | None) -> str | None:
        return links[index].name if index is not None and index in links else None

    out: dict[int, dict[str, Any]] = {}
    for index, link in links.items():
        rel: dict[str, Any] = {"master": name(link.master)}
        other: Any
        if link.link is not None and link.link_netnsid is not None:
            other = {"ifindex": link.link, "netnsid": link.link_netnsid}
        else:
            other = name(link.link)
        if link.kind == "veth":
            rel["peer"] = other
        elif link.link is not None:
            rel["lower"] = other
        out[index] = rel
    return out


def decode_htb_class_options(msg: bytes) -> dict[str, int]:
    """rate and ceil (bytes/s) of an htb class from its RTM_NEWTCLASS message."""
    from pyroute2.netlink.rtnl.tcmsg import tcmsg

    m = tcmsg(msg)
    m.decode()
    opts = m.get_attr("TCA_OPTIONS")
    if opts is None or m.get_attr("TCA_KIND") != "htb":
        return {}
    parms = opts.get_attr("TCA_HTB_PARMS") or {}
    # the 32-bit fields saturate above 34 Gbit/s; the kernel then adds RATE64/CEIL64
    rate = opts.get_attr("TCA_HTB_RATE64") or parms.get("rate")
    ceil = opts.get_attr("TCA_HTB_CEIL64") or parms.get("ceil")
    out = {"quantum": parms["quantum"]} if "quantum" in parms else {}
    if rate is not None:
        out["rate"] = int(rate)
    if ceil is not None:
        out["ceil"] = int(ceil)
    return out


def relation_text(rel: dict[str, Any], with_master: bool = False) -> str:
    """`port of br0, peer veth1` / `on eth0` / `peer if7@nsid0` from a link_relations entry."""
    parts = [f"port of {rel['master']}"] if with_master and rel.get("master") else []
    for key, label in (("peer", "peer"), ("lower", "on")):
        other = rel.get(key)
        if isinstance(other, dict):
            parts.append(f"{label} if{other['ifindex']}@nsid{other['netnsid']}")
        elif other:
            parts.append(f"{label} {other}")
    return ", ".join(parts)
