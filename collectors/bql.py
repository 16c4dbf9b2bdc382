"""Byte queue limits of every tx queue, from sysfs.

A queue or device that vanishes mid-read is skipped; an attribute that is not a
regular file (read_bytes refuses it) or not an unsigned integer costs that value
only, and is counted as a bad line of the source.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import keys
from .errors import Issues, NotRegularFile, SourceNotApplicable, SourceUnavailable
from .nlsources import unavailable
from .procfs import read_bytes
from .sources import BaseSource, Reading
from .text import int_token
from .tiers import Tier

BQL_FIELDS = ("limit", "inflight", "limit_max", "limit_min")


class BqlSource(BaseSource):
    """Warm: BQL limit and inflight bytes per tx queue; queue counts per device as the detail."""

    key = keys.BQL
    tier = Tier.WARM
    max_share = 0.003  # one sysfs file per queue: at hundreds of queues a read costs milliseconds

    def __init__(self, sysfs: Path, not_applicable: str | None = None) -> None:
        self.base = sysfs / "class" / "net"
        self.not_applicable = not_applicable

    def is_gauge(self, column: str) -> bool:
        return True

    def read(self) -> Reading:
        if self.not_applicable:
            raise SourceNotApplicable(0, self.not_applicable)
        try:
            devices = sorted(os.listdir(self.base))
        except OSError as exc:
            raise unavailable(exc, "sysfs") from exc
        names: list[str] = []
        values: list[int] = []
        queues: keys.QueueCounts = {}
        issues = Issues(str(self.base))
        for dev in devices:
            qdir = self.base / dev / "queues"
            try:
                entries = os.listdir(qdir)
            except OSError:
                continue  # vanished, or a device without queues
            queues[dev] = {"tx": sum(e.startswith("tx-") for e in entries),
                           "rx": sum(e.startswith("rx-") for e in entries)}
            for q in sorted(e for e in entries if e.startswith("tx-")):
                for f in BQL_FIELDS:
                    value = _read_value(qdir / q / "byte_queue_limits" / f, issues)
                    if value is not None:
                        names.append(f"{dev} {q}/{f}")
                        values.append(value)
        return issues.done(((tuple(names), values), queues))


def _read_value(path: Path, issues: Issues) -> int | None:
    try:
        raw = read_bytes(path, 64, limit=4096)
    except NotRegularFile as exc:
        issues.add(0, "", str(exc.strerror), path=str(path))
        return None
    except SourceUnavailable:
        return None  # vanished, or BQL not built in
    value = int_token(raw.strip())
    if value is None:
        issues.add(1, raw, "not an unsigned integer below 2**64", path=str(path))
    return value
