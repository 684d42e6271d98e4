"""The Scrapy download slots that carry the request pools, and what we set on them.

Each pool (``cdx``, ``replay``, ...) is a download slot (``DOWNLOAD_SLOTS``). Scrapy
has no public way to pause a slot or change its pace while it runs, so this module
holds the few places that reach into the downloader's slots (``delay``,
``lastseen``, ``latercall``), each with the Scrapy behaviour it relies on; the
arithmetic is :mod:`ise_archive.fetch.pacing`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import scrapy.core.downloader
from scrapy.crawler import Crawler

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
