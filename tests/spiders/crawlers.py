"""Real Scrapy crawlers with the project's settings, for unit tests of the glue.

No reactor runs: components are built with ``build_from_crawler`` and called
directly with real ``Request``/``Response`` objects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy.core.downloader import Slot
from scrapy.core.engine import ExecutionEngine
from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler

from ise_archive import settings
from spiders.ise_blog import IseBlogSpider

BASE_URL = "http://127.0.0.1:8765"


def project_settings(**overrides: Any) -> dict[str, Any]:
    """Every setting of ``ise_archive.settings``, then the overrides."""
    values = {name: getattr(settings, name) for name in dir(settings) if name.isupper()}
    values["WAYBACK_BASE_URL"] = BASE_URL
    # no download handlers: nothing is downloaded, and loading them wants a reactor
    values["DOWNLOAD_HANDLERS"] = {"http": None, "https": None}
    return {**values, **overrides}


def make_crawler(output_dir: Path, **overrides: Any) -> Crawler:
    return get_crawler(
        IseBlogSpider,
        settings_dict=project_settings(OUTPUT_DIR=str(output_dir), **overrides),
    )


def open_spider(crawler: Crawler, **arguments: str) -> IseBlogSpider:
    """The spider as ``scrapy crawl`` makes it, opened (``spider_opened``): it has
    taken the run's settings and state database."""
    spider = IseBlogSpider.from_crawler(crawler, **arguments)
    crawler.spider = spider
    spider.opened()
    return spider


def start_engine(crawler: Crawler) -> dict[str, Slot]:
    """Give the crawler an engine whose downloader has the two pools as slots."""
    crawler.engine = ExecutionEngine(crawler, lambda _: None)
    slots = crawler.engine.downloader.slots
    for pool, conf in crawler.settings.getdict("DOWNLOAD_SLOTS").items():
        slots[pool] = Slot(conf["concurrency"], conf["delay"], conf["jitter"])
    return slots
