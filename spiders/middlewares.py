"""Downloader middlewares that keep the crawl within the archive's real limits.

Two rate pools share the archive host: ``cdx`` (CDX/timemap, ~30 requests/minute per
IP on the Internet Archive) and ``replay`` (``/web/`` pages, a separate, higher
limit). Each pool is a Scrapy download slot (``DOWNLOAD_SLOTS``, built from the
``ISE_ARCHIVE_*`` settings by the spider), so each has its own delay and one
keep-alive connection. This module only adds what Scrapy lacks:

* a 429 pauses the *whole pool* (not just the one request) for ``Retry-After`` seconds
  when the archive sends it, else ``ISE_ARCHIVE_429_PAUSE``, then lowers the pool's
  rate, and the request is tried again (the live archive firewalls an IP after a
  minute of ignored 429s);
* 5xx and transport errors are retried like Scrapy's ``RetryMiddleware`` does, but
  with a doubling pause of the pool between tries, instead of immediately.
"""

from __future__ import annotations

import logging
from time import monotonic
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings

from ise_archive.errors import ConfigError

logger = logging.getLogger(__name__)

POOLS = ("cdx", "replay")


def pause_pool(crawler: Crawler, pool: str, seconds: float, *, slow_by: float) -> None:
    """Hold every request of ``pool`` for ``seconds`` and divide its rate by slow_by.

    Scrapy's downloader waits ``delay - now + lastseen`` before the next request of
    a slot, so moving ``lastseen`` into the future pauses the slot as a whole.
    """
    engine = crawler.engine
    if engine is None:
        return
    slot = engine.downloader.slots.get(pool)
    if slot is None:
        return
    slot.lastseen = max(slot.lastseen, monotonic() + seconds)
    if slow_by > 1:
        slot.delay = slot.delay * slow_by


def _retry_after(response: Response) -> float | None:
    raw = response.headers.get(b"Retry-After")
    if not raw:
        return None
    try:
        return max(0.0, float(raw.decode("ascii").strip()))
    except (UnicodeDecodeError, ValueError):
        return None  # an HTTP-date; the archive never sends one, fall back to default


class ArchivePoolsMiddleware:
    """Route each request to its pool and handle 429 by pausing the pool."""

    def __init__(
        self,
        crawler: Crawler,
        *,
        pause: float,
        backoff: float,
        max_retries: int,
    ) -> None:
        self.crawler = crawler
        self.pause = pause
        self.backoff = backoff
        self.max_retries = max_retries

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePoolsMiddleware:
        s = crawler.settings
        pause = s.getfloat("ISE_ARCHIVE_429_PAUSE")
        backoff = s.getfloat("ISE_ARCHIVE_429_BACKOFF")
        max_retries = s.getint("ISE_ARCHIVE_429_MAX_RETRIES")
        if pause < 0:
            raise ConfigError(f"ISE_ARCHIVE_429_PAUSE ({pause!r}) must be >= 0")
        if backoff < 1:
            raise ConfigError(f"ISE_ARCHIVE_429_BACKOFF ({backoff!r}) must be >= 1")
        if max_retries < 0:
            raise ConfigError(
                f"ISE_ARCHIVE_429_MAX_RETRIES ({max_retries!r}) must be >= 0"
            )
        return cls(crawler, pause=pause, backoff=backoff, max_retries=max_retries)

    def process_request(self, request: Request) -> None:
        pool = request.meta.get("pool", "replay")
        request.meta.setdefault("download_slot", pool)
        self.crawler.stats.inc_value(f"ise_archive/pool/{pool}/requests")

    def process_response(
        self, request: Request, response: Response
    ) -> Request | Response:
        if response.status != 429:
            return response
        pool = request.meta.get("pool", "replay")
        tries = request.meta.get("ise_429_tries", 0) + 1
        retry_after = _retry_after(response)
        seconds = retry_after if retry_after is not None else self.pause
        self.crawler.stats.inc_value(f"ise_archive/pool/{pool}/429")
        pause_pool(self.crawler, pool, seconds, slow_by=self.backoff)
        if tries > self.max_retries:
            logger.warning(
                "Gave up on %(url)s after %(n)d answers of 429",
                {"url": request.url, "n": tries - 1},
            )
            return response
        logger.info(
            "429 from the %(pool)s pool: pausing it %(s).1f s and slowing it down",
            {"pool": pool, "s": seconds},
        )
        retry = request.replace(dont_filter=True)
        retry.meta["ise_429_tries"] = tries
        return retry


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, with the pool paused ``base * 2**n`` seconds between tries."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("ISE_ARCHIVE_RETRY_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("ISE_ARCHIVE_RETRY_BACKOFF_MAX")
        for name, value in (
            ("ISE_ARCHIVE_RETRY_BACKOFF_BASE", self.backoff_base),
            ("ISE_ARCHIVE_RETRY_BACKOFF_MAX", self.backoff_max),
        ):
            if value < 0:
                raise ConfigError(f"{name} ({value!r}) must be >= 0")

    def _retry(self, request: Request, reason: Any) -> Request | None:
        retry = super()._retry(request, reason)
        if retry is not None:
            n = retry.meta.get("retry_times", 1)
            seconds = min(self.backoff_max, self.backoff_base * 2 ** (n - 1))
            pause_pool(
                self.crawler, request.meta.get("pool", "replay"), seconds, slow_by=1.0
            )
        return retry


class DuplicateEncodingMiddleware:
    """Collapse a repeated ``Content-Encoding`` before Scrapy decompresses the body.

    The Wayback Machine replays a gzipped original with its own ``Content-Encoding:
    gzip`` *and* the archived one, so the header says ``gzip, gzip`` for a body that
    is compressed once; decoding twice fails ("Not a gzipped file"). Runs closer to
    the downloader than ``HttpCompressionMiddleware`` (590).
    """

    def process_response(self, request: Request, response: Response) -> Response:
        values = response.headers.getlist(b"Content-Encoding")
        codings = [
            part.strip().lower()
            for value in values
            for part in value.split(b",")
            if part.strip()
        ]
        collapsed: list[bytes] = []
        for coding in codings:
            if not collapsed or collapsed[-1] != coding:
                collapsed.append(coding)
        if collapsed == codings:
            return response
        headers = response.headers.copy()
        headers[b"Content-Encoding"] = b", ".join(collapsed)
        return response.replace(headers=headers)
