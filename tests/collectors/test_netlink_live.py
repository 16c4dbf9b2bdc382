"""Netlink collectors on real topologies in fresh namespaces, checked against iproute2."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from typing import Any

from conftest import K, Topology, root_only, sh

pytestmark = root_only
from nettop.collectors.netns import resolve
from nettop.collectors.nlinfo import link_relations
from nettop.collectors.procfs import ProcRoot
from nettop.collectors.sampler import Sampler
from nettop.collectors.snapshot import build_snapshot
from nettop.collectors.store import Store
from nettop.collectors.tiers import Cadence

COUNTERS = ("bytes", "packets", "drops", "overlimits", "requeues")


def watch(ns: str, seconds: float, hot: float = 0.01) -> Sampler:
    """Sample namespace `ns` for `seconds` in a sampler thread, as nettop does."""
    sampler = Sampler(ProcRoot(), Store(short_capacity=int(seconds / hot) + 50),
                      Cadence(hot=hot, warm=0.2, cold=0.5), netns=resolve(ns))
    sampler.start(until=time.monotonic() + seconds)
    sampler.join()
    return sampler


def snapshot_of(sampler: Sampler) -> dict[str, Any]:
    return build_snapshot(sampler.store, sampler.root, since=None, duration_s=0, netns=sampler.netns,
                          netns_gone=sampler.gone)


def test_link_kinds_and_hierarchy_match_ip(topology: Topology) -> None:
    sampler = watch(topology.a, 0.05)
    links = sampler.store.detail(K("links"))
    by_name = {link.name: link for link in links.values()}
    ip_links = {e["ifname"]: e for e in topology.json(topology.a, "ip", "-d", "-j", "link", "show")}
    assert set(by_name) == set(ip_links)
    for name, e in ip_links.items():
        assert by_name[name].kind == e.get("linkinfo", {}).get("info_kind"), name
        assert by_name[name].operstate == e["operstate"], name
        assert by_name[name].mtu == e["mtu"], name
        assert (links[by_name[name].master].name if by_name[name].master else None) == e.get("master"), name
    rel = {links[i].name: r for i, r in link_relations(links).items()}
    assert rel["p1"]["master"] == "br0" and rel["p1"]["peer"] == "p1x" and by_name["p1"].slave_kind == "bridge"
    assert rel["mv0"]["lower"] == "v0" and by_name["mv0"].details == {"mode": "bridge"}
    assert rel["mvt0"]["lower"] == "v0" and by_name["mvt0"].kind == "macvtap"
    assert rel["v0"]["peer"]["ifindex"] > 0  # the peer lives in namespace b: index and netnsid
    assert by_name["vx0"].details["vni"] == 4242
    assert {by_name[n].kind for n in ("ifb9", "tun9", "br0")} == {"ifb", "tun", "bridge"}


def test_link_stats_lie_between_ip_readings(topology: Topology) -> None:
    before = {e["ifname"]: e["stats64"] for e in topology.json(topology.a, "ip", "-s", "-j", "link", "show")}
    topology.exec(topology.a, "python3", "-c",
                  "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                  "for _ in range(200): s.sendto(b'y'*100, ('10.77.0.2', 9))")
    sampler = watch(topology.a, 0.05)
    after = {e["ifname"]: e["stats64"] for e in topology.json(topology.a, "ip", "-s", "-j", "link", "show")}
    _, latest = sampler.store.latest(K("link_stats"))
    for dev in ("v0", "lo", "br0"):
        for ours, section, key in (("tx_packets", "tx", "packets"), ("tx_bytes", "tx", "bytes"),
                                   ("rx_packets", "rx", "packets"), ("tx_dropped", "tx", "dropped")):
            assert before[dev][section][key] <= latest[f"{dev}/{ours}"] <= after[dev][section][key], (dev, ours)
    assert latest["v0/tx_packets"] - before["v0"]["tx"]["packets"] >= 1


def tc_qdiscs(topology: Topology) -> dict[str, dict[str, Any]]:
    return {q["handle"]: q for q in topology.json(topology.a, "tc", "-s", "-j", "qdisc", "show", "dev", "v0")}


def tc_classes(topology: Topology) -> dict[str, dict[str, int]]:
    """`tc -s class show` parsed from text: iproute2 6.1 ignores -j for classes."""
    out: dict[str, dict[str, int]] = {}
    current = None
    for line in topology.exec(topology.a, "tc", "-s", "class", "show", "dev", "v0").stdout.splitlines():
        words = line.split()
        if words[:2] == ["class", "htb"]:
            current = out.setdefault(words[2], {})
        elif words[:1] == ["Sent"] and current is not None:
            current.update(bytes=int(words[1]), packets=int(words[3]), drops=int(words[6].rstrip(",")),
                           overlimits=int(words[8]), requeues=int(words[10].rstrip(")")))
        elif words[:1] == ["backlog"] and current is not None:
            current.update(backlog_bytes=int(words[1].rstrip("b")), backlog_packets=int(words[2].rstrip("p")))
        elif words[:1] == ["lended:"] and current is not None:
            current.update(lends=int(words[1]), borrows=int(words[3]), giants=int(words[5]))
    return out


def test_qdisc_and_class_stats_match_tc_and_peaks_are_caught(topology: Topology) -> None:
    flood = threading.Thread(target=topology.udp_flood, args=(1.0,))
    flood.start()
    during = watch(topology.a, 0.8, hot=0.01)
    flood.join()
    time.sleep(0.3)  # 10 packets at 1 Mbit drain in ~0.1 s: the queues are empty again
    sampler = watch(topology.a, 0.05)
    snap = snapshot_of(sampler)
    qdiscs = {q["handle"]: q for q in snap["qdiscs"] if q["dev"] == "v0"}
    tc = tc_qdiscs(topology)
    assert set(qdiscs) == {"1:", "20:"}
    for handle in qdiscs:
        for field in COUNTERS:
            assert qdiscs[handle][field] == tc[handle][field], (handle, field)
    assert qdiscs["20:"]["kind"] == "pfifo" and qdiscs["20:"]["parent"] == "1:20"
    assert qdiscs["20:"]["drops"] > 0 and qdiscs["1:"]["overlimits"] > 0
    classes = {c["handle"]: c for c in snap["classes"]}
    tc_cls = tc_classes(topology)
    for handle in ("1:1", "1:20"):
        for field in (*COUNTERS, "backlog_bytes", "backlog_packets"):
            assert classes[handle][field] == tc_cls[handle][field], (handle, field)
        for field in ("lends", "borrows", "giants"):
            assert classes[handle]["xstats"][field] == tc_cls[handle][field], (handle, field)
    assert classes["1:20"]["rate"] == 125_000 and classes["1:20"]["ceil"] == 125_000
    assert classes["1:20"]["parent"] == "1:1"
    # while the flood ran, the pfifo stood full: the peak kept between reads says so
    peak = build_snapshot(during.store, during.root, since=None, duration_s=0.8)
    pfifo = next(q for q in peak["qdiscs"] if q["handle"] == "20:")
    assert pfifo["peak_backlog_packets"] >= 5
    assert pfifo["rates"]["drops"] > 0


LISTENER = """
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.77.0.2", 8080)); s.listen(3)
print("ready", flush=True)
time.sleep(float(sys.argv[1]))  # never accepts
"""

CLIENTS = """
import socket, time
socks = []
for _ in range(12):
    c = socket.socket(); c.setblocking(False)
    try:
        c.connect(("10.77.0.2", 8080))
    except BlockingIOError:
        pass
    socks.append(c)
