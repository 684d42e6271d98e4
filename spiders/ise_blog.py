"""``scrapy crawl ise_blog``: find and fetch every archived ise.gov blog post.

The spider decides *what to request* and hands every answer to the library
(:mod:`ise_archive.plan.work`: the phases, what to fetch next, what an answer
means); the run's settings and state are the shared :class:`~spiders.run.CrawlRun`.
Discovery (CDX prefix queries) runs from :meth:`start`, the other phases whenever
the crawler goes idle. Arguments: :data:`ise_archive.config.SPIDER_ARGUMENTS`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from ise_archive import __version__
from ise_archive.archive.archives import ArchiveSet
from ise_archive.archive.coverage import Coverage
from ise_archive.config import parse_spider_arguments, run_parameters
from ise_archive.extract import ExtractOptions
from ise_archive.plan.work import Fetch, LookUp, Retry, WorkPlan
from ise_archive.records import Capture, Post, Skip
from ise_archive.warc.prepared import prepared_pages
from spiders.attachments import AttachmentRequests
from spiders.config import crawl_config, set_download_slots
from spiders.discovery import CdxRequests
from spiders.failures import not_sent, set_aside, transport_failure
from spiders.progress import log_budget, log_milestone
from spiders.requests import capture_answer, capture_request
from spiders.run import CrawlRun, crawl_run

logger = logging.getLogger(__name__)


class IseBlogSpider(CdxRequests, AttachmentRequests, Spider):
    name = "ise_blog"

    def __init__(self, *args: Any, **arguments: Any) -> None:
        super().__init__(*args)
        self.arguments = arguments
        self.phase = "cdx"
        self.run: CrawlRun
        self.plan: WorkPlan
        self.options: ExtractOptions
        self.archives: ArchiveSet

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        """Check every setting (exit 3 on a bad one) and turn the rates into pools."""
        super().update_settings(settings)
        set_download_slots(settings, crawl_config(settings))

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> IseBlogSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.opened, signal=signals.spider_opened)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        return spider

    def opened(self) -> None:
        """Take the run's settings and state (built after the spider) and begin."""
        self.run = crawl_run(self.crawler)
        config = self.run.config
        self.archives = ArchiveSet((config.archive, *config.more_archives))
        self.coverage = Coverage.of(config.queries)
        self.options = ExtractOptions(
            max_bytes=config.max_page_bytes, archive_base_url=config.archive_url_base
        )
        self.plan = WorkPlan(
            state=self.run.state,
            policy=parse_spider_arguments(
                self.arguments, max_attempts=config.max_attempts
            ),
            batch=config.plan_batch,
            follow_listings=config.follow_listings,
            listing_sampling=config.listing_sampling,
            replay_root=config.archive.replay_root,
            truncated_retries=config.truncated_retries,
            on_outcome=self.run.count_outcome,
            # ise-archive rebuild: pages read ahead by its process pool
            read_ahead=prepared_pages(config.prepared_pages or ""),
            **self.later_phases(),  # attachments, link checks
        )
        self.run.begin(
            run_parameters(config, self.plan.policy, tool_version=__version__)
        )

    # --- phase 1: the capture index ---------------------------------------------------

    async def start(self) -> AsyncIterator[Request]:
        for query in self.run.config.queries:
            for rank in range(len(self.archives)):
                yield self.cdx_request(query, rank=rank)

    # (the listings' callbacks: spiders/discovery.py)

    # --- planning (phases 2-4) ---------------------------------------------------

    def on_idle(self) -> None:
        """Plan the next fetches, earliest phase first; close when none are left."""
        if self.run.blocked:
            return
        planned = self.plan.next_phase()
        if planned is None:
            return
        phase, work = planned
        if self.phase == "cdx":
            log_budget(self.crawler, replay_requests=self.run.state.open_work())
        if phase != self.phase:
            log_milestone(self.crawler, phase, self.plan.post_groups())
            self.phase = phase
        self.crawl_planned(work)
        raise DontCloseSpider

    # --- fetching a capture ------------------------------------------------------

    def capture_request(self, capture: Capture, *, hops: int = 0) -> Request:
        return capture_request(
            self.archives,
            capture,
            hops=hops,
            max_bytes=self.options.max_bytes,
            callbacks=(self.parse_capture, self.capture_failed),
        )

    def parse_capture(self, response: Response, capture: Capture) -> Iterator[Any]:
        self.crawler.stats.inc_value("ise_archive/fetch/requests")
        answer = capture_answer(response, self.archives, capture)
        for item in self.plan.read_answer(capture, answer, self.options):
            if isinstance(item, (Post, Skip)):
                yield item
            elif isinstance(item, Retry):
                self.crawler.stats.inc_value(f"ise_archive/fetch/{item.why}")
                # a fresh request: one copied from the response carries Scrapy's
                # internal meta (download_latency...) into the next download
                retry = self.capture_request(capture, hops=answer.hops)
                retry.meta[f"{item.why}_tries"] = item.tries
                yield retry
            else:
                yield from self.requests([item])

    def requests(self, work: Iterable[Fetch | LookUp]) -> Iterator[Request]:
        """The requests for the library's decisions."""
        stats = self.crawler.stats
        for item in work:
            if isinstance(item, Fetch):
                yield self.capture_request(item.capture, hops=item.hops)
                continue
            # a URL no prefix listing had: asked of every archive whose listing
            # does not already answer it (ise_archive.archive.coverage)
            for rank in range(len(self.archives)):
                if self.coverage.covers(rank, item.url):
                    stats.inc_value("ise_archive/discovery/covered_lookups")
                    continue
                stats.inc_value("ise_archive/discovery/exact_lookups")
                yield self.cdx_request(self.run.config.lookup(item.url), rank=rank)

    def capture_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        capture: Capture = request.meta["capture"]
        if not_sent(failure):  # the crawl is stopping (spiders/slots.py)
            return
        if set_aside(failure):  # its archive is out for this run (spiders/outages.py)
            return self.plan.set_aside(capture)
        if self.check_blocked(failure):
            # not the capture's failure: the next run reopens it (reset_inflight)
            raise CloseSpider("blocked")
        self.plan.settle(capture, f"failed:{transport_failure(failure)}")
        logger.warning(
            "Fetching %(url)s failed: %(err)s",
            {"url": request.url, "err": failure.getErrorMessage()},
        )

    def check_blocked(self, failure: Failure) -> bool:
        """Whether the archive cannot be reached (or refuses us): stop, resumably.

        The pools middleware decides it (spiders/middlewares.py) and says why in one
        ERROR line; the request that met it is no failure of its capture.
        """
        if not self.crawler.stats.get_value("ise_archive/blocked"):
            return False
        self.run.blocked = True
        return True
