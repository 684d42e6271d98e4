"""The downloader middleware that keeps the crawl within the archive's real limits.

Requests name their rate pool in ``request.meta["pool"]``: ``cdx`` and ``replay``
for the main archive, ``cdx@<name>``/``replay@<name>`` for others; each pool is a
Scrapy download slot (``DOWNLOAD_SLOTS``; a pool missing there gets Scrapy's
default slot). :class:`ArchivePoolsMiddleware` adds what Scrapy lacks: a 429 pauses
the *whole pool* (``Retry-After``, else ``ISE_ARCHIVE_429_PAUSE``) and slows it; 5xx
and transport errors are retried (``RETRY_*``) with the pool paused, each retry
logged at INFO with its reason; other answers bring the pool's rate back to the
configured one (the arithmetic: :mod:`ise_archive.fetch.pacing`); a host that cannot
be reached, or that asks for a wait over ``ISE_ARCHIVE_RETRY_AFTER_MAX``, is said so in
one ERROR line and the crawl stops, state kept (exit 75), unless it is another
archive's (``ISE_ARCHIVE_MORE_ARCHIVES``): that archive is set aside for the rest of
the run (:class:`~spiders.failures.SetAside`) and the crawl goes on without it.
Each pool's delay is kept in the stats (``ise_archive/pool/<pool>/delay``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.misc import load_object
from scrapy.utils.response import response_status_message

from ise_archive.config import CrawlConfig
from ise_archive.errors import DamagedWarc, NotInWarc
from ise_archive.fetch.pacing import (
    Pacer,
    PacingPolicy,
    PoolRate,
    come_back_reason,
    retry_after_seconds,
)
from ise_archive.fetch.reachability import Reachability, describe_transport_failure
from spiders.config import crawl_config
from spiders.failures import SetAside
from spiders.outages import Outages, request_host
from spiders.slots import NotSent, hold_pool, slot_clock, stop_sending_on_close

logger = logging.getLogger(__name__)

#: The pool of a request that names none (Scrapy's own requests, e.g. robots.txt).
DEFAULT_POOL = "replay"


class ArchivePoolsMiddleware:
    """Route each request to its pool, pace the pool, retry, notice an outage."""

    def __init__(self, crawler: Crawler, config: CrawlConfig) -> None:
        self.crawler = crawler
        self.pacer = Pacer(
            PacingPolicy(
                pause_429=config.pause_429,
                backoff=config.backoff_429,
                recovery=config.rate_recovery,
                error_base=config.retry_backoff_base,
                error_max=config.retry_backoff_max,
            )
        )
        self.max_429_retries = config.max_retries_429
        self.retry_after_max = config.retry_after_max
        self.stop_on_refused = config.stop_on_refused
        self.reachability = Reachability(failures_in_a_row=config.unreachable_after)
        self.outages = Outages(crawler, self.reachability)
        s = crawler.settings
        self.slots = s.getdict("DOWNLOAD_SLOTS")
        self.retry_enabled = s.getbool("RETRY_ENABLED")
        self.retry_codes = {int(code) for code in s.getlist("RETRY_HTTP_CODES")}
        self.retry_exceptions = tuple(
            load_object(x) if isinstance(x, str) else x
            for x in s.getlist("RETRY_EXCEPTIONS")
        )
        #: The spider is closing: nothing more is sent (spiders/slots.py).
        self.closing = False
        #: When each pool's last pause ends (on the clock of :func:`slot_clock`).
        self.paused_until: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePoolsMiddleware:
        # checked, with every other setting, before the crawl started
        middleware = cls(crawler, crawl_config(crawler.settings))
        crawler.signals.connect(middleware.started, signal=signals.engine_started)
        return middleware

    def started(self) -> None:
        stop_sending_on_close(self.crawler, self.close)

    def close(self) -> None:
        self.closing = True

    def process_request(self, request: Request) -> None:
        if self.closing:
            raise NotSent("not sent: the crawl is stopping")
        pool = self.pool(request)
        self.outages.check(request, pool)
        request.meta.setdefault("download_slot", pool)
        self.crawler.stats.inc_value(f"ise_archive/pool/{pool}/requests")

    def pool(self, request: Request) -> str:
        """The request's pool, paced from its configured delay on first sight."""
        pool = request.meta.get("pool", DEFAULT_POOL)
        if pool not in self.pacer.rates:
            delay = self.slots.get(pool, {}).get("delay")
            if delay is None:  # Scrapy gives such a pool a default slot
                delay = self.crawler.settings.getfloat("DOWNLOAD_DELAY")
            self.pacer.add(pool, float(delay))
            self.pace(pool, self.pacer.rates[pool])
        return pool

    def process_response(
        self, request: Request, response: Response
    ) -> Request | Response:
        pool = self.pool(request)
        self.reachability.answered(request_host(request))
        if response.status == 429:
            return self.throttled(request, response, pool)
        if response.status in self.retry_codes and not request.meta.get("dont_retry"):
            retry = self.retry(request, response_status_message(response.status))
            return retry or response
        self.pace(pool, self.pacer.answered(pool))
        return response

    def process_exception(
        self, request: Request, exception: Exception
    ) -> Request | None:
        if isinstance(exception, NotSent | SetAside):
            return None
        if self.outages.stopping:
            raise IgnoreRequest("the archive cannot be reached") from exception
        if isinstance(exception, IgnoreRequest | NotInWarc | DamagedWarc):
            return None  # a rebuild's missing answer says nothing of the archive
        reason = describe_transport_failure(exception)
        host = request_host(request)
        refused = reason == "connection refused" and self.stop_on_refused
        if self.reachability.failed(host) or refused:
            self.outages.out_of_reach(request, self.pool(request), reason)
        if isinstance(exception, self.retry_exceptions) and not request.meta.get(
            "dont_retry"
        ):
            return self.retry(request, reason)
        return None

    def pace(self, pool: str, rate: PoolRate, pause: float = 0.0) -> None:
        """Apply the pool's pace and pause to its download slot, keep it in the stats.

        The pause's end is kept, so an answer that shortens the delay (another
        request of the pool in flight) does not shorten the pause.
        """
        if pause > 0:
            until = slot_clock()() + pause
            self.paused_until[pool] = max(self.paused_until.get(pool, 0.0), until)
        hold_pool(self.crawler, pool, rate.delay, self.paused_until.get(pool, 0.0))
        self.crawler.stats.set_value(
            f"ise_archive/pool/{pool}/delay", round(rate.delay, 6)
        )

    def throttled(
        self, request: Request, response: Response, pool: str
    ) -> Request | Response:
        tries = request.meta.get("ise_429_tries", 0) + 1
        self.crawler.stats.inc_value(f"ise_archive/pool/{pool}/429")
        wall = datetime.now(UTC)
        asked = response.headers.get(b"Retry-After")
        retry_after = retry_after_seconds(asked, now=wall)
        if retry_after is not None and retry_after > self.retry_after_max:
            limit = self.retry_after_max
            why = come_back_reason(retry_after, now=wall, limit=limit)
            self.outages.out_of_reach(request, pool, why, told=True)
        now = slot_clock()()  # download_latency is a duration: any one clock will do
        latency = request.meta.get("download_latency")
        sent_at = None if latency is None else now - latency
        rate, seconds = self.pacer.throttled(
            pool, retry_after, sent_at=sent_at, now=now
        )
        self.pace(pool, rate, seconds)
        if tries > self.max_429_retries:
            logger.warning(
                "Gave up on %(url)s after %(n)d answers of 429",
                {"url": request.url, "n": tries - 1},
            )
            return response
        logger.info(
            "429 from the %(pool)s pool: pausing it %(s).1f s, then %(pace)s",
            {"pool": pool, "s": seconds, "pace": rate.described()},
        )
        retry = request.replace(dont_filter=True)
        retry.meta["ise_429_tries"] = tries
        return retry

    def retry(self, request: Request, reason: str) -> Request | None:
        """Scrapy's retry of ``request``, with the pool paused by its error streak."""
        if not self.retry_enabled:
            return None
        pool = self.pool(request)
        rate, seconds = self.pacer.failed(pool)
        assert self.crawler.spider is not None
        retry = get_retry_request(request, spider=self.crawler.spider, reason=reason)
        if retry is None:
            return None
        self.pace(pool, rate, seconds)
        logger.info(
            "Retrying %(url)s in %(s).0f s (retry %(n)d of %(max)d): %(reason)s",
            {
                "url": request.url,
                "s": seconds,
                "n": retry.meta["retry_times"],
                "max": retry.meta.get(
                    "max_retry_times", self.crawler.settings.getint("RETRY_TIMES")
                ),
                "reason": reason,
            },
        )
        return retry
