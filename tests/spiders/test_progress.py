"""spiders/progress.py: a readable progress line while crawling."""

from __future__ import annotations

import logging
from pathlib import Path
from time import monotonic

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import build_from_crawler

from ise_archive.plan.selection import capture_identity
from ise_archive.records import Capture
from spiders.progress import ProgressLog
from tests.spiders.crawlers import make_crawler, open_spider, start_engine

BLOG = "http://www.ise.gov/blog/ise-bloggers"


def test_a_progress_line_reports_the_counts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    crawler = make_crawler(tmp_path, ISE_ARCHIVE_PROGRESS_INTERVAL=60)
    start_engine(crawler)
    progress = build_from_crawler(ProgressLog, crawler)
    stats = crawler.stats
    stats.set_value("ise_archive/cdx/captures", 69)
    stats.set_value("ise_archive/fetch/requests", 30)
    stats.set_value("ise_archive/capture/record", 25)
    progress.started = monotonic() - 120.2

    with caplog.at_level(logging.INFO, logger="spiders.progress"):
        progress.log()

    assert caplog.record_tuples == [
        (
            "spiders.progress",
            logging.INFO,
            "discovered 69 | fetched 30 (15.0/min) | extracted 25 | pending 0 | "
            "elapsed 2m00s | ETA 0s",
        )
    ]


def test_pending_is_the_open_work_in_the_state_not_the_scheduled_batch(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    crawler = make_crawler(tmp_path, ISE_ARCHIVE_PROGRESS_INTERVAL=60)
    spider = open_spider(crawler)
    try:
        start_engine(crawler)
        posts = [
            Capture(timestamp="20110101000000", original=f"{BLOG}/post-{n}")
            for n in range(3)
        ]
        spider.state.add_captures(posts, capture_identity)
        progress = build_from_crawler(ProgressLog, crawler)
        progress.started = monotonic() - 60
        crawler.stats.set_value("ise_archive/fetch/requests", 3)

        with caplog.at_level(logging.INFO, logger="spiders.progress"):
            progress.log()
    finally:
        spider.state.close()

    assert "| pending 3 | elapsed 1m00s | ETA 1m00s" in caplog.messages[0]


@pytest.mark.parametrize("interval", [0, -1])
def test_no_interval_disables_it(tmp_path: Path, interval: float) -> None:
    crawler = make_crawler(tmp_path, ISE_ARCHIVE_PROGRESS_INTERVAL=interval)
    with pytest.raises(NotConfigured):
        build_from_crawler(ProgressLog, crawler)
