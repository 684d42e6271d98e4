"""spiders/progress.py: a readable progress line while crawling."""

from __future__ import annotations

import logging
from pathlib import Path
from time import monotonic

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import build_from_crawler

from spiders.progress import ProgressLog
from tests.spiders.crawlers import make_crawler, start_engine


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


@pytest.mark.parametrize("interval", [0, -1])
def test_no_interval_disables_it(tmp_path: Path, interval: float) -> None:
    crawler = make_crawler(tmp_path, ISE_ARCHIVE_PROGRESS_INTERVAL=interval)
    with pytest.raises(NotConfigured):
        build_from_crawler(ProgressLog, crawler)
