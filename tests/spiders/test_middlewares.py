"""spiders/middlewares.py: pools pause on 429 and recover, errors back off, outages
stop the crawl."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.core.downloader import Slot
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    IgnoreRequest,
)
from scrapy.http import Response
from scrapy.utils.misc import build_from_crawler
from twisted.internet.error import ConnectionLost

from spiders.failures import SetAside
from spiders.middlewares import ArchivePoolsMiddleware
from spiders.slots import slot_clock
from tests.spiders.crawlers import BASE_URL, make_crawler, open_spider, start_engine

REPLAY_URL = f"{BASE_URL}/web/20111006123456id_/http://www.ise.gov/blog/a/b"
CDX_URL = f"{BASE_URL}/cdx/search/cdx?url=ise.gov/blog&matchType=prefix"
NOW = slot_clock()


def _replay_request() -> Request:
    return Request(REPLAY_URL, meta={"pool": "replay"})


def _pools(
    tmp_path: Path, **settings: object
) -> tuple[ArchivePoolsMiddleware, dict[str, Slot]]:
    crawler = make_crawler(tmp_path, **settings)
    open_spider(crawler)
    slots = start_engine(crawler)
    return build_from_crawler(ArchivePoolsMiddleware, crawler), slots


def _held_until(slot: Slot) -> float:
    """When the slot sends its next request (Scrapy waits ``delay`` from
    ``lastseen``)."""
    return slot.lastseen + slot.delay


def _answer(
    middleware: ArchivePoolsMiddleware, request: Request, status: int, **headers: str
) -> Request | Response:
    response = Response(request.url, status=status, headers=headers, request=request)
    return middleware.process_response(request, response)


def test_requests_go_to_the_slot_of_their_pool_whatever_its_name(
    tmp_path: Path,
) -> None:
    middleware, _ = _pools(tmp_path)
    cdx = Request(CDX_URL, meta={"pool": "cdx"})
    other = Request(CDX_URL, meta={"pool": "cdx@arquivo"})
    unlabelled = Request(REPLAY_URL)

    for request in (cdx, other, unlabelled):
        middleware.process_request(request)

    assert [r.meta["download_slot"] for r in (cdx, other, unlabelled)] == [
        "cdx",
        "cdx@arquivo",
        "replay",
    ]
    assert middleware.crawler.stats.get_stats() == {
        "ise_archive/pool/cdx/requests": 1,
        "ise_archive/pool/cdx@arquivo/requests": 1,
        "ise_archive/pool/replay/requests": 1,
        # each pool's pace, from DOWNLOAD_SLOTS or Scrapy's default slot
        "ise_archive/pool/cdx/delay": 3.0,
        "ise_archive/pool/cdx@arquivo/delay": 0.0,
        "ise_archive/pool/replay/delay": 0.666667,
    }


def test_a_429_with_retry_after_pauses_the_pool_and_slows_it(tmp_path: Path) -> None:
    middleware, slots = _pools(
        tmp_path, ISE_ARCHIVE_REPLAY_RPS=2.0, ISE_ARCHIVE_429_PAUSE=60.0
    )
    slots["replay"].lastseen = NOW() - 5.0
    request = _replay_request()

    before = NOW()
    retry = _answer(middleware, request, 429, **{"Retry-After": "7"})

    assert isinstance(retry, Request)
    assert (retry.url, retry.dont_filter, retry.meta["ise_429_tries"]) == (
        REPLAY_URL,
        True,
        1,
    )
    assert before + 7 <= _held_until(slots["replay"]) <= NOW() + 7
    assert slots["replay"].delay == 1.0  # 0.5 s between requests, halved rate
    assert slots["cdx"].lastseen == 0  # the other pool runs on
    stats = middleware.crawler.stats
    assert stats.get_value("ise_archive/pool/replay/429") == 1
    assert stats.get_value("ise_archive/pool/replay/delay") == 1.0


def test_a_429_without_retry_after_pauses_the_default_time(tmp_path: Path) -> None:
    middleware, slots = _pools(tmp_path, ISE_ARCHIVE_429_PAUSE=60.0)
    request = Request(CDX_URL, meta={"pool": "cdx"})

    before = NOW()
    retry = _answer(middleware, request, 429)

    assert isinstance(retry, Request)
    assert before + 60 <= _held_until(slots["cdx"]) <= NOW() + 60
    assert slots["cdx"].delay == 6.0  # 20/min halved
    assert slots["replay"].lastseen == 0


def test_an_http_date_retry_after_pauses_until_that_date(tmp_path: Path) -> None:
    middleware, slots = _pools(tmp_path, ISE_ARCHIVE_429_PAUSE=30.0)
    when = datetime.now(UTC) + timedelta(seconds=120)

    before = NOW()
    asked = {"Retry-After": format_datetime(when, usegmt=True)}
    _answer(middleware, _replay_request(), 429, **asked)

    # the header has whole seconds: up to one less than asked
    assert before + 118 <= _held_until(slots["replay"]) <= NOW() + 120


def test_a_retry_after_past_the_limit_stops_the_crawl_saying_when_to_return(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An hour asked (the archive's "come back later"): no pool is held that long,
    the crawl stops as for an unreachable archive, with the time to come back."""
    middleware, slots = _pools(tmp_path, ISE_ARCHIVE_RETRY_AFTER_MAX=300.0)
    before = datetime.now(UTC)

    with caplog.at_level(logging.INFO), pytest.raises(IgnoreRequest):
        _answer(middleware, _replay_request(), 429, **{"Retry-After": "3600"})
    with pytest.raises(IgnoreRequest):  # nothing more is sent
        middleware.process_request(_replay_request())

    [error] = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    hour = timedelta(hours=1)
    after = datetime.now(UTC)
    back = {f"before {t + hour:%Y-%m-%d %H:%M} UTC" for t in (before, after)}
    assert error.startswith(f"{BASE_URL}: it asks for no request before ")
    assert any(when in error for when in back), error
    assert error.endswith(
        "(Retry-After: 3600 s, more than ISE_ARCHIVE_RETRY_AFTER_MAX, 300 s). "
        "Stopping; the state is kept and the next run resumes here: run it again "
        "after that time."
    )
    stats = middleware.crawler.stats
    assert stats.get_value("ise_archive/blocked") == 1
    assert stats.get_value("ise_archive/pool/replay/429") == 1
    assert _held_until(slots["replay"]) < NOW() + 60  # not held for the hour


