#!/usr/bin/env python3
"""Make the README's screenshots from the real app watching a real load.

    sudo .venv/bin/python screenshots/make_screenshots.py

Builds two namespaces joined by a veth pair, an htb class of 1 Mbit with a short
pfifo on the sender, a TCP listener with backlog 3 that never accepts, then
floods UDP through the class and opens more clients than the backlog, while
nettop watches the sender's namespace. Everything is removed at the end.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from nettop.collectors.netns import resolve
from nettop.collectors.procfs import ProcRoot
from nettop.tui.app import NettopApp
from nettop.tui.datasource import live_source

HERE = Path(__file__).parent
DEFAULT = ("overview", "qdiscs", "sockets")
SHOTS = [  # file, panes, size, environment, language, note opened on top
    ("overview-160x48.svg", ("overview", "qdiscs", "interfaces", "sockets"), (160, 48), {}, "en", None),
    ("default-80x24.svg", DEFAULT, (80, 24), {}, "en", None),
    ("default-80x24-nocolor.svg", DEFAULT, (80, 24), {"NO_COLOR": "1"}, "en", None),
    ("default-80x24-ja.svg", DEFAULT, (80, 24), {}, "ja", None),
    ("note-100x30.svg", DEFAULT, (100, 30), {}, "en", "counter-TcpExt.ListenOverflows"),
    ("note-100x30-ja.svg", DEFAULT, (100, 30), {}, "ja", "counter-TcpExt.ListenOverflows"),
    ("qdiscs-100x30.svg", ("qdiscs",), (100, 30), {}, "en", None),
    ("memory-100x30.svg", ("memory",), (100, 30), {}, "en", None),
    ("counters-100x30.svg", ("counters",), (100, 30), {}, "en", None),
    ("drops-100x30.svg", ("drops",), (100, 30), {}, "en", None),
    ("connections-100x30.svg", ("connections",), (100, 30), {}, "en", None),
]


def sh(cmd: str) -> None:
    subprocess.run(cmd, shell=True, check=True, capture_output=True)


def build(a: str, b: str) -> None:
    for cmd in (f"ip netns add {a}", f"ip netns add {b}", f"ip -n {a} link set lo up", f"ip -n {b} link set lo up",
                f"ip -n {a} link add v0 type veth peer name v0p netns {b}",
                f"ip -n {a} addr add 10.78.0.1/24 dev v0", f"ip -n {b} addr add 10.78.0.2/24 dev v0p",
                f"ip -n {a} link set v0 up", f"ip -n {b} link set v0p up",
                f"ip -n {a} link add br0 type bridge", f"ip -n {a} link add p1 type veth peer name p1x",
                f"ip -n {a} link set p1 master br0",
                f"tc -n {a} qdisc add dev v0 root handle 1: htb default 20",
                f"tc -n {a} class add dev v0 parent 1: classid 1:1 htb rate 100mbit",
                f"tc -n {a} class add dev v0 parent 1:1 classid 1:20 htb rate 1mbit ceil 1mbit",
                f"tc -n {a} qdisc add dev v0 parent 1:20 handle 20: pfifo limit 10"):
        sh(cmd)


LOAD = """
import socket, sys, time
end = time.time() + float(sys.argv[1])
srv = socket.socket(); srv.bind(("127.0.0.1", 8080)); srv.listen(3)   # never accepts
clients = []
for _ in range(10):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(("127.0.0.1", 8080))
    except BlockingIOError: pass
    clients.append(c)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while time.time() < end:
    u.sendto(b"x" * 1200, ("10.78.0.2", 9))
    time.sleep(0.0005)
"""


async def shoot(ns: str) -> None:
    for name, panes, size, env, lang, note in SHOTS:
        data = live_source(ProcRoot(), resolve(ns), 0.05)
        os.environ.update(env)  # Textual reads NO_COLOR when the app is made
        app = NettopApp(data, panes=panes, lang=lang)
        for var in env:
            del os.environ[var]
        async with app.run_test(size=size) as pilot:
            await pilot.pause(3.0)
            app.monitor.refresh_panes(force=True)
            if note is not None:
                app.monitor.open_note(note, None)
                await pilot.pause(1.5)
            await pilot.pause(0.2)
            app.save_screenshot(name, str(HERE))
        print(f"wrote screenshots/{name}")


def main() -> None:
    tag = uuid.uuid4().hex[:6]
    a, b = f"nettop-shot-a-{tag}", f"nettop-shot-b-{tag}"
    try:
        build(a, b)
        load = subprocess.Popen(["ip", "netns", "exec", a, sys.executable, "-c", LOAD, "60"])
        time.sleep(1.0)
        try:
            asyncio.run(shoot(a))
        finally:
            load.kill()
            load.wait()
    finally:
        for ns in (a, b):
            subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True)


if __name__ == "__main__":
    main()
