"""Seeking a long recording: a bounded number of chunks decoded, and at every position what a
replay shows equals what the live store showed then (windows, rates, peaks, details, states)."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, FrozenClock
from nettop.collectors import keys
from nettop.collectors.keys import Key
from nettop.collectors.nlinfo import Link
from nettop.collectors.nlstats import TcStats
from nettop.collectors.recording import Recorder, Recording, read_recording
from nettop.collectors.recording_base import Warnings
from nettop.collectors.replay import LOOKBACK, Player, store_for_recording
from nettop.collectors.store import Store
from nettop.collectors.views.context import Mark

RATE = 10  # samples a second of each hot source
MINUTES = 10
CHECKS = (12.35, 96.5, 301.25, 302.0, 457.55, 599.9)  # seconds after the start, > 1 s after a detail changed
WINDOW = 60.0  # the longest a view asks for


@dataclass
class Live:
    """What the live store showed at each checkpoint, and each source's samples (for marks)."""

    at: dict[float, dict[str, Any]] = field(default_factory=dict)
    first: dict[float, dict[str, dict[str, int]]] = field(default_factory=dict)


def _state(store: Store, t: float) -> dict[str, Any]:
    out = {}
    for key in store.sources():
        w = store.window(key, since=t - WINDOW)
        st = store.status(key)
        if w is None:
            continue
        out[key.name] = {
            "columns": w.columns, "ts": list(w.ts), "data": [x if x == x else None for x in w.data],
            "latest": store.latest(key), "state": (st.state, st.error),
            "detail": json.dumps(key.encode(store.detail(key)), sort_keys=True) if key.has_detail else None,
            "rates": {c: w.last_rate(c) for c in w.columns[:3]}, "peaks": {c: w.peak(c) for c in w.columns[:3]}}
    return out


def _links(n: int) -> dict[int, Link]:
    return {i: Link(i, f"eth{i}", None, operstate="UP") for i in range(1, n + 1)}


