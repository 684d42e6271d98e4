"""spiders/discovery.py: the CDX listings' callbacks, with real Scrapy objects."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import Response

from ise_archive.archive.cdx import CDX_FIELDS, CDXQuery, exact_query
from spiders.ise_blog import IseBlogSpider
from tests.spiders.crawlers import make_crawler, open_spider

POST = "http://www.ise.gov/blog/ise-bloggers/welcome-ise-blog"
KEY = "gov%2Cise%29%2Fblog+20140302185900%21"
# sorts before KEY: the server went back to the page's first row
BACK = "gov%2Cise%29%2Fblog+20100617033511"


@pytest.fixture
def spider(tmp_path: Path) -> Iterator[IseBlogSpider]:
    spider = open_spider(make_crawler(tmp_path))
    yield spider
    spider.run.state.close()


def _cdx_rows(*captures: tuple[str, str]) -> list[list[str]]:
    return [
        ["gov,ise)/x", ts, url, "text/html", "200", f"DIGEST{ts}", "1000"]
        for ts, url in captures
    ]


def _answer(request: Request, body: bytes, status: int = 200) -> Response:
    return Response(request.url, status=status, body=body, request=request)


def _page(key: str | None, *rows: tuple[str, str]) -> bytes:
    tail = [[], [key]] if key else []
    return json.dumps([list(CDX_FIELDS), *_cdx_rows(*rows), *tail]).encode()


def _follow(spider: IseBlogSpider, request: Request, body: bytes) -> list[Request]:
    query: CDXQuery = request.cb_kwargs["query"]
    return list(spider.parse_cdx(_answer(request, body), query))


def test_parse_cdx_stores_captures_and_asks_for_the_next_page(
    spider: IseBlogSpider,
) -> None:
    query = exact_query(POST)
    request = spider.cdx_request(query)
    body = _page(
        KEY,
        ("20100617033511", POST),
        ("20140302185900", POST.replace("http://www.", "http://")),
        ("20120101000000", "http://www.ise.gov/category/free-tags/pm-ise"),
    )

    follow = _follow(spider, request, body)

    assert [r.url for r in follow] == [spider.cdx_request(query, (KEY,)).url]
    assert (follow[0].callback, follow[0].meta["pool"]) == (spider.parse_cdx, "cdx")
    assert follow[0].meta["cdx_sent"] == (KEY,)
    assert [c.timestamp for c in spider.run.state.captures_of(POST)] == [
        "20100617033511",
        "20140302185900",
    ]
    stats = spider.crawler.stats
    assert (
        stats.get_value("ise_archive/cdx/captures"),
        stats.get_value("ise_archive/cdx/new"),
        stats.get_value("ise_archive/skip/reason_count/not-a-post:tag"),
    ) == (3, 3, 1)


def test_a_blank_page_with_a_resume_key_leads_on(spider: IseBlogSpider) -> None:
    """Filters can empty a whole page on the live archive; its key still leads on."""
    request = spider.cdx_request(exact_query(POST))

    follow = _follow(spider, request, _page("KEY1"))

    assert [r.meta["cdx_sent"] for r in follow] == [("KEY1",)]


def test_a_key_that_goes_backwards_is_followed_while_it_is_new(
    spider: IseBlogSpider,
) -> None:
    query = exact_query(POST)
    second = spider.cdx_request(query, (KEY,))

    follow = _follow(spider, second, _page(BACK, ("20100617033511", POST)))

    assert [r.url for r in follow] == [spider.cdx_request(query, (KEY, BACK)).url]
    assert spider.crawler.stats.get_value("ise_archive/cdx/failed/resume-loop") is None


def test_a_repeated_key_asks_the_page_once_more_then_fails_the_listing(
    spider: IseBlogSpider, caplog: pytest.LogCaptureFixture
) -> None:
    """The same key as the one sent: the server would answer this page for ever.
    Asked once more; repeated again, the listing failed (not ended)."""
    query = exact_query(POST)
    request = spider.cdx_request(query, ("KEY1", KEY))
    repeated = _page(KEY, ("20100617033511", POST))

    [again] = _follow(spider, request, repeated)
    after = _follow(spider, again, repeated)

    assert (again.url, again.meta["cdx_again"]) == (request.url, 1)
    assert after == []
    stats = spider.crawler.stats
    assert stats.get_value("ise_archive/cdx/failed/resume-loop") == 1
    assert stats.get_value("ise_archive/cdx/asked_again") == 1
    assert (0, query) not in spider.coverage.done
    assert caplog.record_tuples[-1] == (
        "spiders.discovery",
        40,
        "CDX query failed (resume-loop: its resume key repeats): url="
        + POST
        + " matchType=exact limit=5000 resumeKey=gov,ise)/blog 20140302185900! "
        "(127.0.0.1:8765)",
    )


def test_a_key_sent_earlier_in_the_chain_is_a_repeat_too(
    spider: IseBlogSpider,
) -> None:
    request = spider.cdx_request(exact_query(POST), ("KEY1", KEY))

    [again] = _follow(spider, request, _page("KEY1"))

    assert again.meta["cdx_sent"] == ("KEY1", KEY)
    assert again.meta["cdx_again"] == 1


def test_an_empty_answer_to_a_resume_request_is_asked_again_then_failed(
    spider: IseBlogSpider,
) -> None:
    """The page before promised more: an empty body is a bad answer, retried as
    the others are (RETRY_TIMES), then the listing failed."""
    request = spider.cdx_request(exact_query(POST), (KEY,))
    tries = 0
    while follow := _follow(spider, request, b""):
        [request] = follow
        tries += 1

    assert tries == spider.crawler.settings.getint("RETRY_TIMES")
    stats = spider.crawler.stats
    assert stats.get_value("ise_archive/cdx/failed/bad-answer") == 1
    assert stats.get_value("ise_archive/cdx/asked_again") == tries


def test_a_bad_answer_asked_again_goes_on_when_it_comes_right(
    spider: IseBlogSpider,
) -> None:
    query = exact_query(POST)
    request = spider.cdx_request(query, (KEY,))

    [again] = _follow(spider, request, b"<html>down for maintenance</html>")
    follow = _follow(spider, again, _page(None, ("20100617033511", POST)))

    assert (again.url, follow) == (request.url, [])
    assert spider.crawler.stats.get_value("ise_archive/cdx/failed/bad-answer") is None
    assert (0, request.cb_kwargs["query"]) in spider.coverage.done


def test_an_empty_first_page_is_an_empty_listing(spider: IseBlogSpider) -> None:
    request = spider.cdx_request(exact_query(POST))

    assert _follow(spider, request, b"") == []
    assert spider.crawler.stats.get_value("ise_archive/cdx/failed/bad-answer") is None
    assert (0, request.cb_kwargs["query"]) in spider.coverage.done


def test_the_last_cdx_page_asks_for_nothing_more(spider: IseBlogSpider) -> None:
    request = spider.cdx_request(exact_query(POST))

    assert _follow(spider, request, _page(None, ("20100617033511", POST))) == []
    assert len(spider.run.state.captures_of(POST)) == 1


def test_a_failed_cdx_query_is_counted(
    spider: IseBlogSpider, caplog: pytest.LogCaptureFixture
) -> None:
    query = exact_query(POST)
    request = spider.cdx_request(query)

    follow = list(spider.parse_cdx(_answer(request, b"", status=504), query))

    assert follow == []
    assert spider.crawler.stats.get_value("ise_archive/cdx/failed/http-504") == 1
    assert caplog.record_tuples == [
        (
            "spiders.discovery",
            40,
            f"CDX query failed (http-504): url={POST} matchType=exact limit=5000 "
            "(127.0.0.1:8765)",
        )
    ]
