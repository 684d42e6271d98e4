"""spiders/middlewares.py: 429 pauses the pool, 5xx back off, gzip is decoded once."""

from __future__ import annotations

import gzip
import logging
from pathlib import Path
from time import monotonic

import pytest
from scrapy import Request
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.http import HtmlResponse, Response
from scrapy.utils.misc import build_from_crawler
from twisted.internet.error import ConnectionLost

from ise_archive.errors import ConfigError
from spiders.middlewares import (
    ArchivePoolsMiddleware,
    BackoffRetryMiddleware,
    DuplicateEncodingMiddleware,
)
from tests.spiders.crawlers import BASE_URL, make_crawler, open_spider, start_engine

REPLAY_URL = f"{BASE_URL}/web/20111006123456id_/http://www.ise.gov/blog/a/b"
CDX_URL = f"{BASE_URL}/cdx/search/cdx?url=ise.gov/blog&matchType=prefix"


def _replay_request() -> Request:
    return Request(REPLAY_URL, meta={"pool": "replay"})


def _pools(tmp_path: Path, **settings: object) -> tuple[ArchivePoolsMiddleware, dict]:
    crawler = make_crawler(tmp_path, **settings)
    slots = start_engine(crawler)
    return build_from_crawler(ArchivePoolsMiddleware, crawler), slots


def test_requests_go_to_the_slot_of_their_pool(tmp_path: Path) -> None:
    middleware, _ = _pools(tmp_path)
    cdx = Request(CDX_URL, meta={"pool": "cdx"})
    unlabelled = Request(REPLAY_URL)

    middleware.process_request(cdx)
    middleware.process_request(unlabelled)

    assert (cdx.meta["download_slot"], unlabelled.meta["download_slot"]) == (
        "cdx",
        "replay",
    )
    assert middleware.crawler.stats.get_stats() == {
        "ise_archive/pool/cdx/requests": 1,
        "ise_archive/pool/replay/requests": 1,
    }


def test_a_429_with_retry_after_pauses_the_pool_and_slows_it(tmp_path: Path) -> None:
    middleware, slots = _pools(
        tmp_path, ISE_ARCHIVE_REPLAY_RPS=2.0, ISE_ARCHIVE_429_PAUSE=60.0
    )
    request = _replay_request()
    response = Response(
        REPLAY_URL, status=429, headers={"Retry-After": "7"}, request=request
    )

    before = monotonic()
    retry = middleware.process_response(request, response)

    assert isinstance(retry, Request)
    assert (retry.url, retry.dont_filter, retry.meta["ise_429_tries"]) == (
        REPLAY_URL,
        True,
        1,
    )
    assert before + 7 <= slots["replay"].lastseen <= monotonic() + 7
    assert slots["replay"].delay == 1.0  # 0.5 s between requests, halved rate
    assert slots["cdx"].lastseen == 0  # the other pool runs on
    assert middleware.crawler.stats.get_value("ise_archive/pool/replay/429") == 1


def test_a_429_without_retry_after_pauses_the_default_time(tmp_path: Path) -> None:
    middleware, slots = _pools(tmp_path, ISE_ARCHIVE_429_PAUSE=60.0)
    request = Request(CDX_URL, meta={"pool": "cdx"})

    before = monotonic()
    retry = middleware.process_response(
        request, Response(CDX_URL, status=429, request=request)
    )

    assert isinstance(retry, Request)
    assert before + 60 <= slots["cdx"].lastseen <= monotonic() + 60
    assert slots["cdx"].delay == 6.0  # 20/min halved
    assert slots["replay"].lastseen == 0


def test_an_http_date_retry_after_falls_back_to_the_pause(tmp_path: Path) -> None:
    middleware, slots = _pools(tmp_path, ISE_ARCHIVE_429_PAUSE=30.0)
    request = _replay_request()
    headers = {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}

    before = monotonic()
    middleware.process_response(
        request, Response(REPLAY_URL, status=429, headers=headers, request=request)
    )

    assert before + 30 <= slots["replay"].lastseen <= monotonic() + 30


def test_repeated_429s_end_with_the_response_and_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    middleware, slots = _pools(tmp_path, ISE_ARCHIVE_429_MAX_RETRIES=2)
    request = _replay_request()
    answers = []
    with caplog.at_level(logging.INFO, logger="spiders.middlewares"):
        for _ in range(3):
            response = Response(REPLAY_URL, status=429, request=request)
            answer = middleware.process_response(request, response)
            answers.append(answer)
            if isinstance(answer, Request):
                request = answer

    assert [type(a) for a in answers] == [Request, Request, Response]
    assert answers[-1].status == 429
    assert caplog.record_tuples[-1] == (
        "spiders.middlewares",
        logging.WARNING,
        f"Gave up on {REPLAY_URL} after 2 answers of 429",
    )
    assert slots["replay"].delay == pytest.approx((1 / 1.5) * 2**3)


