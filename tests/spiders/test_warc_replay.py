"""spiders.warc_replay: a rebuild's requests answered from the stored WARC files.

A CDX answer is found again by the question it answers (its parameters in any
order or encoding), and a question the WARC files do not hold fails naming it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import Response
from scrapy.utils.misc import build_from_crawler

from ise_archive.errors import NotInWarc
from ise_archive.extract import ExtractOptions
from ise_archive.plan.work import _TRANSFER_HEADERS
from ise_archive.warc.readahead import index_pages
from ise_archive.warc.replay import page_extraction_key
from ise_archive.warc.writer import WarcWriter
from spiders.warc_replay import WarcReplayHandler
from tests.spiders.crawlers import make_crawler

CDX = "http://a.test/cdx/search/cdx"
#: As the crawl asked it (cdx_query_url's order and encoding)...
ASKED = (
    f"{CDX}?url=ise.gov/blog&matchType=prefix&from=2011&to=2011"
    "&filter=!statuscode:5..&filter=!mimetype:x&output=json&limit=5000"
    "&showResumeKey=true&resumeKey=gov%2Cise%29%2Fblog+20110114071109"
)
#: ... and as another version asks the same question.
SAME = (
    f"{CDX}?matchType=prefix&url=ise.gov%2Fblog&limit=5000&from=2011&to=2011"
    "&filter=%21mimetype%3Ax&filter=%21statuscode%3A5..&output=json"
    "&showResumeKey=true&resumeKey=gov%2Cise%29%2Fblog%2020110114071109"
)
ANSWER = b'[["urlkey","timestamp"],["gov,ise)/blog/a","20110114071109"]]'


def _handler(tmp_path: Path) -> WarcReplayHandler:
    warc_dir = tmp_path / "warc"
    with WarcWriter(warc_dir, run_id="20261203T150100.000Z", software="t/1") as w:
        w.write_answer(
            url=ASKED,
            status=200,
            headers=[("Content-Type", "application/json")],
            payload=ANSWER,
            role="cdx",
            fetched=datetime(2026, 12, 3, 15, 1, tzinfo=UTC),
        )
    crawler = make_crawler(tmp_path / "out", ISE_ARCHIVE_REPLAY_WARC_DIR=str(warc_dir))
    return build_from_crawler(WarcReplayHandler, crawler)


def _download(handler: WarcReplayHandler, url: str) -> Response:
    return asyncio.run(handler.download_request(Request(url)))


def test_a_cdx_answer_is_found_by_its_question_in_any_order_or_encoding(
    tmp_path: Path,
) -> None:
    handler = _handler(tmp_path)

    for url in (ASKED, SAME):
        response = _download(handler, url)
        assert (response.status, response.body, response.url) == (200, ANSWER, url)


def test_a_question_the_warc_files_do_not_hold_fails_naming_it(
    tmp_path: Path,
) -> None:
    handler = _handler(tmp_path)
    other_year = ASKED.replace("to=2011", "to=2012")

    with pytest.raises(NotInWarc) as failed:
        _download(handler, other_year)

    assert str(failed.value) == (
        "the WARC files hold no answer to the CDX query url=ise.gov/blog "
        "matchType=prefix from=2011 to=2012 filter=!statuscode:5.. "
        "filter=!mimetype:x limit=5000 resumeKey=gov,ise)/blog 20110114071109 "
        "(a.test)"
    )
    assert handler.crawler.stats.get_value("ise_archive/rebuild/cdx_not_in_warc") == 1


def test_a_page_read_ahead_is_found_under_the_key_the_crawl_computes(
    tmp_path: Path,
) -> None:
    """The pool's key for a stored page (ise_archive.warc.readahead) is the one the
    crawl computes from this handler's answer (IseBlogSpider.parse_capture ->
    WorkPlan.read_page), or the rebuild would read every page twice."""
    warc_dir = tmp_path / "warc"
    original = "http://www.ise.gov/blog/a-post"
    source = f"http://a.test/web/20110114071109id_/{original}"
    with WarcWriter(warc_dir, run_id="20261203T150100.000Z", software="t/1") as w:
        w.write_capture(
            original=original,
            timestamp="20110114071109",
            status=200,
            headers=[
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Encoding", "gzip"),  # stored decoded: dropped
                ("Set-Cookie", "a=1"),
                ("Set-Cookie", "b=2"),  # repeated: joined as Scrapy joins them
                ("X-Archive-Orig-Server", "Apache"),
            ],
            payload=b"<html><title>A post</title><p>Text</p></html>",
            source_uri=source,
        )
    options = ExtractOptions(archive_base_url="http://a.test/web")
    _, pages = index_pages(warc_dir, options)
    crawler = make_crawler(tmp_path / "out", ISE_ARCHIVE_REPLAY_WARC_DIR=str(warc_dir))
    response = _download(build_from_crawler(WarcReplayHandler, crawler), source)

    # as parse_capture builds the answer's headers, and read_page keys them
    headers = {k.lower(): v for k, v in response.headers.to_unicode_dict().items()}
    kept = {k: v for k, v in headers.items() if k not in _TRANSFER_HEADERS}
    key = page_extraction_key(
        response.body,
        original=original,
        timestamp="20110114071109",
        headers=kept,
        options=options,
    )
    assert [k for k, _ in pages] == [key]
