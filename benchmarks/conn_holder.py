"""Helper process for tests and benchmarks: holds many TCP connections open.

  holder.py server HOST PORT COUNT   accept COUNT connections, print "ready", hold
  holder.py client HOST PORT COUNT   open COUNT connections, print "ready", hold
Both hold until stdin closes. One process keeps at most ~19k descriptors (RLIMIT_NOFILE
is 20,000 here), so large counts are split across several holders.
"""

from __future__ import annotations

import socket
import struct
import sys


def serve(host: str, port: int, count: int) -> list[socket.socket]:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    lsock = socket.socket(family, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((host, port))
    lsock.listen(4096)
    print("listening", flush=True)
    held = [lsock]
    while len(held) <= count:
        conn, _ = lsock.accept()
        held.append(conn)
    return held


def connect(host: str, port: int, count: int) -> list[socket.socket]:
    return [socket.create_connection((host, port)) for _ in range(count)]


def main(argv: list[str]) -> int:
    mode, host, port, count = argv[0], argv[1], int(argv[2]), int(argv[3])
    held = serve(host, port, count) if mode == "server" else connect(host, port, count)
    print("ready", len(held), flush=True)
    sys.stdin.read()
    for sock in held:  # reset instead of FIN: no TIME_WAIT left behind for the next run
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