def test_another_archive_out_of_reach_is_set_aside_and_the_crawl_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """ISE_ARCHIVE_MORE_ARCHIVES: a refusal or a long Retry-After sets that archive
    aside (one ERROR line, its requests refused unsent); the main one runs on."""
    middleware, _ = _pools(tmp_path)
    other = "http://127.0.0.1:9/web/20111006123456id_/http://www.ise.gov/blog/a/b"

    def to_other(pool: str = "replay@127.0.0.1-9") -> Request:
        return Request(other, meta={"pool": pool})

    with caplog.at_level(logging.INFO), pytest.raises(SetAside):
        middleware.process_exception(to_other(), DownloadConnectionRefusedError("no"))
    with pytest.raises(SetAside):
        middleware.process_request(to_other("cdx@127.0.0.1-9"))
    with pytest.raises(SetAside):  # in flight before: refused, no second line
        middleware.process_exception(to_other(), DownloadConnectionRefusedError("no"))
    middleware.process_request(_replay_request())  # the main archive: sent

    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [
        "cannot use http://127.0.0.1:9 (ISE_ARCHIVE_MORE_ARCHIVES) for the rest of "
        "this run: connection refused. The crawl goes on with the other archives; "
        "what only it holds stays pending for the next run, which tries it again "
        "(exit 75)."
    ]
    stats = middleware.crawler.stats
    assert stats.get_value("ise_archive/blocked") is None
    assert stats.get_value("ise_archive/set_aside/http://127.0.0.1:9") == (
        "connection refused"
    )
    assert not middleware.outages.stopping


