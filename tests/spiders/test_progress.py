"""spiders/progress.py: a readable progress line while crawling."""

from __future__ import annotations

import logging
from pathlib import Path
from time import monotonic

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import build_from_crawler

from ise_archive.errors import ConfigError
from ise_archive.plan.selection import capture_group
from ise_archive.records import Capture
from spiders.progress import ProgressLog, log_milestone
from tests.spiders.crawlers import make_crawler, open_spider, start_engine
from tests.spiders.test_ise_blog import GOOD

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
        spider.run.state.add_captures(posts, capture_group)
        progress = build_from_crawler(ProgressLog, crawler)
        progress.started = monotonic() - 60
        crawler.stats.set_value("ise_archive/fetch/requests", 3)

        with caplog.at_level(logging.INFO, logger="spiders.progress"):
            progress.log()
    finally:
        spider.run.state.close()

    assert "| pending 3 | elapsed 1m00s | ETA 1m00s" in caplog.messages[0]


def test_no_interval_disables_it(tmp_path: Path) -> None:
    """0 is the documented "off"; a negative interval is an error, not "off"."""
    crawler = make_crawler(tmp_path, ISE_ARCHIVE_PROGRESS_INTERVAL=0)
    with pytest.raises(NotConfigured):
        build_from_crawler(ProgressLog, crawler)
    with pytest.raises(ConfigError, match="ISE_ARCHIVE_PROGRESS_INTERVAL"):
        make_crawler(tmp_path, ISE_ARCHIVE_PROGRESS_INTERVAL=-1)


def test_each_phase_starts_with_a_milestone_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spider = open_spider(make_crawler(tmp_path))
    listing = Capture(timestamp="20111006123456", original="http://www.ise.gov/blog")
    spider.run.state.add_captures([GOOD, listing], capture_group)
    spider.run.state.set_outcome(f"{listing.timestamp} {listing.original}", "skip:x")
    spider.crawler.stats.set_value("ise_archive/cdx/captures", 2)
    spider.crawler.stats.set_value("ise_archive/cdx/new", 2)

    with caplog.at_level(logging.INFO, logger="spiders.progress"):
        log_milestone(spider.crawler, "posts", spider.plan.post_groups())

    assert caplog.messages == [
        "Phase: posts. So far: 2 captures listed (2 new), 1 post URLs identified, "
        "0 fetched, 0 extracted, 0 duplicates, 1 skipped, 0 failed"
    ]
