"""spiders/encoding.py: a doubly labelled gzip body is decoded once."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.http import HtmlResponse, Response
from scrapy.utils.misc import build_from_crawler

from spiders.encoding import DuplicateEncodingMiddleware
from tests.spiders.crawlers import BASE_URL, make_crawler

REPLAY_URL = f"{BASE_URL}/web/20111006123456id_/http://www.ise.gov/blog/a/b"


def _replay_request() -> Request:
    return Request(REPLAY_URL, meta={"pool": "replay"})


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
