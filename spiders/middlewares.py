"""The downloader middleware that keeps the crawl within the archive's real limits.

Requests name their rate pool in ``request.meta["pool"]``: ``cdx`` and ``replay``
for the main archive, ``cdx@<name>``/``replay@<name>`` for others; each pool is a
Scrapy download slot (``DOWNLOAD_SLOTS``; a pool missing there gets Scrapy's
default slot). :class:`ArchivePoolsMiddleware` adds what Scrapy lacks: a 429 pauses
the *whole pool* (``Retry-After``, else ``ISE_ARCHIVE_429_PAUSE``) and slows it; 5xx
and transport errors are retried (``RETRY_*``) with the pool paused, each retry
logged at INFO with its reason; other answers bring the pool's rate back to the
configured one (the arithmetic: :mod:`ise_archive.fetch.pacing`); a host that cannot
be reached is said so in one ERROR line and the crawl stops, state kept (exit 75).
Each pool's delay is kept in the stats (``ise_archive/pool/<pool>/delay``).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.misc import load_object
from scrapy.utils.response import response_status_message

from ise_archive.config import CrawlConfig
from ise_archive.errors import DamagedWarc, NotInWarc
from ise_archive.fetch.pacing import (
    Pacer,
    PacingPolicy,
    PoolRate,
    retry_after_seconds,
)
from ise_archive.fetch.reachability import (
    Reachability,
    describe_transport_failure,
    unreachable_message,
)
from spiders.config import crawl_config
from spiders.slots import NotSent, hold_pool, slot_clock, stop_sending_on_close

logger = logging.getLogger(__name__)

#: The pool of a request that names none (Scrapy's own requests, e.g. robots.txt).
DEFAULT_POOL = "replay"


def _host(request: Request) -> str:
    parts = urlsplit(request.url)
    return f"{parts.scheme}://{parts.netloc}"


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
        self.stop_on_refused = config.stop_on_refused
        self.reachability = Reachability(failures_in_a_row=config.unreachable_after)
        s = crawler.settings
        self.slots = s.getdict("DOWNLOAD_SLOTS")
        self.retry_enabled = s.getbool("RETRY_ENABLED")
        self.retry_codes = {int(code) for code in s.getlist("RETRY_HTTP_CODES")}
        self.retry_exceptions = tuple(
            load_object(x) if isinstance(x, str) else x
            for x in s.getlist("RETRY_EXCEPTIONS")
        )
        self.stopping = False
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
        if self.stopping:
            raise IgnoreRequest("the archive cannot be reached")
        pool = self.pool(request)
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
        self.reachability.answered(_host(request))
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
        if isinstance(exception, NotSent):
            return None
        if self.stopping:
            raise IgnoreRequest("the archive cannot be reached") from exception
        if isinstance(exception, IgnoreRequest | NotInWarc | DamagedWarc):
            return None  # a rebuild's missing answer says nothing of the archive
        reason = describe_transport_failure(exception)
        host = _host(request)
        refused = reason == "connection refused" and self.stop_on_refused
        if self.reachability.failed(host) or refused:
            self.stop_unreachable(host, reason)
            raise IgnoreRequest(f"cannot reach {host}: {reason}") from exception
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
        retry_after = retry_after_seconds(response.headers.get(b"Retry-After"))
        now = slot_clock()()  # download_latency is a duration: any one clock will do
        latency = request.meta.get("download_latency")
        sent_at = None if latency is None else now - latency
        rate, seconds = self.pacer.throttled(
            pool, retry_after, sent_at=sent_at, now=now
        )
        self.pace(pool, rate, seconds)
        self.crawler.stats.inc_value(f"ise_archive/pool/{pool}/429")
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

    def stop_unreachable(self, host: str, reason: str) -> None:
        """Say once that ``host`` cannot be reached and stop; the state is kept."""
        if self.stopping:
            return
        self.stopping = True
        self.crawler.stats.set_value("ise_archive/blocked", 1)
        self.crawler.stats.set_value("ise_archive/unreachable", f"{host}: {reason}")
        message = unreachable_message(
            host, reason, streak=self.reachability.streak(host)
        )
        logger.error("%(message)s", {"message": message})
        engine = self.crawler.engine
        if engine is None or not engine.running:
            return
        # the requests waiting in a pool are dropped at once (spiders/slots.py)
        deferred_from_coro(engine.close_spider_async(reason="unreachable"))
