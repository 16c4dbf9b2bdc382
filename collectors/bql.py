"""Byte queue limits of every tx queue, from sysfs."""

from __future__ import annotations

import os
from pathlib import Path

from . import keys
from .errors import SourceNotApplicable
from .nlsources import unavailable
from .sources import BaseSource, Reading, Tier

BQL_FIELDS = ("limit", "inflight", "limit_max", "limit_min")


class BqlSource(BaseSource):
    """Warm: BQL limit and inflight bytes per tx queue; queue counts per device as the detail."""

    key = keys.BQL
    tier = Tier.WARM

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
                    try:
                        value = int((qdir / q / "byte_queue_limits" / f).read_bytes())
                    except (OSError, ValueError):
                        continue
                    names.append(f"{dev} {q}/{f}")
                    values.append(value)
        return (tuple(names), values), queues
