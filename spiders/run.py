"""The crawl run: one component the spider, pipelines and extensions share.

It holds what belongs to the run rather than to any one component: the checked
settings, the state database, the run's id and start time, whether the archive
blocked us, and the exit code and summary the run ends with. Scrapy builds it as an
extension (after the spider, before the engine); the others reach it with
:func:`crawl_run` once the crawl is open. It closes the state database last, on
``spider_closed``, after the pipelines have written the dataset.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from ise_archive.config import CrawlConfig
from ise_archive.exit_codes import ExitCode
from ise_archive.runs import new_run_id
from ise_archive.store.state import State
from spiders.config import crawl_config

logger = logging.getLogger(__name__)


class CrawlRun:
    def __init__(self, crawler: Crawler, config: CrawlConfig, state: State) -> None:
        self.crawler = crawler
        self.config = config
        self.state = state
        self.started = datetime.now(UTC)
        # also the report's file name, runs/<run id>.json
        self.run_id = new_run_id(self.started)
        self.parameters: dict[str, Any] = {}
        self.blocked = False
        self.exit_code = ExitCode.OK
        self.summary = ""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRun:
        config = crawl_config(crawler.settings)
        run = cls(crawler, config, State.open(config.state_path))
        crawler.signals.connect(run.spider_closed, signal=signals.spider_closed)
        return run

    def begin(self, parameters: dict[str, Any]) -> None:
        """Record the run in the state; captures left in flight by a killed run are
        opened again."""
        self.parameters = parameters
        self.state.begin_run(self.run_id, parameters=parameters)
        reset = self.state.reset_inflight(recheck_runs=self.config.recheck_runs)
        if reset:
            logger.info(
                "Resuming: %(n)d unfinished captures will be retried", {"n": reset}
            )

    def count_outcome(self, outcome: str) -> None:
        """Count a capture's outcome under the stats keys the run report reads."""
        stats = self.crawler.stats
        kind, _, reason = outcome.partition(":")
        if kind == "skip":
            stats.inc_value(f"ise_archive/skip/reason_count/{reason}")
        elif kind == "failed":
            stats.inc_value(f"ise_archive/failed/reason_count/{reason}")
        else:
            stats.inc_value(f"ise_archive/capture/{kind}")

    @property
    def interrupted(self) -> bool:
        """Stopped from outside (Ctrl-C, SIGTERM): Scrapy's graceful stop clears
        ``crawling`` before it closes the spider; a run that ran out of work or
        closed itself (blocked) still has it set."""
        return not self.crawler.crawling

    def spider_closed(self) -> None:
        self.state.close()


def crawl_run(crawler: Crawler) -> CrawlRun:
    """The run of this crawler (the extension is part of the project's settings)."""
    run = crawler.get_extension(CrawlRun)
    if run is None:
        raise RuntimeError("the CrawlRun extension is missing from EXTENSIONS")
    return run
