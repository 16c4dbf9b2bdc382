"""The `s` key: the whole state written to a JSON file named after the host and the moment.

In a replay the snapshot is of the moment on screen: named after the recorded host and the
replayed time, and labelled with the recording it came from. Two snapshots in the same second
never overwrite each other.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
from pathlib import Path
from typing import Any

from nettop.collectors.atomic import write_atomic

from .datasource import DataSource

MAX_SAME_SECOND = 100


def snapshot_document(data: DataSource) -> tuple[dict[str, Any], str, dt.datetime]:
    """(document, host, time) of what the screen shows now."""
    if data.playback is not None:
        doc = data.playback.snapshot_document()
        return doc, str(doc["host"]["hostname"]), dt.datetime.fromtimestamp(data.wall(data.now()))
    from nettop.collectors.snapshot import build_snapshot

    now = data.now()
    doc = build_snapshot(data.store, data.root, since=now - 1.0, duration_s=1.0, netns=data.netns,
                         netns_gone=data.live.gone if data.live else None)
    return doc, socket.gethostname(), dt.datetime.now()


def write_snapshot(data: DataSource, directory: Path) -> Path:
    """Write the snapshot of the last second; OSError says why it could not be written."""
    doc, host, when = snapshot_document(data)
    body = (json.dumps(doc, indent=2, allow_nan=False) + "\n").encode()
    stem = f"nettop-{host}-{when:%Y%m%d-%H%M%S}"
    for n in range(1, MAX_SAME_SECOND + 1):
        path = directory / (f"{stem}.json" if n == 1 else f"{stem}-{n}.json")
        try:
            write_atomic(path, body)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{MAX_SAME_SECOND} snapshots of {stem} already")
