"""The `s` key: the whole state written to a JSON file named after the host and the moment."""

from __future__ import annotations

import datetime as dt
import json
import socket
from pathlib import Path

from nettop.collectors.atomic import write_atomic

from .datasource import DataSource


def snapshot_path(directory: Path, stamp: dt.datetime) -> Path:
    return directory / f"nettop-{socket.gethostname()}-{stamp:%Y%m%d-%H%M%S}.json"


def write_snapshot(data: DataSource, directory: Path) -> Path:
    """Write the snapshot of the last second; OSError says why it could not be written."""
    from nettop.collectors.snapshot import build_snapshot

    now = data.now()
    snap = build_snapshot(data.store, data.root, since=now - 1.0, duration_s=1.0, netns=data.netns,
                          netns_gone=data.live.gone if data.live else None)
    path = snapshot_path(directory, dt.datetime.now())
    write_atomic(path, (json.dumps(snap, indent=2) + "\n").encode())
    return path
