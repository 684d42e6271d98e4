"""spiders/ise_blog.py: settings, arguments and callbacks, with real Scrapy objects."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import HtmlResponse, Response
from twisted.python.failure import Failure

from ise_archive import settings
from ise_archive.errors import ConfigError
from ise_archive.extract import ExtractOptions, extract
from ise_archive.records import Capture, Post
from spiders.failures import SetAside
from spiders.ise_blog import IseBlogSpider
from tests.spiders.crawlers import BASE_URL, make_crawler, open_spider
from tests.wayback.fixtures import DEV_CORPUS

POST = "http://www.ise.gov/blog/ise-bloggers/welcome-ise-blog"
GOOD = Capture(timestamp="20140302185900", original=POST)
MEMENTO = {"Memento-Datetime": "Sun, 02 Mar 2014 18:59:00 GMT"}


def _payload(cid: str) -> bytes:
    return (DEV_CORPUS / "captures" / f"{cid}.bin").read_bytes()


@pytest.fixture
def spider(tmp_path: Path) -> IseBlogSpider:
    spider = open_spider(make_crawler(tmp_path))
    yield spider
    spider.run.state.close()


def _reply(
    spider: IseBlogSpider,
    capture: Capture,
    *,
    status: int = 200,
    body: bytes = b"",
    headers: dict[str, Any] | None = None,
    hops: int = 0,
) -> Response:
    request = spider.capture_request(capture, hops=hops)
    return HtmlResponse(
        request.url,
        status=status,
        body=body,
        headers={"Content-Type": "text/html; charset=utf-8", **(headers or {})},
        request=request,
    )


def _outcome(spider: IseBlogSpider, identity: str, capture: Capture) -> str | None:
    return spider.run.state.outcomes_of(identity).get(
        f"{capture.timestamp} {capture.original}"
    )


# --- settings and arguments ---------------------------------------------------------


def test_the_pools_become_download_slots(tmp_path: Path) -> None:
    crawler = make_crawler(
        tmp_path,
        ISE_ARCHIVE_CDX_RPM=30,
        ISE_ARCHIVE_REPLAY_RPS=4,
        ISE_ARCHIVE_REPLAY_CONCURRENCY=2,
    )
    assert crawler.settings.getdict("DOWNLOAD_SLOTS") == {
        "cdx": {"concurrency": 1, "delay": 2.0, "jitter": 0},
        "replay": {"concurrency": 2, "delay": 0.25, "jitter": 0},
    }


@pytest.mark.parametrize("value", [0, -5, "fast", "nan", None])
@pytest.mark.parametrize("name", ["ISE_ARCHIVE_CDX_RPM", "ISE_ARCHIVE_REPLAY_RPS"])
def test_bad_rates_are_refused(tmp_path: Path, name: str, value: object) -> None:
    with pytest.raises(ConfigError, match=f"^{name} \\({value!r}\\) must be"):
        make_crawler(tmp_path, **{name: value})


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"versions": "bogus"}, "-a versions='bogus': use 'latest' or 'all'"),
        ({"from": "20x1"}, "-a from='20x1': use 1-14 digits of a real capture time"),
        ({"to": "201301011200000"}, "-a to='201301011200000': use 1-14 digits"),
        ({"version": "all"}, "-a version: unknown argument (did you mean -a versions"),
        ({"from": "2015", "to": "2011"}, "-a from=2015 is after -a to=2011"),
        ({"prefix": "http://example.com/"}, "-a prefix='http://example.com/': must"),
    ],
)
def test_bad_arguments_are_refused_clearly(
    tmp_path: Path, arguments: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        open_spider(make_crawler(tmp_path), **arguments)
    assert str(refused.value).startswith(message)


def test_arguments_make_the_policy(tmp_path: Path) -> None:
    spider = open_spider(
        make_crawler(tmp_path, ISE_ARCHIVE_MAX_ATTEMPTS=5),
        versions="all",
        to="2013",
        prefix="https://ise.gov/blog/Kshemendra-Paul",
        **{"from": "2011"},
    )
    spider.run.state.close()
    assert (
        spider.plan.policy.versions,
        spider.plan.policy.from_ts,
        spider.plan.policy.to_ts,
        spider.plan.policy.url_prefix,
        spider.plan.policy.max_attempts,
    ) == ("all", "2011", "2013", "https://ise.gov/blog/Kshemendra-Paul", 5)


def test_a_post_gets_several_attempts_by_default(spider: IseBlogSpider) -> None:
    assert spider.plan.policy.max_attempts == settings.ISE_ARCHIVE_MAX_ATTEMPTS > 3


@pytest.mark.parametrize(
    ("name", "value"),
    [("ISE_ARCHIVE_MAX_ATTEMPTS", 0), ("WAYBACK_BASE_URL", "ftp://archive.org")],
)
def test_bad_settings_are_refused(tmp_path: Path, name: str, value: object) -> None:
    with pytest.raises(ConfigError, match=name):
        make_crawler(tmp_path, **{name: value})


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("ISE_ARCHIVE_CDX_COLLAPSE", "digest;x", "collapse 'digest;x' is not field"),
        ("ISE_ARCHIVE_CDX_FILTERS", ["statuscode"], "filter 'statuscode' is not"),
        ("ISE_ARCHIVE_CDX_FILTERS", ["colour:red"], "filter 'colour:red' is not"),
        ("ISE_ARCHIVE_CDX_PAGE_SIZE", 0, "(0) must be a whole number >= 1"),
        ("ISE_ARCHIVE_FROM_YEAR", 2030, "(2030) is after ISE_ARCHIVE_TO_YEAR (2017)"),
    ],
)
def test_bad_discovery_settings_are_refused_before_any_request(
    tmp_path: Path, name: str, value: object, says: str
) -> None:
    with pytest.raises(ConfigError, match="ISE_ARCHIVE_") as refused:
        make_crawler(tmp_path, **{name: value, "ISE_ARCHIVE_TO_YEAR": 2017})
    assert says in str(refused.value)


def test_cdx_filters_and_collapse_come_from_the_settings(tmp_path: Path) -> None:
    spider = open_spider(
        make_crawler(
            tmp_path,
            ISE_ARCHIVE_CDX_FILTERS=["statuscode:200", "!mimetype:image/.*"],
            ISE_ARCHIVE_CDX_COLLAPSE="digest",
        )
    )
    try:
        url = spider.cdx_request(spider.run.config.queries[0]).url
        assert (
            "&filter=statuscode:200&filter=!mimetype:image/.*&collapse=digest&" in url
        )
        assert spider.run.parameters["cdx_collapse"] == "digest"
    finally:
        spider.run.state.close()


# --- fetching a capture -------------------------------------------------------------


def test_parse_capture_yields_the_post(spider: IseBlogSpider) -> None:
    body = _payload("c0026")
    response = _reply(spider, GOOD, body=body, headers=MEMENTO)

    items = list(spider.parse_capture(response, GOOD))

    options = ExtractOptions(archive_base_url=BASE_URL)
    expected = extract(body, url=POST, timestamp=GOOD.timestamp, options=options)
    assert isinstance(expected, Post)
    assert items == [expected]
    assert expected.title == "Welcome to the ISE Blog"
    assert spider.crawler.stats.get_value("ise_archive/fetch/requests") == 1


def test_a_stale_content_length_is_not_read_as_truncation(
    spider: IseBlogSpider,
) -> None:
    """After decompression Content-Length is the gzipped size; Scrapy checked it."""
    body = _payload("c0026")
    headers = {**MEMENTO, "Content-Length": str(len(body) + 500)}

    response = _reply(spider, GOOD, body=body, headers=headers)

    items = list(spider.parse_capture(response, GOOD))

    assert [type(item) for item in items] == [Post]


def test_binary_garbage_fails_with_a_readable_reason(spider: IseBlogSpider) -> None:
    spider.run.state.add_captures([GOOD], lambda c: POST)
    garbage = random.Random(6).randbytes(5000)

    items = list(
        spider.parse_capture(_reply(spider, GOOD, body=garbage, headers=MEMENTO), GOOD)
    )

    assert items == []
    assert _outcome(spider, POST, GOOD) == "failed:not-html"


def test_a_truncated_page_is_fetched_again_with_a_fresh_request(
    spider: IseBlogSpider,
) -> None:
    body = _payload("c0026")
    response = _reply(spider, GOOD, body=body[: len(body) // 2], headers=MEMENTO)
    response.meta["download_latency"] = 0.1  # what the downloader adds

    items = list(spider.parse_capture(response, GOOD))

    assert [(r.url, r.meta["truncated_tries"]) for r in items] == [(response.url, 1)]
    assert "download_latency" not in items[0].meta
    assert spider.crawler.stats.get_value("ise_archive/fetch/truncated") == 1


@pytest.mark.parametrize("status", [404, 200])
def test_the_archives_not_archived_page_is_fetched_again_then_a_failure(
    spider: IseBlogSpider, status: int
) -> None:
    """The index listed the capture: "not archived" is asked once more (a storage
    node may be down), and a second one is the capture's failure (which later runs
    recheck, ISE_ARCHIVE_RECHECK_RUNS)."""
    spider.run.state.add_captures([GOOD], lambda c: POST)
    body = b"<html><body><p>Wayback Machine doesn't have that page archived.</p>"
    first = _reply(spider, GOOD, status=status, body=body)

    [retry] = spider.parse_capture(first, GOOD)

    assert (retry.url, retry.meta["not_archived_tries"]) == (first.url, 1)
    assert _outcome(spider, POST, GOOD) is None
    assert spider.crawler.stats.get_value("ise_archive/fetch/not_archived") == 1
    second = _reply(spider, GOOD, status=status, body=body)
    second.meta["not_archived_tries"] = 1
    assert list(spider.parse_capture(second, GOOD)) == []
    assert _outcome(spider, POST, GOOD) == "failed:archive-error:not-archived"


def test_an_archived_redirect_teaches_the_alias(spider: IseBlogSpider) -> None:
    node = Capture(timestamp="20130510031507", original="http://www.ise.gov/node/1224")
    spider.run.state.add_captures([node], lambda c: "node:1224")
    location = f"{BASE_URL}/web/20130510031507id_/{POST}"
    response = _reply(
        spider, node, status=301, headers={**MEMENTO, "Location": location}
    )

    items = list(spider.parse_capture(response, node))

    assert spider.run.state.alias(1224) == POST
    assert _outcome(spider, "node:1224", node) == "skip:redirect-to-post"
    # the post's captures are not known yet: look them up exactly
    assert [(r.url, r.callback) for r in items] == [
        (spider.cdx_request(spider.run.config.lookup(POST)).url, spider.parse_cdx)
    ]


def test_the_archives_nearest_capture_redirect_is_followed_once(
    spider: IseBlogSpider,
) -> None:
    asked = Capture(timestamp="20140302000000", original=POST)
    spider.run.state.add_captures([asked], lambda c: POST)
    location = f"/web/{GOOD.timestamp}id_/{POST}"
    headers = {"Location": location, "X-Archive-Redirect-Reason": "found capture"}

    first = list(
        spider.parse_capture(_reply(spider, asked, status=302, headers=headers), asked)
    )
    again = list(
        spider.parse_capture(_reply(spider, asked, status=302, headers=headers), asked)
    )

    assert [(r.url, r.meta["hops"], r.cb_kwargs) for r in first] == [
        (f"{BASE_URL}/web/{GOOD.timestamp}id_/{POST}", 1, {"capture": GOOD})
    ]
    assert again == []  # the nearest capture is already being fetched
    assert _outcome(spider, POST, asked) == "duplicate"
    assert _outcome(spider, POST, GOOD) == "fetching"


def test_a_redirect_loop_inside_the_archive_ends(spider: IseBlogSpider) -> None:
    asked = Capture(timestamp="20140302000000", original=POST)
    spider.run.state.add_captures([asked], lambda c: POST)
    headers = {"Location": f"/web/20140303000000id_/{POST}"}

    items = list(
        spider.parse_capture(
            _reply(spider, asked, status=302, headers=headers, hops=3), asked
        )
    )

    assert items == []
    assert _outcome(spider, POST, asked) == "failed:redirect-loop"


def test_a_redirect_without_location_fails(spider: IseBlogSpider) -> None:
    spider.run.state.add_captures([GOOD], lambda c: POST)

    items = list(spider.parse_capture(_reply(spider, GOOD, status=302), GOOD))

    assert items == []
    assert _outcome(spider, POST, GOOD) == "failed:redirect-without-location"


def test_capture_requests_use_the_replay_pool_raw(spider: IseBlogSpider) -> None:
    request = spider.capture_request(GOOD)
    assert isinstance(request, Request)
    assert (request.url, request.meta["pool"], request.meta["dont_redirect"]) == (
        f"{BASE_URL}/web/{GOOD.timestamp}id_/{POST}",
        "replay",
        True,
    )


def test_capture_downloads_stop_at_the_page_size_limit(tmp_path: Path) -> None:
    spider = open_spider(make_crawler(tmp_path, ISE_ARCHIVE_MAX_PAGE_BYTES=1234))
    try:
        assert spider.capture_request(GOOD).meta["download_maxsize"] == 1234
    finally:
        spider.run.state.close()


@pytest.mark.parametrize(
    "error",
    [
        DownloadCancelledError("Cancelling download of ...: expected response size"),
        IgnoreRequest("Ignored response ... larger than the download max size"),
    ],
)
def test_a_download_stopped_at_the_limit_is_a_page_too_large_failure(
    spider: IseBlogSpider, error: Exception
) -> None:
    spider.run.state.add_captures([GOOD], lambda c: POST)
    failure = Failure(error)
    failure.request = spider.capture_request(GOOD)

    spider.capture_failed(failure)

    assert _outcome(spider, POST, GOOD) == "failed:page-too-large"


def test_a_capture_whose_archive_is_set_aside_is_no_failure(tmp_path: Path) -> None:
    """ISE_ARCHIVE_MORE_ARCHIVES: a capture whose archive was set aside for the run
    (spiders/outages.py) goes to the next archive holding it, else stays pending
    for the next run; neither is an outcome of the capture."""
    eot = "pywb:http://127.0.0.1:9/eot2016"
    loc = "pywb:http://127.0.0.1:9/all"
    spider = open_spider(
        make_crawler(tmp_path, ISE_ARCHIVE_MORE_ARCHIVES=f"{eot},{loc}")
    )
    state = spider.run.state
    try:
        held = Capture(timestamp="20140302185900", original=POST, archive=eot)
        alone = Capture(timestamp="20150302185900", original=POST, archive=loc)
        also = dataclasses.replace(held, archive=loc)
        state.add_captures([held], lambda c: POST, rank=1)
        state.add_captures([also, alone], lambda c: POST, rank=2)
        for capture in (held, alone):
            state.set_outcome(f"{capture.timestamp} {POST}", "fetching")
            failure = Failure(SetAside("http://127.0.0.1:9: connection refused"))
            failure.request = spider.capture_request(capture)
            spider.capture_failed(failure)

        assert state.outcomes_of(POST) == {f"{alone.timestamp} {POST}": "fetching"}
        assert [c.archive for c in state.captures_of(POST)] == [loc, loc]
        stats = spider.crawler.stats.get_stats()
        assert not [k for k in stats if k.startswith("ise_archive/failed/")]
    finally:
        state.close()
