"""The rate pools as the installed Scrapy's downloader makes them.

The delay of a pool is the politeness floor, so it must be used as is: no random
variation. Scrapy 2.15-2.18 read only a ``randomize_delay`` key of
``DOWNLOAD_SLOTS`` and ignored our ``jitter: 0``, so every delay varied by ±50 %
(``RANDOMIZE_DOWNLOAD_DELAY``) and went under the floor; this test fails there,
and tests/test_floors.py runs it with the declared minimum Scrapy.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy import Request
from scrapy.core.engine import ExecutionEngine

from tests.spiders.crawlers import BASE_URL, make_crawler, open_spider


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
