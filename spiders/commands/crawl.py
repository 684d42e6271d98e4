"""``scrapy crawl`` that exits with the run's status (see docs/operations.md).

Scrapy's own ``crawl`` exits 0 whenever the spider ran; a scheduled archival run must
tell cron when it could not reach the archive (2), lost too many captures (1) or
could not start at all (3: bad setting, unusable state database).
The one-paragraph summary goes to stdout unless the run changed nothing, so a cron
job stays quiet on quiet nights.
"""

from __future__ import annotations

import argparse
import logging
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            super().run(args, opts)
            return
        assert self.crawler_process is not None
        try:
            # the spider's update_settings validates the rate settings here
            crawler = self._create_crawler(args[0])
        except NotConfigured as exc:
            logger.error("Cannot start the crawl: %(exc)s", {"exc": exc})
            self.exitcode = 3
            return
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 3  # bad configuration or unusable state: see the log
            return
        spider = crawler.spider
        self.exitcode = getattr(spider, "exit_code", 0)
        summary = getattr(spider, "summary", "")
        changed = crawler.stats.get_value("ise_archive/run_changed", True)
        if summary and (changed or self.exitcode):
            sys.stdout.write(summary + "\n")
