"""The Scrapy download slots that carry the request pools, and what we set on them.

Each pool (``cdx``, ``replay``, ...) is a download slot (``DOWNLOAD_SLOTS``). Scrapy
has no public way to pause a slot or change its pace while it runs, so this module
holds the few places that reach into the downloader's slots (``delay``,
``lastseen``, ``latercall``), each with the Scrapy behaviour it relies on; the
arithmetic is :mod:`ise_archive.fetch.pacing`'s.

When the spider starts closing (Ctrl-C, SIGTERM, an unreachable archive, any close
with work pending), the requests still waiting in a pool for its delay are not
sent: :func:`stop_sending_on_close`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import scrapy.core.downloader
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future

from ise_archive.fetch.pacing import last_request_holding


def slot_clock() -> Callable[[], float]:
    """The clock Scrapy's downloader measures ``Slot.lastseen`` with.

    Scrapy versions differ (``time.time()`` or ``time.monotonic()``); a pause
    written with the other clock is off by decades or by the time since boot, i.e.
    no pause at all (issue 11: with Scrapy 2.15 the pause was 0 s).
    """
    module = scrapy.core.downloader
    clock = getattr(module, "monotonic", None) or getattr(module, "time", None)
    if not callable(clock):
        raise RuntimeError("cannot tell which clock Scrapy's downloader slots use")
    return clock


def pool_slot(crawler: Crawler, pool: str) -> Any:
    """The download slot of ``pool``, or None before its first request."""
    engine = crawler.engine
    return engine.downloader.slots.get(pool) if engine is not None else None


def hold_pool(crawler: Crawler, pool: str, delay: float, paused_until: float) -> None:
    """Give ``pool``'s download slot its ``delay``, and hold it until ``paused_until``.

    Scrapy's downloader waits ``delay - now + lastseen`` before the next request of
    a slot, so moving ``lastseen`` (:func:`last_request_holding`) pauses the slot as
    a whole: its next request goes when the pause ends (or one delay after the
    last request, if later). A later pause never shortens an earlier one, and
    they do not add up.

    The downloader plans a slot's next request when it sends one, with the delay
    of that moment; an answer that shortens the delay (the pool recovering after
    a 429) would only count one request later, so each step of the recovery came
    a request late (about 0.7 s lost per 429 at the replay defaults). A shorter
    delay therefore plans the waiting request again.
    """
    slot = pool_slot(crawler, pool)
    if slot is None:
        return
    shorter = delay < slot.delay
    slot.delay = delay
    slot.lastseen = last_request_holding(
        slot.lastseen, paused_until=paused_until, delay=delay, now=slot_clock()()
    )
    if shorter and slot.latercall is not None:
        slot.latercall.cancel()
        slot.latercall = None
        crawler.engine.downloader._process_queue(slot)


class NotSent(IgnoreRequest):
    """A request the stopping crawl did not send: no failure of what it asked for.

    It goes back to the scheduler (kept in ``JOBDIR``), and its capture stays
    pending in the state, so the next run fetches it.
    """


def stop_sending_on_close(crawler: Crawler, closing: Callable[[], None]) -> None:
    """Drop the requests waiting in the pools as soon as the spider starts closing.

    Scrapy's engine closes the spider only when no request is in progress, and a
    request waiting in a download slot for the slot's delay is in progress: each
    was sent, one per pool delay, after Ctrl-C (3 requests and 11 s at the default
    CDX pace, 4 minutes at ``ISE_ARCHIVE_CDX_RPM=1``). Scrapy has no signal for
    "the spider is closing" (``spider_closed`` comes after the downloads), so the
    engine's ``close_spider_async`` is wrapped on this engine: every close (the
    graceful stop, ``CloseSpider``, the close-spider extensions) goes through it.
    ``closing`` is called first, so the pools middleware refuses new requests.
    """
    engine = crawler.engine
    assert engine is not None
    close = engine.close_spider_async

    async def close_spider_async(*, reason: str = "cancelled") -> None:
        closed = deferred_from_coro(close(reason=reason))  # the engine's slot closes
        closing()
        drop_waiting(crawler)
        await maybe_deferred_to_future(closed)

    engine.close_spider_async = close_spider_async  # type: ignore[method-assign]


def fail_waiting(
    crawler: Crawler, archive: str, refusal: type[IgnoreRequest], message: str
) -> int:
    """Fail with ``refusal(message)``, unsent, the requests waiting in the pools of
    ``archive`` (slots
    ``cdx@<archive>``, ``replay@<archive>``): it was set aside for the rest of the
    run (spiders/outages.py), and a request held there by the pool's delay or pause
    (a ``Retry-After`` of an hour) would keep the crawl from ending."""
    engine = crawler.engine
    if engine is None:
        return 0
    failed = 0
    for name, slot in engine.downloader.slots.items():
        if name.partition("@")[2] != archive:
            continue
        while slot.queue:
            _, waiting = slot.queue.popleft()
            waiting.errback(refusal(message))
            failed += 1
    return failed


def drop_waiting(crawler: Crawler) -> int:
    """Take every request waiting in a download slot out of it, unsent.

    Relies on Scrapy's ``Slot.queue``: a deque of ``(request, deferred)`` the
    downloader fills after the downloader middlewares and empties one per slot
    delay. Each request goes back to the scheduler (``engine.crawl``: with a
    ``JOBDIR`` it is saved with the other pending requests; the closing engine
    sends nothing more), and its deferred fails with :class:`NotSent`, which ends
    it as in progress; requests already on the wire finish normally.
    """
    engine = crawler.engine
    if engine is None:
        return 0
    dropped = 0
    for slot in engine.downloader.slots.values():
        while slot.queue:
            request, waiting = slot.queue.popleft()
            engine.crawl(request.replace(dont_filter=True))
            waiting.errback(NotSent("not sent: the crawl is stopping"))
            dropped += 1
    if dropped:
        crawler.stats.inc_value("ise_archive/stopping/not_sent", dropped)
    return dropped