def test_pauses_do_not_add_up(tmp_path: Path) -> None:
    middleware, slots = _pools(tmp_path, ISE_ARCHIVE_429_PAUSE=30.0)

    before = NOW()
    for _ in range(3):
        _answer(middleware, _replay_request(), 429)

    assert _held_until(slots["replay"]) <= before + 31


def test_after_the_429s_stop_the_delays_return_to_the_configured_ones(
    tmp_path: Path,
) -> None:
    middleware, slots = _pools(
        tmp_path, ISE_ARCHIVE_CDX_RPM=20.0, ISE_ARCHIVE_REPLAY_RPS=2.0
    )
    configured = {pool: slot.delay for pool, slot in slots.items()}
    cdx = Request(CDX_URL, meta={"pool": "cdx"})
    for _ in range(4):  # 429 on every answer for a while: a sixteenth of the rate
        _answer(middleware, cdx, 429)
        _answer(middleware, _replay_request(), 429)
    slowed = {pool: slot.delay for pool, slot in slots.items()}

    seen = {"cdx": [], "replay": []}
    for _ in range(30):  # log(16) / log(1.1) answers: back at the configured rate
        for pool, request in (("cdx", cdx), ("replay", _replay_request())):
            assert isinstance(_answer(middleware, request, 200), Response)
            seen[pool].append(slots[pool].delay)

    assert slowed == {"cdx": 48.0, "replay": 8.0}
    assert {pool: slot.delay for pool, slot in slots.items()} == configured
    # step by step, never below the configured delay
    for pool, delays in seen.items():
        assert delays == sorted(delays, reverse=True)
        assert len(set(delays)) > 5
        assert min(delays) == configured[pool]
    assert middleware.crawler.stats.get_value("ise_archive/pool/cdx/delay") == 3.0


def test_429s_to_requests_sent_before_the_first_one_slow_the_pool_once(
    tmp_path: Path,
) -> None:
    """With several connections per pool, the requests in flight when the limit hit
    all come back 429: one halving (the ``download_latency`` Scrapy records tells
    when each was sent), and one pause."""
    middleware, slots = _pools(
        tmp_path, ISE_ARCHIVE_REPLAY_CONCURRENCY=4, ISE_ARCHIVE_429_PAUSE=30.0
    )
    configured = slots["replay"].delay
    before = NOW()
    for latency in (0.2, 0.5, 0.9):
        request = _replay_request()
        request.meta["download_latency"] = latency
        assert isinstance(_answer(middleware, request, 429), Request)

    assert slots["replay"].delay == pytest.approx(2 * configured)
    assert before + 30 <= _held_until(slots["replay"]) <= NOW() + 30
    stats = middleware.crawler.stats
    assert stats.get_value("ise_archive/pool/replay/429") == 3

    later = _replay_request()  # sent after the slowdown: the limit holds, slow more
    later.meta["download_latency"] = 0.0
    _answer(middleware, later, 429)

    assert slots["replay"].delay == pytest.approx(4 * configured)


def test_repeated_429s_end_with_the_response_and_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    middleware, slots = _pools(tmp_path, ISE_ARCHIVE_429_MAX_RETRIES=2)
    request = _replay_request()
    answers: list[Any] = []
    with caplog.at_level(logging.INFO, logger="spiders.middlewares"):
        for _ in range(3):
            answer = _answer(middleware, request, 429)
            answers.append(answer)
            if isinstance(answer, Request):
                request = answer

    assert [type(a) for a in answers] == [Request, Request, Response]
    assert answers[-1].status == 429
    assert caplog.record_tuples[0] == (
        "spiders.middlewares",
        logging.INFO,
        "429 from the replay pool: pausing it 60.0 s, then 45.0/min (50% of its rate)",
    )
    assert caplog.record_tuples[-1] == (
        "spiders.middlewares",
        logging.WARNING,
        f"Gave up on {REPLAY_URL} after 2 answers of 429",
    )
    assert slots["replay"].delay == pytest.approx((1 / 1.5) * 2**3)


