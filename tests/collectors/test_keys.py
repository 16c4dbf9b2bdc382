"""Typed keys: every source is named by a registered key, and every detail survives its codec."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from conftest import recorded_store
from nettop.collectors import keys
from nettop.collectors.keys import REGISTRY, CodecError, Key
from nettop.collectors.procfs import ProcRoot
from nettop.collectors.sampler import Sampler, default_sources
from nettop.collectors.store import Store
from nettop.collectors.tiers import Cadence


def details_of(store: Store) -> dict[str, Any]:
    return {k.name: store.detail(k) for k in store.sources() if store.detail(k) is not None}


def live_details() -> dict[str, Any]:
    sampler = Sampler(ProcRoot(), Store(), Cadence())
    try:
        sampler.tick()
    finally:
        for src in sampler.all_sources:
            src.close()
    return details_of(sampler.store)


def round_trip(key: Key[Any], value: Any) -> Any:
    """What a recording gives back: the codec's builtins through JSON text."""
    return key.decode(json.loads(json.dumps(key.encode(value))))


def test_every_source_is_named_by_a_registered_key() -> None:
    for src in default_sources(ProcRoot()):
        assert REGISTRY.get(src.key.name) is src.key, src.key


def test_every_detail_a_source_keeps_has_a_codec_and_round_trips() -> None:
    """Recorded samples cover the netlink details a quiet host may not have (htb options,
    listeners); a live tick covers what this kernel really sends."""
    store, _, _ = recorded_store()
    found = details_of(store)
    if os.geteuid() == 0:
        found.update(live_details())
    for name, value in found.items():
        key = REGISTRY[name]
        assert key.has_detail, f"{name} keeps a detail but its key has no type: it would not be recorded"
        assert round_trip(key, value) == value, name
    missing = {k.name for k in REGISTRY.values() if k.has_detail} - set(found)
    assert not missing, f"no sample of {missing}: add one to the recorded store"


@pytest.mark.parametrize(("key", "crafted"), [
    (keys.QDISCS, [{"ifindex": "x", "handle": 1, "parent": 2}]),
    (keys.LINKS, {"1": [[[[]]]]}),
    (keys.SYSCTLS, {"values": {"a": 1}}),
    (keys.TCP_STATES, ["ESTABLISHED", 3]),
    (keys.LISTENERS, [{"family": 2}]),
])
def test_a_detail_of_the_wrong_shape_is_a_codec_error(key: Key[Any], crafted: object) -> None:
    with pytest.raises(CodecError):
        key.decode(crafted)
