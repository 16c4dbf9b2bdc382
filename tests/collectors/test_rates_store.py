"""Ring store and derived views: bounded, copied, gaps instead of spikes."""

from __future__ import annotations

import math

import pytest

from conftest import K
from nettop.collectors.rates import counter_delta, gauge_peak, last_rate, peak_rate
from nettop.collectors.rings import Ring
from nettop.collectors.store import Store


def test_delta_and_rate_of_a_steady_counter() -> None:
    d = counter_delta([0.0, 1.0, 2.0], [10, 20, 40])
    assert d.delta == 30 and d.seconds == 2.0 and d.rate == 15 and d.gaps == 0


def test_backward_counter_is_a_gap_not_a_spike() -> None:
    # reset between t=1 and t=2: that step is left out, the rest still counts
    d = counter_delta([0.0, 1.0, 2.0, 3.0], [100, 110, 5, 25])
    assert d.gaps == 1
    assert d.delta == 10 + 20
    assert d.rate == 15.0
    assert last_rate([1.0, 2.0], [110, 5]) is None


def test_32_bit_counter_wraps_instead_of_gapping() -> None:
    d = counter_delta([0.0, 1.0], [2**32 - 10, 5], bits=32)
    assert d.delta == 15 and d.gaps == 0


def test_wider_than_32_bit_value_backwards_is_still_a_gap() -> None:
    assert counter_delta([0.0, 1.0], [2**33, 5], bits=32).gaps == 1


def test_missing_samples_break_the_chain() -> None:
    d = counter_delta([0.0, 1.0, 2.0, 3.0], [1, math.nan, 100, 101])
    assert d.delta == 1 and d.seconds == 1.0


def test_no_steps_means_no_rate() -> None:
    d = counter_delta([0.0], [5])
    assert d.delta is None and d.rate is None


def test_peaks() -> None:
    assert peak_rate([0.0, 1.0, 1.5, 2.5], [0, 10, 30, 31]) == 40.0
    assert gauge_peak([0, 7, math.nan, 3]) == 7
    assert gauge_peak([math.nan]) is None


def test_ring_is_bounded_and_returns_oldest_first() -> None:
    ring = Ring(("a", "b"), capacity=3)
    for t in range(5):
        ring.append(float(t), [t, 10 * t])
    ts, data = ring.copy_last(10)
    assert list(ts) == [2.0, 3.0, 4.0]
    assert list(data) == [2, 20, 3, 30, 4, 40]
    assert ring.count == 3 and len(ring.buf) == 6


def test_ring_reshape_keeps_matching_history() -> None:
    ring = Ring(("a", "b"), capacity=4)
    ring.append(0.0, [1, 2])
    ring.append(1.0, [3, 4])
    new = ring.reshaped(("b", "c"))
    _, data = new.copy_last(2)
    assert list(data[0::2]) == [2, 4]
    assert all(math.isnan(v) for v in data[1::2])


def test_store_window_is_a_copy() -> None:
    store = Store(short_capacity=10)
    store.record(K("s"), 0.0, ("x",), [1])
    window = store.window(K("s"))
    store.record(K("s"), 1.0, ("x",), [2])
    assert list(window.column("x")) == [1]  # the reader's copy did not move
    assert list(store.window(K("s")).column("x")) == [1, 2]


def test_store_keeps_exact_integers_past_2_53() -> None:
    store = Store()
    big = 2**64 - 3
    store.record(K("dev"), 0.0, ("eth0/rx_bytes",), [big])
    assert store.latest(K("dev"))[1]["eth0/rx_bytes"] == big


def test_interface_that_vanishes_is_dropped_and_others_keep_history() -> None:
    store = Store(short_capacity=10)
    store.record(K("dev"), 0.0, ("a/rx", "b/rx"), [1, 5])
    store.record(K("dev"), 1.0, ("a/rx", "b/rx"), [2, 6])
    store.record(K("dev"), 2.0, ("a/rx",), [4])  # b vanished
    window = store.window(K("dev"))
    assert window.columns == ("a/rx",)
    assert window.delta("a/rx").delta == 3
    _, latest = store.latest(K("dev"))
    assert latest == {"a/rx": 4}


def test_a_new_interface_has_no_fake_history() -> None:
    store = Store(short_capacity=10)
    store.record(K("dev"), 0.0, ("a/rx",), [1])
    store.record(K("dev"), 1.0, ("a/rx", "c/rx"), [2, 100])
    store.record(K("dev"), 2.0, ("a/rx", "c/rx"), [3, 150])
    d = store.window(K("dev")).delta("c/rx")
    assert d.delta == 50 and d.seconds == 1.0


