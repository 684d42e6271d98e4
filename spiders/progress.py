"""A progress line every ``ISE_ARCHIVE_PROGRESS_INTERVAL`` seconds while crawling.

Long archival runs (hours at the archive's polite rates) need a sign of life that a
person can read in a log: discovered / fetched / extracted counts, rate and the work
still open (posts and pages with unsettled captures, from the state: the scheduler
holds only the batch being fetched). Scrapy's LogStats says pages/min only.
"""

from __future__ import annotations

import logging
from time import monotonic

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from ise_archive.fetch.pacing import politeness_floor_s
from ise_archive.report import duration_text, pool_delays, progress_line
from spiders.run import crawl_run

logger = logging.getLogger(__name__)


def log_milestone(crawler: Crawler, phase: str, posts: int) -> None:
    """One INFO line as a phase starts: what the run has found and done so far."""
    counts = crawl_run(crawler).state.counts()
    stats = crawler.stats
    logger.info(
        "Phase: %(phase)s. So far: %(listed)d captures listed (%(new)d new), "
        "%(posts)d post URLs identified, %(fetched)d fetched, "
        "%(records)d extracted, %(dups)d duplicates, %(skipped)d skipped, "
        "%(failed)d failed",
        {
            "phase": phase,
            "listed": stats.get_value("ise_archive/cdx/captures", 0),
            "new": stats.get_value("ise_archive/cdx/new", 0),
            "posts": posts,
            "fetched": stats.get_value("ise_archive/fetch/requests", 0),
            "records": counts["record"],
            "dups": counts["duplicate"],
            "skipped": counts["skip"],
            "failed": counts["failed"],
        },
    )


def log_budget(crawler: Crawler, *, replay_requests: int) -> None:
    """One INFO line before the first replay request: the requests the run plans
    and the least time the politeness settings allow for them, so a person knows
    whether to wait ten minutes or three hours. CDX requests are those discovery
    made, in every archive's ``cdx`` pool (all at the same rate)."""
    cdx_requests = sum(
        n
        for key, n in crawler.stats.get_stats().items()
        if key.startswith("ise_archive/pool/cdx") and key.endswith("/requests")
    )
    slots = crawler.settings.getdict("DOWNLOAD_SLOTS")
    delays = {pool: float(slot.get("delay", 0)) for pool, slot in slots.items()}
    planned = {"cdx": cdx_requests, "replay": replay_requests}
    logger.info(
        "Budget: discovery made %(cdx)d CDX requests; at least %(replay)d replay "
        "requests are planned (one per post, listing and node still open); at the "
        "configured rates the run takes at least %(floor)s in all, more if the "
        "archive answers 429",
        {
            "cdx": cdx_requests,
            "replay": replay_requests,
            "floor": duration_text(politeness_floor_s(planned, delays)),
        },
    )


class ProgressLog:
    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.started = monotonic()
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressLog:
        interval = crawler.settings.getfloat("ISE_ARCHIVE_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        extension = cls(crawler, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        self.started = monotonic()
        self.loop = task.LoopingCall(self.log)
        self.loop.start(self.interval, now=False)

    def log(self) -> None:
        stats = self.crawler.stats
        fetched = stats.get_value("ise_archive/fetch/requests", 0)
        extracted = stats.get_value("ise_archive/capture/record", 0)
        # runs only between spider_opened and spider_closed, so the engine is set
        scheduler = self.crawler.engine.scheduler
        queued = len(scheduler) if scheduler is not None else 0
        # The scheduler holds one planning batch; the state knows all open work.
        pending = max(queued, crawl_run(self.crawler).state.open_work())
        logger.info(
            "%(line)s",
            {
                "line": progress_line(
                    discovered=stats.get_value("ise_archive/cdx/captures", 0),
                    fetched=fetched,
                    extracted=extracted,
                    pending=pending,
                    elapsed_s=monotonic() - self.started,
                    pool_delays=pool_delays(stats.get_stats()),
                )
            },
        )

    def spider_closed(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
