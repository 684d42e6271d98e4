"""benchmarks/faults.py: the floor and the last tenth's rate, from a request log."""

from __future__ import annotations

import pytest

from benchmarks.faults import fault_settings, measure
from tests.wayback.server import RequestRecord


def _log() -> list[RequestRecord]:
    cdx = [RequestRecord("GET", "/cdx", 200, "cdx", at=float(n)) for n in range(3)]
    # 100 replay requests one second apart, then the last 11 at two a second
    replay = [
        RequestRecord("GET", "/web/x", 200, "replay", at=10.0 + n) for n in range(100)
    ]
    replay += [
        RequestRecord(
            "GET",
            "/web/x",
            429 if n == 0 else 200,
            "replay",
            "429" if n == 0 else None,
            at=110.0 + n / 2,
        )
        for n in range(11)
    ]
    return cdx + replay


def test_the_floor_is_requests_over_the_configured_rates() -> None:
    result = measure(_log(), wall_s=150.0, scale=1.0, report={})

    # 3 CDX requests at 20/min, 111 replay requests at 1.5/s
    assert result.floor_s == pytest.approx(3 * 3.0 + 111 / 1.5)
    assert result.floor_ratio == pytest.approx(150.0 / result.floor_s)
    assert (result.cdx, result.replay, result.injected) == (3, 111, {"429": 1})


def test_the_last_tenth_is_the_last_tenth_of_the_replay_phase() -> None:
    result = measure(_log(), wall_s=150.0, scale=1.0, report={})

    # the replay phase runs from 10 s to 115 s: its last tenth starts at 104.5 s;
    # requests at 105..109 (one a second) and 110..115 (two a second)
    assert result.last_tenth_rps == pytest.approx(15 / 10)
    assert result.last_tenth_share == pytest.approx(1.0)


def test_only_the_pauses_are_shortened_and_the_rates_scale() -> None:
    assert fault_settings(1.0)["ISE_ARCHIVE_CDX_RPM"] == "20.0"
    assert fault_settings(1.0)["ISE_ARCHIVE_REPLAY_RPS"] == "1.5"
    assert fault_settings(10.0)["ISE_ARCHIVE_REPLAY_RPS"] == "15.0"
    assert fault_settings(10.0)["ISE_ARCHIVE_429_PAUSE"] == "0.1"


def test_the_wall_times_last_tenth_counts_to_the_end_of_the_run() -> None:
    """The crawl ends at 120 s, 5 s after its last replay request: the last tenth of
    the wall time (12 s, from 108 s) holds 2 + 11 requests."""
    result = measure(_log(), wall_s=120.0, scale=1.0, report={}, ended_at=120.0)

    assert result.last_wall_tenth_rps == pytest.approx(13 / 12)
    assert result.last_tenth_rps == pytest.approx(15 / 10)  # unchanged