time.sleep(2.5)
"""


def test_full_accept_queue_matches_ss_and_overflows_count(topology: Topology) -> None:
    server = subprocess.Popen(["ip", "netns", "exec", topology.b, sys.executable, "-c", LISTENER, "20"],
                              stdout=subprocess.PIPE, text=True)
    clients = None
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        before = watch(topology.b, 0.02)
        overflows_before = before.store.latest(K("netstat"))[1]["TcpExt.ListenOverflows"]
        clients = subprocess.Popen(["ip", "netns", "exec", topology.a, sys.executable, "-c", CLIENTS])
        time.sleep(1.5)
        sampler = watch(topology.b, 0.1)
        snap = snapshot_of(sampler)
        ss = topology.exec(topology.b, "ss", "-Hltn", "sport", "= :8080").stdout.split()
        listener = next(x for x in snap["listeners"] if x["local"] == "10.77.0.2:8080")
        assert listener["backlog"] == 3 == int(ss[2])
        assert listener["accept_queue"] == int(ss[1]) == 4  # the kernel queues backlog + 1
        assert listener["peak_accept_queue"] == 4
        assert listener["process"] and listener["pid"] is not None
        assert snap["counters"]["TcpExt.ListenOverflows"]["value"] > overflows_before
        assert snap["tcp_states"].get("LISTEN", 0) >= 1
    finally:
        for proc in (clients, server):
            if proc is not None:
                proc.kill()
                proc.wait()


def test_links_and_qdiscs_that_come_and_go_mid_run(topology: Topology) -> None:
    sampler = Sampler(ProcRoot(), Store(short_capacity=500), Cadence(hot=0.01, warm=0.1, cold=0.2),
                      netns=resolve(topology.a))
    sampler.start()
    try:
        time.sleep(0.2)
        sh(f"ip -n {topology.a} link add late0 type veth peer name late1",
           f"tc -n {topology.a} qdisc add dev late0 root handle 5: pfifo limit 7")
        time.sleep(0.3)
        mid = snapshot_of(sampler)
        sh(f"ip -n {topology.a} link del p2")
        deadline = time.monotonic() + 5  # link info paces itself by its cost (a few ms a read here)
        end = snapshot_of(sampler)
        while "p2" in end["interfaces"] and time.monotonic() < deadline:
            time.sleep(0.1)
            end = snapshot_of(sampler)
    finally:
        sampler.stop()
    assert any(q["dev"] == "late0" and q["handle"] == "5:" for q in mid["qdiscs"])
    assert "late0" in mid["interfaces"] and mid["interfaces"]["late0"]["stats"]["tx_packets"] == 0
    assert "p2" in mid["interfaces"] and "p2" not in end["interfaces"] and "p2x" not in end["interfaces"]
    assert all(not k.startswith("p2/") for k in sampler.store.latest(K("link_stats"))[1])
    assert all(s["parse_errors"] == 0 for s in end["sources"].values() if "parse_errors" in s)
    assert end["sources"]["link_stats"]["ok"] and end["sources"]["qdiscs"]["ok"]


def test_namespace_deleted_while_watched(netns) -> None:  # type: ignore[no-untyped-def]
    ns = netns()
    events: list[tuple[str, str]] = []
    sampler = Sampler(ProcRoot(), Store(), Cadence(hot=0.02, warm=0.1, cold=0.5), netns=resolve(ns),
                      on_event=lambda src, msg: events.append((src, msg)))
    sampler.start(until=time.monotonic() + 10)
    time.sleep(0.2)
    subprocess.run(["ip", "netns", "del", ns], check=True)
    sampler.join()  # returns well before 10 s: the sampler noticed
    assert sampler.gone == f"network namespace {ns} was deleted"
    for name in ("netstat", "link_stats", "qdiscs"):
        status = sampler.store.status(K(name))
        assert status.ok is False and status.error == sampler.gone
    assert ("netstat", f"unavailable: {sampler.gone}") in events
    snap = snapshot_of(sampler)
    assert snap["netns"]["gone"] == sampler.gone


def test_netns_listing_names_the_test_namespace(netns) -> None:  # type: ignore[no-untyped-def]
    ns = netns()
    holder = subprocess.Popen(["ip", "netns", "exec", ns, "sleep", "30"])
    try:
        time.sleep(0.2)
        out = subprocess.run([sys.executable, "-m", "nettop.tui.cli", "netns", "--json"],
                             capture_output=True, text=True, check=True).stdout
        spaces = json.loads(out)
        mine = [s for s in spaces if ns in s["names"]]
        assert len(mine) == 1 and holder.pid in mine[0]["pids"] and "sleep" in mine[0]["processes"]
        text = subprocess.run([sys.executable, "-m", "nettop.tui.cli", "netns"],
                              capture_output=True, text=True, check=True).stdout
        assert f"--netns {ns}" in text
    finally:
        holder.kill()
        holder.wait()
