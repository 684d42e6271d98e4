"""spiders/size_cap.py: a download over its cap is stopped with its head kept, then
refused as Scrapy refuses one over ``download_maxsize``."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy import Request, signals
from scrapy.exceptions import DownloadCancelledError, StopDownload
from scrapy.http import Headers, Response
from scrapy.utils.misc import build_from_crawler
from twisted.python.failure import Failure
from twisted.web.iweb import UNKNOWN_LENGTH

from spiders.failures import transport_failure
from spiders.size_cap import (
    STOPPED,
    RefuseStoppedMiddleware,
    StopAtSizeMiddleware,
    truncation,
)
from tests.spiders.crawlers import BASE_URL, make_crawler

FILE_URL = f"{BASE_URL}/web/20140901000000id_/http://www.ise.gov/a.pdf"
CAP = 1000


def _request(cap: int | None = CAP) -> Request:
    meta = {"download_maxsize": cap} if cap is not None else {}
    return Request(FILE_URL, meta=meta)


def _stops(crawler, signal: object, **kwargs: object) -> list[StopDownload]:  # type: ignore[no-untyped-def]
    """What Scrapy's download handler checks after sending ``signal``."""
    results = crawler.signals.send_catch_log(signal=signal, spider=None, **kwargs)
    return [
        r.value
        for _, r in results
        if isinstance(r, Failure) and isinstance(r.value, StopDownload)
    ]


@pytest.fixture
def crawler(tmp_path: Path):  # type: ignore[no-untyped-def]
    crawler = make_crawler(tmp_path / "out")
    # held while the test runs: Scrapy's signals keep only weak references
    middleware = build_from_crawler(StopAtSizeMiddleware, crawler)
    yield crawler
    del middleware


@pytest.mark.parametrize(
    ("cap", "announced", "stopped"),
    [
        (CAP, CAP + 1, True),
        (CAP, CAP, False),
        (CAP, UNKNOWN_LENGTH, False),  # no Content-Length: the bytes decide
        (None, 10 * CAP, False),  # no cap of ours: Scrapy's own limit applies
    ],
)
def test_an_announced_length_over_the_cap_stops_at_the_headers(
    crawler, cap: int | None, announced: object, stopped: bool
) -> None:  # type: ignore[no-untyped-def]
    found = _stops(
        crawler,
        signals.headers_received,
        headers=Headers(),
        body_length=announced,
        request=_request(cap),
    )
    assert [s.fail for s in found] == ([False] if stopped else [])


def test_an_unannounced_length_stops_once_more_than_the_cap_came(crawler) -> None:  # type: ignore[no-untyped-def]
    request = _request()
    heads = _stops(
        crawler,
        signals.headers_received,
        headers=Headers(),
        body_length=UNKNOWN_LENGTH,
        request=request,
    )
    chunks = [b"x" * 400, b"x" * 400, b"x" * 200, b"x"]
    found = [
        bool(_stops(crawler, signals.bytes_received, data=c, request=request))
        for c in chunks
    ]
    assert (heads, found) == ([], [False, False, False, True])
    # a second download of the same request (a retry) counts afresh
    _stops(
        crawler,
        signals.headers_received,
        headers=Headers(),
        body_length=UNKNOWN_LENGTH,
        request=request,
    )
    assert not _stops(crawler, signals.bytes_received, data=b"x" * 900, request=request)


def test_a_stopped_answer_keeps_its_head_and_no_bytes(crawler) -> None:  # type: ignore[no-untyped-def]
    middleware = build_from_crawler(StopAtSizeMiddleware, crawler)
    headers = {"Content-Type": "application/pdf", "Content-Encoding": "gzip"}
    stopped = Response(
        FILE_URL, status=200, headers=headers, body=b"\x1f\x8b part", flags=[STOPPED]
    )
    kept = middleware.process_response(_request(), stopped)
    assert (kept.status, kept.body, kept.flags, truncation(kept)) == (
        200,
        b"",
        [STOPPED],
        "length",
    )
    assert kept.headers.to_unicode_dict() == {"Content-Type": "application/pdf"}
    whole = Response(FILE_URL, headers=headers, body=b"\x1f\x8b whole")
    assert middleware.process_response(_request(), whole) is whole
    assert truncation(whole) == ""


def test_a_stopped_answer_is_refused_as_too_large(crawler) -> None:  # type: ignore[no-untyped-def]
    stopped = Response(FILE_URL, flags=[STOPPED])
    with pytest.raises(DownloadCancelledError, match="size cap") as raised:
        RefuseStoppedMiddleware().process_response(_request(), stopped)
    # as the spider's errbacks read it: too-large, failed:page-too-large
    assert transport_failure(Failure(raised.value)) == "page-too-large"
    whole = Response(FILE_URL)
    assert RefuseStoppedMiddleware().process_response(_request(), whole) is whole