def test_per_second_ring_holds_last_and_gauge_extremes() -> None:
    store = Store(short_capacity=100, long_seconds=5)
    store.declare(K("g"), is_gauge=lambda n: n == "q")
    for i, (t, q) in enumerate([(10.1, 3), (10.5, 9), (10.9, 1), (11.2, 4)]):
        store.record(K("g"), t, ("c", "q"), [i, q])
    series = store._series["g"]
    assert series.seconds is not None and series.seconds.count == 1  # 11 is still open
    assert series.seconds.ts[0] == 10.0 and list(series.seconds.last[:2]) == [2, 1]
    assert series.seconds.max[0] == 9 and series.seconds.min[0] == 1


def test_per_second_ring_is_bounded() -> None:
    store = Store(short_capacity=4, long_seconds=3)
    for t in range(10):
        store.record(K("s"), float(t), ("x",), [t])
    window = store.window(K("s"), since=0.0)  # asks for more than the full-rate ring holds
    assert list(window.ts) == [6.0, 7.0, 8.0, 9.0]  # type: ignore[union-attr]  # the seconds kept add nothing older
    series = store._series["s"]
    assert series.seconds is not None and series.seconds.count == 3


def test_status_reports_a_source_down_once() -> None:
    store = Store()
    assert store.mark_unavailable(K("s"), 0.0, "absent") is True
    assert store.mark_unavailable(K("s"), 1.0, "absent") is False
    assert store.status(K("s")).ok is False
    assert store.record(K("s"), 2.0, ("x",), [1]) is True  # it came back
    assert store.status(K("s")).ok is True


@pytest.mark.parametrize("capacity", [0, 1])
def test_ring_needs_two_slots(capacity: int) -> None:
    with pytest.raises(ValueError):
        Ring(("a",), capacity)


def test_wide_sources_keep_a_shorter_history_not_more_memory() -> None:
    store = Store(short_capacity=1000, long_seconds=1000, max_ring_bytes=8 * 100 * 10)
    wide = tuple(f"link{i}/rx_bytes" for i in range(100))
    for t in range(50):
        store.record(K("link_stats"), float(t), wide, list(range(100)))
    series = store._series["link_stats"]
    assert series.ring is not None and series.ring.capacity == 10 and len(series.ring.buf) == 1000
    assert series.seconds is not None and series.seconds.capacity <= 10  # a row also keeps its last time
    narrow = store.window(K("link_stats"))
    assert narrow is not None and len(narrow) == 10  # the newest ten samples
    store.record(K("link_stats"), 50.0, wide[:5], list(range(5)))  # links went away: history regrows
    assert store._series["link_stats"].ring.capacity == 200  # type: ignore[union-attr]
    assert list(store.window(K("link_stats")).column("link0/rx_bytes"))[-2:] == [0, 0]  # type: ignore[union-attr]


def test_second_ring_reshape_into_a_smaller_ring_keeps_the_newest() -> None:
    store = Store(short_capacity=4, long_seconds=20, max_ring_bytes=8 * 2 * 20)
    for t in range(10):
        store.record(K("s"), float(t), ("a",), [t])
    store.record(K("s"), 10.0, ("a", "b"), [10, 1])
    series = store._series["s"]
    assert series.seconds is not None and series.seconds.columns == ("a", "b")
    newest = [series.seconds.ts[(series.seconds.head - k) % series.seconds.capacity] for k in (3, 2, 1)]
    assert newest == [7.0, 8.0, 9.0]


def test_rows_since_across_the_wrap_point() -> None:
    ring = Ring(("a",), capacity=5)
    for t in range(8):  # slots wrap: rows 3..7 remain
        ring.append(float(t), [t])
    assert [ring.rows_since(s) for s in (None, 0.0, 3.0, 3.5, 6.0, 7.0, 7.5)] == [5, 5, 5, 4, 2, 1, 0]
    empty = Ring(("a",), capacity=3)
    assert empty.rows_since(0.0) == 0


def test_a_window_longer_than_the_full_rate_ring_is_completed_from_the_seconds() -> None:
    """A wide source keeps a short full-rate ring; a 10 s window still sees the whole 10 s, with
    each older second's last counter value and its gauge's peak (a burst is not lost)."""
    store = Store(short_capacity=5, long_seconds=60)
    key = K("q")
    store.declare(key, is_gauge=lambda c: c == "backlog")
    for k in range(100):  # 10 Hz for 10 s: a 50 ms burst to 900 at t=2.3
        t = k / 10
        store.record(key, t, ("drops", "backlog"), [k, 900 if k == 23 else 1])
    window = store.window(key, since=0.0)
    assert window is not None and len(window) > 5
    assert window.peak("backlog") == 900
    assert window.delta("drops").delta == pytest.approx(99 - 9, abs=1)  # from the end of second 0
    assert store.window(key, last=3) is not None and len(store.window(key, last=3)) == 3  # type: ignore[arg-type]