def synthetic(path: Path, minutes: int = MINUTES) -> Live:
    """`minutes` at RATE Hz of a few sources into a live store and a recording at once: counters,
    gauges, a source whose columns change, details that change every 5 s, a source down for 40 s,
    a cold source, marks."""
    clock = FrozenClock(10_000.0)
    rec = Recorder(path, {"host": "synthetic", "kernel": "6.18", "netns": None, "interval": 1 / RATE,
                          "wall_origin": 1.8e9, "monotonic_origin": 10_000.0}, clock=clock)
    rec.open()
    live = store_for_recording(Recording(path, {}, [], [], [], Warnings(), []))  # declared as a replay's
    live.long_seconds = 3600  # the live store keeps an hour of seconds, a replay's what it needs
    out = Live()
    checks = sorted(CHECKS)
    marks = {MINUTES * 60 * 0.2: None}  # a mark a minute in
    netstat = tuple(f"TcpExt.C{i}" for i in range(20))

    def both(key: Key[Any], t: float, names: tuple[str, ...], values: list[int], detail: object = None) -> None:
        live.record(key, t, names, values, detail)
        rec.sample(key, t, names, values, detail)

    for step in range(minutes * 60 * RATE):
        t = clock.now = round(10_000.0 + step / RATE, 6)
        second = step // RATE
        both(keys.NETSTAT, t, netstat, [step * (i + 1) + (step * step) % 7 for i in range(20)])
        n_links = 2 if second < 240 else 3  # a link comes at 4:00: the columns change
        links = _links(n_links)
        both(keys.LINK_STATS, t, tuple(f"eth{i}/{f}" for i in links for f in ("rx_bytes", "tx_bytes")),
             [v for i in links for v in (step * 1000 * i, step * 10 * i)])
        if step % RATE == 0:
            both(keys.LINKS, t, (), [], links)
            both(keys.TCP_STATES, t, ("ESTABLISHED", "TIME_WAIT"), [40 + second % 13, 100 + second % 31],
                 {"ESTABLISHED": 40 + second // 5, "TIME_WAIT": 100})
        qd = [TcStats(1, 0x10000, 0xFFFFFFFF, "htb" if (second // 5) % 2 else "fq_codel", dev="eth1",
                      options={"gen": second // 5})]  # what a detail alone tells changes every 5 s
        both(keys.QDISCS, t, ("eth1 1:/bytes", "eth1 1:/backlog_bytes"), [step * 1500, (step * 37) % 5000], qd)
        if step % (30 * RATE) == 0:  # a cold source: every 30 s
            both(keys.PROTOCOLS, t, ("TCP/sockets",), [second], {"TCP": {"sockets": second}})
        if 100 * RATE <= step < 140 * RATE:  # listeners down for 40 s
            if step == 100 * RATE and live.mark_unavailable(keys.LISTENERS, t, "Operation not permitted"):
                rec.down(keys.LISTENERS, t, "Operation not permitted", True)
        else:
            both(keys.LISTENERS, t, ("0.0.0.0:80/accept_queue",), [step % 5])
        for m in list(marks):
            if t >= 10_000.0 + m and marks[m] is None:
                rec.mark(t)
                marks[m] = t
        while checks and t >= 10_000.0 + checks[0] - 1e-9:
            out.at[t] = _state(live, t)
            checks.pop(0)
    rec.close()
    return out


@pytest.fixture(scope="module")
def long_recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Live]:
    path = tmp_path_factory.mktemp("seek") / "long.ntr"
    return path, synthetic(path)


def _compare(player: Player, t: float, want: dict[str, Any]) -> None:
    got = _state(player.store, t)
    assert set(got) >= set(want), t
    for name, w in want.items():
        g = got[name]
        assert g["columns"] == w["columns"], (t, name)
        assert g["data"] == w["data"], (t, name)
        assert g["ts"] == pytest.approx(w["ts"], abs=1e-6), (t, name)
        assert g["latest"][1] == w["latest"][1], (t, name)
        assert g["state"] == w["state"], (t, name)
        assert g["detail"] == w["detail"], (t, name)
        assert g["peaks"] == w["peaks"], (t, name)
        for c, rate in w["rates"].items():
            assert g["rates"][c] == pytest.approx(rate, rel=1e-4), (t, name, c)


def test_seeking_to_the_end_and_back_decodes_a_bounded_number_of_chunks(long_recording: tuple[Path, Live]) -> None:
    path, _ = long_recording
    rec = read_recording(path)
    assert rec.warnings == [] and len(rec.chunks) >= MINUTES * 60 - 1
    player = Player(rec)
    costs = []
    for t in (rec.end, rec.start, rec.start + 300, rec.start + 290, rec.end - 1):
        before = rec.decoded
        player.seek(t)
        costs.append(rec.decoded - before)
    lookback = int(LOOKBACK) + 1
    assert costs[0] <= lookback + 8  # the end: its last LOOKBACK seconds and each source's newest before
    assert costs[1] <= 3  # the start
    assert costs[2] <= lookback + 8
    assert costs[3] <= lookback + 8  # 10 s back: a rebuild, the same bounded cost
    assert costs[4] <= lookback + 8
    assert costs[0] < len(rec.chunks) / 7  # nothing like a replay from the start
    before = rec.decoded
    for _ in range(50):  # playing on decodes each chunk once
        player.advance(0.5)
    assert rec.decoded - before <= 27


def test_a_replay_at_any_position_shows_what_the_live_store_showed(long_recording: tuple[Path, Live]) -> None:
    path, live = long_recording
    player = Player.open(path)
    order = sorted(live.at, reverse=True) + sorted(live.at)  # far jumps back, then forward
    for t in order:
        player.seek(t)
        _compare(player, t, live.at[t])
    player.rewind()
    for t in sorted(live.at):  # and played on from the start, a second at a time
        while player.position < t - 1:
            player.advance(1.0)
        player.seek(t)
        _compare(player, t, live.at[t])


def test_listeners_down_and_back_and_the_cold_source_survive_a_seek(long_recording: tuple[Path, Live]) -> None:
    path, _ = long_recording
    player = Player.open(path)
    start = player.recording.start
    player.seek(start + 130)  # down since +100 s, its last sample 30 s before
    st = player.store.status(keys.LISTENERS)
    assert st.down and st.error == "Operation not permitted" and st.since == pytest.approx(start + 100)
    player.seek(start + 500)  # the protocols were last sampled at +480 s, the lookback reaches +430 s
    when, values = player.store.latest(keys.PROTOCOLS)
    assert when == pytest.approx(start + 480) and values == {"TCP/sockets": 480}
    player.seek(start + 95)  # before it went down: back to ok, from a store rebuilt at that point
    assert player.store.status(keys.LISTENERS).ok


def test_first_values_give_the_mark_the_live_store_gave(long_recording: tuple[Path, Live]) -> None:
    path, _ = long_recording
    rec = read_recording(path)
    assert len(rec.marks) == 1
    mark = rec.marks[0]
    player = Player(rec)
    player.seek(mark + 2)  # the store still holds the mark's time: Mark.at works on it
    want = Mark.at(player.store, mark).values
    player.seek(rec.end)  # long after: the store does not hold it any more
    before = rec.decoded
    got = player.first_values(mark)
    assert rec.decoded - before <= 12  # the chunk at the mark and those of sources not in it
    assert {k: got[k] for k in want} == want
    assert got["protocols"] == {"TCP/sockets": 120}  # sampled every 30 s, the mark at +120 s
    assert Mark(mark, got).delta(keys.NETSTAT, "TcpExt.C0", player.store.latest(keys.NETSTAT)[1]["TcpExt.C0"])


def test_samples_are_decoded_on_demand_and_kept_in_a_bounded_cache(long_recording: tuple[Path, Live]) -> None:
    path, _ = long_recording
    rec = read_recording(path)
    assert rec.decoded == 0  # opening reads the index only
    samples = rec.samples
    n = len(samples)
    assert n > MINUTES * 60 * RATE * 4
    first, last = samples[0], samples[-1]
    assert first.t == rec.start and last.t == pytest.approx(rec.end)
    assert rec.decoded == 2 and len(rec._cache) <= 8


def _digest(obj: object) -> str:
    return "sha256:" + hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


def test_the_version_2_fixture_replays_what_its_live_store_showed() -> None:
    """v2-procfs.ntr was written by the format-2 recorder (git 3ff97d2) beside a live store;
    v2-procfs.expected.json is what that store showed at five moments (see the README)."""
    expected = json.loads((FIXTURES / "recordings" / "v2-procfs.expected.json").read_text())
    player = Player.open(FIXTURES / "recordings" / "v2-procfs.ntr")
    assert player.recording.header["format"] == "nettop.recording/2" and player.recording.warnings == []
    for at in sorted(expected, key=lambda a: -a["t"]):  # seeking backwards: each a rebuild
        player.seek(at["t"])
        for name, want in at["sources"].items():
            key = keys.by_name(name)
            assert key is not None
            st, w = player.store.status(key), player.store.window(key)
            when, latest = player.store.latest(key)
            detail = player.store.detail(key)
            assert (st.state.value, st.error, when) == (want["state"], want["error"], want["t"]), name
            assert (latest if len(latest) < 20 else _digest(latest)) == want["latest"], name
            if w is not None:
                assert _digest(list(w.columns)) == want["columns"] and len(w) == want["rows"], name
                assert hashlib.sha256(w.data.tobytes()).hexdigest() == want["data_sha256"], name
                assert hashlib.sha256(w.ts.tobytes()).hexdigest() == want["ts_sha256"], name
            assert (json.loads(json.dumps(key.encode(detail))) if detail is not None else None) == want["detail"]


@pytest.mark.parametrize("name", ["v1-netns.ntr", "v2-procfs.ntr"])
def test_seeking_an_old_recording_equals_playing_it_from_the_start(name: str) -> None:
    rec = read_recording(FIXTURES / "recordings" / name)
    played = Player(rec)
    for fraction in (0.3, 0.6, 1.0):
        t = rec.start + fraction * (rec.end - rec.start)
        while played.position < t:
            played.advance(0.05)
        played.seek(t)
        jumped = Player(rec)
        jumped.seek(t)
        for key in played.store.sources():
            a, b = played.store.window(key), jumped.store.window(key)
            assert (a is None) == (b is None), key
            if a is not None and b is not None:
                assert list(a.ts) == list(b.ts) and [x for x in a.data if not math.isnan(x)] == \
                    [x for x in b.data if not math.isnan(x)], key
            assert played.store.detail(key) == jumped.store.detail(key), key
            assert played.store.status(key).state == jumped.store.status(key).state, key