def test_5xx_retries_pause_the_pool_doubling_per_error_in_a_row(
    tmp_path: Path,
) -> None:
    middleware, slots = _pools(
        tmp_path, ISE_ARCHIVE_RETRY_BACKOFF_BASE=2.0, ISE_ARCHIVE_RETRY_BACKOFF_MAX=7.0
    )
    request = _replay_request()
    pauses = []
    for _ in range(4):
        slots["replay"].lastseen = 0  # as if the last pause were over
        middleware.paused_until.clear()
        before = NOW()
        retry = _answer(middleware, request, 503)
        assert isinstance(retry, Request)
        pauses.append(round(_held_until(slots["replay"]) - before))
        request = retry
    _answer(middleware, _replay_request(), 200)  # an answer ends the streak
    slots["replay"].lastseen = 0
    middleware.paused_until.clear()
    before = NOW()
    _answer(middleware, _replay_request(), 503)

    assert pauses == [2, 4, 7, 7]  # doubling, capped by ISE_ARCHIVE_RETRY_BACKOFF_MAX
    assert round(_held_until(slots["replay"]) - before) == 2
    assert request.meta["retry_times"] == 4
    assert slots["replay"].delay == pytest.approx(1 / 1.5)  # paused, not slowed
    assert slots["cdx"].lastseen == 0


def test_transport_errors_are_retried_with_a_pause_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    middleware, slots = _pools(tmp_path, ISE_ARCHIVE_RETRY_BACKOFF_BASE=3.0)

    before = NOW()
    with caplog.at_level(logging.INFO, logger="spiders.middlewares"):
        retry = middleware.process_exception(_replay_request(), ConnectionLost())

    assert isinstance(retry, Request)
    assert before + 3 <= _held_until(slots["replay"]) <= NOW() + 3
    assert caplog.record_tuples == [
        (
            "spiders.middlewares",
            logging.INFO,
            f"Retrying {REPLAY_URL} in 3 s (retry 1 of 6): connection lost",
        )
    ]


def test_retries_end_after_retry_times(tmp_path: Path) -> None:
    middleware, _ = _pools(tmp_path, RETRY_TIMES=1)
    first = _answer(middleware, _replay_request(), 503)
    assert isinstance(first, Request)

    last = _answer(middleware, first, 503)

    assert isinstance(last, Response)
    assert last.status == 503


def test_a_host_that_never_answers_stops_the_crawl_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    middleware, _ = _pools(tmp_path, ISE_ARCHIVE_UNREACHABLE_AFTER=3)
    failure = CannotResolveHostError("DNS lookup failed: no results")
    answers: list[Any] = []
    with caplog.at_level(logging.INFO, logger="spiders.middlewares"):
        answers.append(middleware.process_exception(_replay_request(), failure))
        _answer(middleware, _replay_request(), 503)  # an answer: not unreachable
        for _ in range(2):
            answers.append(middleware.process_exception(_replay_request(), failure))
        with pytest.raises(IgnoreRequest):
            middleware.process_exception(_replay_request(), failure)
        with pytest.raises(IgnoreRequest):  # nothing more is sent
            middleware.process_request(_replay_request())

    assert all(isinstance(a, Request) for a in answers)
    errors = [t for t in caplog.record_tuples if t[1] >= logging.ERROR]
    assert errors == [
        (
            "spiders.outages",
            logging.ERROR,
            f"cannot reach {BASE_URL}: host name does not resolve. Stopping after "
            "3 failed requests in a row; the state is kept and the next run resumes "
            "here: run again later (check the network and WAYBACK_BASE_URL).",
        )
    ]
    stats = middleware.crawler.stats
    assert stats.get_value("ise_archive/blocked") == 1
    assert stats.get_value("ise_archive/unreachable") == (
        f"{BASE_URL}: host name does not resolve"
    )


def test_connection_refused_stops_at_once(tmp_path: Path) -> None:
    middleware, _ = _pools(tmp_path)

    with pytest.raises(IgnoreRequest):
        middleware.process_exception(
            _replay_request(), DownloadConnectionRefusedError("refused")
        )

    assert middleware.crawler.stats.get_value("ise_archive/unreachable") == (
        f"{BASE_URL}: connection refused"
    )