def test_other_statuses_pass_through_untouched(tmp_path: Path) -> None:
    middleware, slots = _pools(tmp_path)
    request = _replay_request()
    response = Response(REPLAY_URL, status=503, request=request)

    assert middleware.process_response(request, response) is response
    assert slots["replay"].lastseen == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ISE_ARCHIVE_429_PAUSE", -1.0),
        ("ISE_ARCHIVE_429_BACKOFF", 0.5),
        ("ISE_ARCHIVE_429_MAX_RETRIES", -1),
    ],
)
def test_bad_429_settings_are_refused(tmp_path: Path, name: str, value: float) -> None:
    """Refused when the crawler is made, never by disabling the middleware."""
    with pytest.raises(ConfigError, match=name):
        make_crawler(tmp_path, **{name: value})


def _backoff(tmp_path: Path, **settings: object) -> tuple[BackoffRetryMiddleware, dict]:
    crawler = make_crawler(tmp_path, **settings)
    open_spider(crawler)
    slots = start_engine(crawler)
    return build_from_crawler(BackoffRetryMiddleware, crawler), slots


def test_5xx_retries_pause_the_pool_with_doubling_delays(tmp_path: Path) -> None:
    middleware, slots = _backoff(
        tmp_path, ISE_ARCHIVE_RETRY_BACKOFF_BASE=2.0, ISE_ARCHIVE_RETRY_BACKOFF_MAX=7.0
    )
    request = _replay_request()
    pauses = []
    for _ in range(4):
        slots["replay"].lastseen = 0
        before = monotonic()
        retry = middleware.process_response(
            request, Response(REPLAY_URL, status=503, request=request)
        )
        assert isinstance(retry, Request)
        pauses.append(round(slots["replay"].lastseen - before))
        request = retry

    assert pauses == [2, 4, 7, 7]  # doubling, capped by ISE_ARCHIVE_RETRY_BACKOFF_MAX
    assert request.meta["retry_times"] == 4
    assert slots["cdx"].lastseen == 0


def test_transport_errors_are_retried_with_a_pause(tmp_path: Path) -> None:
    middleware, slots = _backoff(tmp_path, ISE_ARCHIVE_RETRY_BACKOFF_BASE=3.0)
    request = _replay_request()

    before = monotonic()
    retry = middleware.process_exception(request, ConnectionLost())

    assert isinstance(retry, Request)
    assert before + 3 <= slots["replay"].lastseen <= monotonic() + 3


def test_retries_end_after_retry_times(tmp_path: Path) -> None:
    middleware, _ = _backoff(tmp_path, RETRY_TIMES=1)
    request = _replay_request()
    first = middleware.process_response(
        request, Response(REPLAY_URL, status=503, request=request)
    )
    assert isinstance(first, Request)
    last = Response(REPLAY_URL, status=503, request=first)

    assert middleware.process_response(first, last) is last


@pytest.mark.parametrize(
    "name", ["ISE_ARCHIVE_RETRY_BACKOFF_BASE", "ISE_ARCHIVE_RETRY_BACKOFF_MAX"]
)
def test_bad_backoff_settings_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        make_crawler(tmp_path, **{name: -1.0})


PAGE = b"<html><head><title>t</title></head><body><p>page</p></body></html>"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([b"gzip, gzip"], b"gzip"),
        ([b"gzip", b"gzip"], b"gzip"),
        ([b"GZIP,gzip"], b"gzip"),
        ([b"gzip, br, br"], b"gzip, br"),
    ],
)
def test_repeated_encodings_are_collapsed(values: list[bytes], expected: bytes) -> None:
    response = Response(REPLAY_URL, headers={"Content-Encoding": values})

    collapsed = DuplicateEncodingMiddleware().process_response(
        _replay_request(), response
    )

    assert collapsed.headers.getlist(b"Content-Encoding") == [expected]


@pytest.mark.parametrize("values", [[b"gzip"], [b"gzip, br"], []])
def test_single_encodings_are_left_alone(values: list[bytes]) -> None:
    headers = {"Content-Encoding": values} if values else {}
    response = Response(REPLAY_URL, headers=headers)

    assert (
        DuplicateEncodingMiddleware().process_response(_replay_request(), response)
        is response
    )


def test_a_doubly_labelled_gzip_body_is_decoded_once(tmp_path: Path) -> None:
    """The order of the real chain: this middleware (595), then Scrapy's (590)."""
    crawler = make_crawler(tmp_path)
    decompress = build_from_crawler(HttpCompressionMiddleware, crawler)
    request = _replay_request()
    response = HtmlResponse(
        REPLAY_URL,
        body=gzip.compress(PAGE),
        headers={"Content-Encoding": "gzip, gzip", "Content-Type": "text/html"},
        request=request,
    )

    decoded = decompress.process_response(
        request, DuplicateEncodingMiddleware().process_response(request, response)
    )

    assert decoded.body == PAGE
    assert b"Content-Encoding" not in decoded.headers
