"""pipelines/state.py: each library result is stored under its capture's key."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy.utils.misc import build_from_crawler

from ise_archive.extract import extract
from ise_archive.plan.selection import capture_group
from ise_archive.records import Capture, Post, Skip
from pipelines.state import CaptureStatePipeline
from spiders.ise_blog import IseBlogSpider
from tests.spiders.crawlers import make_crawler, open_spider
from tests.wayback.fixtures import DEV_CORPUS

POST = "http://www.ise.gov/blog/ise-bloggers/welcome-ise-blog"
POST_CAPTURE = Capture(timestamp="20140302185900", original=POST)
LISTING_CAPTURE = Capture(
    timestamp="20101103091512", original="http://www.ise.gov:80/blog"
)


def _key(capture: Capture) -> str:
    return f"{capture.timestamp} {capture.original}"


def _item(cid: str, capture: Capture) -> Post | Skip:
    body = (DEV_CORPUS / "captures" / f"{cid}.bin").read_bytes()
    return extract(body, url=capture.original, timestamp=capture.timestamp)


@pytest.fixture
def spider(tmp_path: Path) -> Iterator[IseBlogSpider]:
    spider = open_spider(make_crawler(tmp_path))
    spider.run.state.add_captures([POST_CAPTURE, LISTING_CAPTURE], capture_group)
    yield spider
    spider.run.state.close()


def _pipeline(spider: IseBlogSpider) -> CaptureStatePipeline:
    return build_from_crawler(CaptureStatePipeline, spider.crawler)


def test_a_post_is_saved_as_its_captures_record(spider: IseBlogSpider) -> None:
    post = _item("c0026", POST_CAPTURE)
    assert isinstance(post, Post)

    assert _pipeline(spider).process_item(post) is post

    assert spider.run.state.outcomes_of(POST) == {_key(POST_CAPTURE): "record"}
    assert spider.run.state.alias(1224) == POST
    merged = list(
        spider.run.state.merged_posts(archive_base_url="https://web.archive.org")
    )
    assert [(p.url, p.title, p.body_markdown) for p in merged] == [
        (post.url, post.title, post.body_markdown)
    ]
    assert spider.crawler.stats.get_stats() == {"ise_archive/capture/record": 1}


def test_a_skip_is_saved_with_its_reason(spider: IseBlogSpider) -> None:
    skip = _item("c0003", LISTING_CAPTURE)
    assert isinstance(skip, Skip)

    assert _pipeline(spider).process_item(skip) is skip

    identity = capture_group(LISTING_CAPTURE)
    assert spider.run.state.outcomes_of(identity) == {
        _key(LISTING_CAPTURE): "skip:not-a-post:listing"
    }
    assert spider.crawler.stats.get_stats() == {
        "ise_archive/skip/reason_count/not-a-post:listing": 1
    }


def test_other_items_pass_untouched(spider: IseBlogSpider) -> None:
    item = {"url": POST}

    assert _pipeline(spider).process_item(item) is item
    assert spider.crawler.stats.get_stats() == {}


def test_a_result_without_its_capture_is_an_error(
    spider: IseBlogSpider, caplog: pytest.LogCaptureFixture
) -> None:
    skip = Skip(kind="other", reason="not-a-post:no-article", url=POST)

    assert _pipeline(spider).process_item(skip) is skip

    assert [(name, level) for name, level, _ in caplog.record_tuples] == [
        ("pipelines.state", logging.ERROR)
    ]
    assert spider.run.state.outcomes_of(POST) == {}
