"""pipelines/dataset.py: the dataset and run report are written when the crawl ends."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

import pytest
from scrapy.utils.misc import build_from_crawler

from ise_archive.dataset.writer import render_record_line
from ise_archive.errors import ConfigError
from ise_archive.extract import ExtractOptions, extract
from ise_archive.plan.selection import capture_group
from ise_archive.records import Capture, Post
from pipelines.dataset import DatasetPipeline
from pipelines.state import CaptureStatePipeline
from tests.e2e.crawl import last_report, read_records
from tests.spiders.crawlers import BASE_URL, make_crawler, open_spider
from tests.wayback.fixtures import DEV_CORPUS

POST = "http://www.ise.gov/blog/ise-bloggers/welcome-ise-blog"
GOOD = Capture(timestamp="20140302185900", original=POST)
BROKEN = Capture(timestamp="20160101000000", original=POST)


@pytest.mark.parametrize("share", [-0.1, 1.5])
def test_a_bad_failure_share_is_refused(tmp_path: Path, share: float) -> None:
    with pytest.raises(ConfigError, match="ISE_ARCHIVE_MAX_FAILURE_SHARE"):
        make_crawler(tmp_path, ISE_ARCHIVE_MAX_FAILURE_SHARE=share)


def test_closing_writes_the_records_and_the_report(tmp_path: Path) -> None:
    spider = open_spider(make_crawler(tmp_path))
    spider.run.state.add_captures([GOOD, BROKEN], capture_group)
    body = (DEV_CORPUS / "captures" / "c0026.bin").read_bytes()
    post = extract(
        body,
        url=POST,
        timestamp=GOOD.timestamp,
        options=ExtractOptions(archive_base_url=BASE_URL),
    )
    assert isinstance(post, Post)
    build_from_crawler(CaptureStatePipeline, spider.crawler).process_item(post)
    spider.plan.settle(BROKEN, "failed:truncated-capture")
    pipeline = build_from_crawler(DatasetPipeline, spider.crawler)

    pipeline.close_spider()

    merged = next(spider.run.state.merged_posts(archive_base_url=BASE_URL))
    spider.run.state.close()
    assert read_records(tmp_path) == [json.loads(render_record_line(merged))]
    assert [(c["timestamp"], c["outcome"]) for c in merged.to_json()["captures"]] == [
        (GOOD.timestamp, "record"),
        (BROKEN.timestamp, "failed:truncated-capture"),
    ]
    report = last_report(tmp_path)
    assert (report["posts_added"], report["failed"], report["accounting"]) == (
        1,
        {"truncated-capture": 1},
        {"record": 1, "duplicate": 0, "skip": 0, "failed": 1, "pending": 0},
    )
    assert spider.run.exit_code == report["exit_code"]
    assert spider.run.summary.startswith(f"Run {spider.run.run_id} finished")
    stats = spider.crawler.stats
    assert [
        stats.get_value(f"ise_archive/posts/{n}") for n in ("added", "updated")
    ] == [
        1,
        0,
    ]


def test_an_invalid_record_is_logged_counted_and_left_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spider = open_spider(make_crawler(tmp_path))
    other = Capture(timestamp=GOOD.timestamp, original=POST + "-copy")
    spider.run.state.add_captures([GOOD, other], capture_group)
    body = (DEV_CORPUS / "captures" / "c0026.bin").read_bytes()
    post = extract(
        body,
        url=POST,
        timestamp=GOOD.timestamp,
        options=ExtractOptions(archive_base_url=BASE_URL),
    )
    assert isinstance(post, Post) and post.capture is not None
    bad = replace(
        post,
        url=other.original,
        nid=None,
        content_sha256="not-a-hash",
        capture=replace(post.capture, original=other.original),
    )
    store = build_from_crawler(CaptureStatePipeline, spider.crawler)
    store.process_item(post)
    store.process_item(bad)
    pipeline = build_from_crawler(DatasetPipeline, spider.crawler)

    pipeline.close_spider()

    merged = list(spider.run.state.merged_posts(archive_base_url=BASE_URL))
    spider.run.state.close()
    assert sorted(p.url for p in merged) == sorted([POST, bad.url])
    good = next(p for p in merged if p.url == POST)
    assert read_records(tmp_path) == [json.loads(render_record_line(good))]
    assert (
        "pipelines.dataset",
        logging.ERROR,
        f"Record {bad.url} left out: at $.content_sha256: 'not-a-hash' does not "
        "match '^[0-9a-f]{64}$'",
    ) in caplog.record_tuples
    stats = spider.crawler.stats
    assert [
        stats.get_value(f"ise_archive/posts/{n}")
        for n in ("added", "updated", "unchanged", "invalid")
    ] == [1, 0, 0, 1]
    report = last_report(tmp_path)
    assert (report["status"], report["exit_code"], report["posts_invalid"]) == (
        "failed",
        70,
        1,
    )
    assert spider.run.exit_code == 70


def test_a_dataset_that_cannot_be_written_fails_the_run_with_exit_74(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Scrapy would log "Scraper close failure" and exit 0: the pipeline may not
    let the error escape, and the run may not end as a success."""
    spider = open_spider(make_crawler(tmp_path))
    spider.run.state.add_captures([GOOD], capture_group)
    spider.plan.settle(GOOD, "failed:http-404")
    (tmp_path / "records.jsonl").mkdir()  # where the file must go: unwritable
    pipeline = build_from_crawler(DatasetPipeline, spider.crawler)

    with caplog.at_level(logging.ERROR, logger="pipelines.dataset"):
        pipeline.close_spider()

    spider.run.state.close()
    report = last_report(tmp_path)
    assert (report["status"], report["exit_code"]) == ("failed", 74)
    assert report["reasons"][0].startswith("could not write the output: dataset in")
    assert spider.run.exit_code == 74
    assert caplog.messages[0].startswith("Could not write the dataset: ")
