"""ise_archive/fetch/pacing.py: rates slow on 429s and climb back, pauses end."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ise_archive.fetch.pacing import (
    PacingPolicy,
    PoolRate,
    come_back_reason,
    last_request_holding,
    retry_after_seconds,
)

POLICY = PacingPolicy(backoff=2.0, recovery=0.1, error_base=2.0, error_max=7.0)


def test_a_429_halves_the_rate_and_successes_bring_it_back_step_by_step() -> None:
    rate = PoolRate.configured_at(3.0).on_429(POLICY)
    delays = [rate.delay]
    while rate.delay > rate.configured:
        rate = rate.on_success(POLICY)
        delays.append(round(rate.delay, 3))

    # each success raises the rate by a tenth of itself
    assert delays == [6.0, 5.455, 4.959, 4.508, 4.098, 3.726, 3.387, 3.079, 3.0]
    assert rate.share == 1.0


def test_four_429s_in_a_row_recover_too() -> None:
    rate = PoolRate.configured_at(3.0)
    for _ in range(4):
        rate = rate.on_429(POLICY)
    assert rate.delay == 48.0
    successes = 0
    while rate.delay > rate.configured:
        rate = rate.on_success(POLICY)
        successes += 1

    # from 1/16 of the rate: log(16) / log(1.1) steps, rounded up
    assert (successes, rate.delay) == (30, 3.0)


def test_429s_to_requests_in_flight_slow_the_pool_once() -> None:
    """Four connections, four requests out when the limit hit: one decrease, not a
    sixteenth of the rate; a request sent after it that meets a 429 halves again."""
    rate = PoolRate.configured_at(1.0)
    for sent_at, now in ((9.0, 10.0), (9.2, 10.1), (9.4, 10.2), (9.9, 10.3)):
        rate = rate.on_429(POLICY, sent_at=sent_at, now=now)
    assert (rate.delay, rate.slowed_at) == (2.0, 10.0)

    rate = rate.on_429(POLICY, sent_at=70.0, now=70.1)

    assert (rate.delay, rate.slowed_at) == (4.0, 70.1)


def test_the_slowest_pace_is_one_request_a_minute() -> None:
    rate = PoolRate.configured_at(0.5)
    for _ in range(50):
        rate = rate.on_429(POLICY)

    assert rate.delay == 60.0
    assert PoolRate.configured_at(90.0).on_429(POLICY).delay == 90.0


def test_a_pool_far_above_the_servers_limit_settles_below_it() -> None:
    """Configured at 1000/s against a server allowing 10/s: 429 whenever faster."""
    rate = PoolRate.configured_at(0.001)
    answers = []
    for _ in range(300):
        too_fast = rate.delay < 0.1
        rate = rate.on_429(POLICY) if too_fast else rate.on_success(POLICY)
        answers.append(too_fast)

    # at the end: one 429 now and then, not one per answer
    assert sum(answers[-100:]) < 15
    assert 0.05 < rate.delay < 0.2


def test_errors_pause_doubling_per_error_in_a_row_and_a_success_resets() -> None:
    rate = PoolRate.configured_at(1.0)
    pauses = []
    for _ in range(4):
        rate = rate.on_error()
        pauses.append(rate.error_pause(POLICY))
    rate = rate.on_success(POLICY).on_error()

    assert pauses == [2.0, 4.0, 7.0, 7.0]
    assert rate.error_pause(POLICY) == 2.0
    assert rate.delay == 1.0  # errors pause the pool but do not slow it


def test_a_long_error_streak_does_not_overflow() -> None:
    rate = PoolRate(configured=1.0, delay=1.0, errors=5000)

    assert rate.error_pause(POLICY) == 7.0


def test_a_pool_without_delay_has_nothing_to_slow() -> None:
    rate = PoolRate.configured_at(0.0).on_429(POLICY)

    assert (rate.delay, rate.share, rate.per_minute) == (0.0, 1.0, None)


@given(
    st.floats(min_value=0.001, max_value=100),
    st.lists(st.sampled_from(["429", "error", "ok"]), max_size=60),
)
def test_the_pace_stays_between_configured_and_slowest_and_always_recovers(
    configured: float, answers: list[str]
) -> None:
    rate = PoolRate.configured_at(configured)
    for answer in answers:
        if answer == "429":
            rate = rate.on_429(POLICY)
        elif answer == "error":
            rate = rate.on_error()
        else:
            rate = rate.on_success(POLICY)
        assert configured <= rate.delay <= max(60.0, configured)
    for _ in range(200):  # log(60 / 0.001) / log(1.1) < 116: back to full speed
        rate = rate.on_success(POLICY)
    assert rate.delay == configured
    assert rate.errors == 0


_TIMES = st.floats(min_value=0, max_value=1e6)


@given(_TIMES, _TIMES, st.floats(min_value=0, max_value=100), _TIMES)
def test_the_next_request_waits_for_the_pause_or_the_delay_not_both(
    last: float, now: float, delay: float, paused_until: float
) -> None:
    """Issue 10: the pool's next request goes when the pause ends or one delay after
    its last request, whichever is later: not pause + delay."""
    last = min(last, now)  # a request already made

    held = last_request_holding(last, paused_until=paused_until, delay=delay, now=now)

    assert held + delay == pytest.approx(max(last + delay, paused_until))


@given(
    _TIMES,
    st.floats(min_value=0, max_value=100),
    st.lists(st.floats(min_value=0, max_value=100), max_size=5),
)
def test_a_pause_keeps_its_end_whatever_the_delay_becomes(
    now: float, pause: float, delays: list[float]
) -> None:
    """Several 429s in a pause, each slowing the pool: the pause neither grows by
    the new delays nor adds up."""
    held, until = now, now + pause
    for delay in delays:
        held = last_request_holding(held, paused_until=until, delay=delay, now=now)

        assert held + delay == pytest.approx(max(now + delay, until))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"backoff": 0.5},
        {"recovery": 0},
        {"recovery": 1.5},
        {"pause_429": -1},
        {"slowest": -1},
    ],
)
def test_bad_policies_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        PacingPolicy(**kwargs)


NOW = datetime(2026, 12, 3, 21, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (b"7", 7.0),
        (b" 3600 ", 3600.0),
        (b"-5", 0.0),
        (b"Thu, 03 Dec 2026 22:30:00 GMT", 3600.0),  # RFC 9110 allows a date
        (b"Thu, 03 Dec 2026 21:00:00 GMT", 0.0),  # already past: ask now
        (b"soon", None),
        (b"\xff", None),
        (b"", None),
        (None, None),
    ],
)
def test_retry_after_in_seconds_or_as_an_http_date(
    header: bytes | None, seconds: float | None
) -> None:
    assert retry_after_seconds(header, now=NOW) == seconds


def test_come_back_later_says_when_in_utc() -> None:
    assert come_back_reason(5400, now=NOW, limit=300) == (
        "it asks for no request before 2026-12-03 23:00 UTC (Retry-After: 5400 s, "
        "more than ISE_ARCHIVE_RETRY_AFTER_MAX, 300 s)"
    )
