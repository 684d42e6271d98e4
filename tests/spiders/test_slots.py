"""The rate pools as the installed Scrapy's downloader makes them, and holds them.

The delay of a pool is the politeness floor, so it must be used as is: no random
variation. Scrapy 2.15-2.18 read only a ``randomize_delay`` key of
``DOWNLOAD_SLOTS`` and ignored our ``jitter: 0``, so every delay varied by ±50 %
(``RANDOMIZE_DOWNLOAD_DELAY``) and went under the floor; this test fails there,
and tests/test_floors.py runs it with the declared minimum Scrapy.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import scrapy.core.downloader
from scrapy import Request
from scrapy.core.downloader import Slot
from scrapy.core.engine import ExecutionEngine
from scrapy.crawler import Crawler
from scrapy.utils.asyncio import CallLaterResult
from twisted.internet.defer import Deferred

from spiders.slots import hold_pool, slot_clock
from tests.spiders.crawlers import BASE_URL, make_crawler, open_spider, start_engine

NOW = slot_clock()


@pytest.mark.parametrize(("pool", "delay"), [("cdx", 2.0), ("replay", 0.25)])
def test_the_downloader_waits_exactly_the_pool_delay(
    tmp_path: Path, pool: str, delay: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    crawler = make_crawler(tmp_path, ISE_ARCHIVE_CDX_RPM=30, ISE_ARCHIVE_REPLAY_RPS=4)
    open_spider(crawler)
    downloader = ExecutionEngine(crawler, lambda _: None).downloader
    # the idle-slot collector is a looping call, which wants a running reactor
    monkeypatch.setattr(downloader, "_start_slot_gc", lambda: None)
    request = Request(f"{BASE_URL}/x", meta={"download_slot": pool})

    key, slot = downloader._get_slot(request)

    assert key == pool
    assert {slot.download_delay() for _ in range(50)} == {delay}


def _slot_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> list[float]:
    """The waits the downloader plans: real timers on an event loop of the test's
    own (no reactor runs in unit tests), so cancelling one is real too."""
    waits: list[float] = []
    loop = asyncio.new_event_loop()

    def planned(delay: float, *args: Any) -> CallLaterResult:
        waits.append(delay)
        return CallLaterResult.from_asyncio(loop.call_later(delay, *args))

    monkeypatch.setattr(scrapy.core.downloader, "call_later", planned)
    return waits


def _replay_slot(tmp_path: Path) -> tuple[Crawler, Slot]:
    crawler = make_crawler(tmp_path)
    open_spider(crawler)
    slot = start_engine(crawler)["replay"]
    slot.queue.append((Request(f"{BASE_URL}/x", meta={"pool": "replay"}), Deferred()))
    return crawler, slot


def test_a_pause_holds_the_pool_exactly_its_length(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The downloader's own arithmetic, on its own clock, waits out the pause: the
    pause, not the pause and then the delay (issue 10)."""
    crawler, slot = _replay_slot(tmp_path)
    slot.lastseen = NOW() - 1.0  # its last request went out a second ago
    waits = _slot_waits(monkeypatch)

    hold_pool(crawler, "replay", 2.0, paused_until=NOW() + 7.0)
    crawler.engine.downloader._process_queue(slot)

    assert len(waits) == 1
    assert 6.9 < waits[0] <= 7.0
    assert slot.queue  # nothing was sent
    slot.close()


def test_a_pause_shorter_than_the_delay_leaves_the_delay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crawler, slot = _replay_slot(tmp_path)
    slot.lastseen = NOW()
    waits = _slot_waits(monkeypatch)

    hold_pool(crawler, "replay", 2.0, paused_until=NOW() + 0.5)
    crawler.engine.downloader._process_queue(slot)

    assert len(waits) == 1
    assert 1.9 < waits[0] <= 2.0
    slot.close()


def test_a_shorter_delay_counts_for_the_request_already_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scrapy planned the wait when the last request went out, at the slowed delay;
    the answer's shorter delay must not wait for the request after (issue 10)."""
    crawler, slot = _replay_slot(tmp_path)
    waits = _slot_waits(monkeypatch)
    hold_pool(crawler, "replay", 4.0, paused_until=0.0)  # slowed by a 429
    slot.lastseen = NOW()
    crawler.engine.downloader._process_queue(slot)
    planned = slot.latercall

    hold_pool(crawler, "replay", 1.0, paused_until=0.0)  # an answer: faster again

    assert planned is not slot.latercall
    assert len(waits) == 2
    assert 3.9 < waits[0] <= 4.0
    assert 0.9 < waits[1] <= 1.0
    hold_pool(crawler, "replay", 3.0, paused_until=0.0)  # slower: the plan stands
    assert len(waits) == 2
    slot.close()