# --- values no float holds, and arithmetic that would overflow --------------------------------


def test_a_value_too_big_for_a_float_is_a_missing_sample_not_an_error() -> None:
    ring = Ring(("a", "b", "c"), capacity=4)
    ring.append(0.0, [1, 10**309, -(10**400)])
    ring.append(1.0, [2, 5, 6])
    _, data = ring.copy_last(2)
    assert data[0] == 1 and math.isnan(data[1]) and math.isnan(data[2])
    assert list(data[3:]) == [2, 5, 6]


def test_a_row_of_the_wrong_width_is_refused_not_resizing_the_ring() -> None:
    ring = Ring(("a", "b"), capacity=3)
    with pytest.raises(ValueError):
        ring.append(0.0, [1, 2, 3])
    assert len(ring.buf) == 6 and ring.count == 0


def test_store_records_a_huge_value_as_missing_and_goes_on() -> None:
    store = Store(short_capacity=10)
    store.record(K("s"), 0.0, ("x", "y"), [10**309, 1])
    store.record(K("s"), 1.0, ("x", "y"), [10**309, 3])
    window = store.window(K("s"))
    assert window is not None and window.delta("y").delta == 2
    assert window.delta("x").delta is None and window.peak("x") is None


@pytest.mark.parametrize("values", [[1e308, 1.7e308, 1.79e308], [-1.7e308, 1.7e308], [1.7e308, -1.7e308, 1.7e308],
                                    [math.inf, math.inf], [-math.inf, math.inf], [0.0, math.nan, 1e308]])
def test_rates_never_raise_nor_return_an_infinity(values: list[float]) -> None:
    ts = [float(i) for i in range(len(values))]
    for result in (counter_delta(ts, values).delta, counter_delta(ts, values).rate, last_rate(ts, values),
                   peak_rate(ts, values), peak_rate([0.0, 1e-320, 2e-320][:len(values)], values), gauge_peak(values)):
        assert result is None or math.isfinite(result)


def test_snapshot_numbers_stay_finite_for_extreme_counters() -> None:
    import json

    from nettop.collectors.snapshot import _entry

    store = Store(short_capacity=10)
    for t, v in enumerate([-(2**63), 2**64 - 1, 0, 2**64 - 1]):
        store.record(K("netstat"), float(t) * 1e-9, ("TcpExt.X",), [v])
    entry = _entry(store.window(K("netstat")), "TcpExt.X", 2**64 - 1)
    text = json.dumps(entry, allow_nan=False)  # raises on NaN or Infinity
    assert "Infinity" not in text


# --- reshaping keeps history and costs milliseconds -------------------------------------------


def test_reshape_of_a_full_wide_ring_is_fast_and_keeps_history() -> None:
    import time

    cols = tuple(f"c{i}" for i in range(250))
    store = Store(short_capacity=6000, long_seconds=3600)
    for k in range(6000):
        store.record(K("w"), k / 10, cols, list(range(k, k + 250)))
    started = time.perf_counter()
    store.record(K("w"), 600.0, cols[1:], list(range(6001, 6250)))  # one column gone: a reshape
    store.record(K("w"), 600.1, cols, list(range(6002, 6252)))  # and back: another
    assert time.perf_counter() - started < 0.25
    window = store.window(K("w"), since=0.0)
    assert window is not None
    c5 = list(window.column("c5"))
    assert c5 == [float(k + 5) for k in range(2, 6000)] + [6001 + 4, 6002 + 5]  # the newest 6000 rows
    c0 = list(window.column("c0"))
    assert math.isnan(c0[-2]) and c0[-1] == 6002 and all(math.isnan(v) for v in c0[:-1])


def test_second_ring_reshape_moves_gauge_extremes_by_name() -> None:
    store = Store(short_capacity=4, long_seconds=10)
    store.declare(K("g"), is_gauge=lambda n: n.startswith("q"))
    for t, (a, q) in enumerate([(1, 5), (2, 9), (3, 2), (4, 7), (5, 1)]):
        store.record(K("g"), float(t), ("a", "q"), [a, q])
    store.record(K("g"), 5.0, ("q", "b", "a"), [3, 0, 6])
    seconds = store._series["g"].seconds
    assert seconds is not None and seconds.columns == ("q", "b", "a")
    order = [(seconds.head - seconds.count + k) % seconds.capacity for k in range(seconds.count)]
    assert [seconds.last[i * 3 + 2] for i in order] == [1, 2, 3, 4, 5]  # a's last values moved
    assert [seconds.max[i] for i in order] == [5, 9, 2, 7, 1]  # q is the only gauge, now first
    assert all(math.isnan(seconds.last[i * 3 + 1]) for i in order)  # b has no history
