"""Record what came of each fetched capture in the state database.

This is the "merge captures" step's input side: every :class:`Post` extracted from a
capture is stored under that capture's key, so a post seen in five captures is merged
into one record when the dataset is written (see :mod:`pipelines.dataset`), and a
killed run loses at most the captures in flight.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler

from ise_archive.records import Post, Skip
from ise_archive.store.merge import state_key
from spiders.run import crawl_run

logger = logging.getLogger(__name__)


class CaptureStatePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CaptureStatePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, (Post, Skip)):
            return item
        if item.capture is None:
            logger.error("A result without its capture reached the pipeline: %r", item)
            return item
        run = crawl_run(self.crawler)
        state = run.state
        key = state_key(item.capture)
        with state.batch():  # one commit for all this answer teaches
            if isinstance(item, Post):
                state.save_post(key, item)
                if item.nid is not None:
                    state.set_alias(item.nid, item.url)
                outcome = "record"
            else:
                outcome = f"skip:{item.reason}"
                state.set_outcome(key, outcome)
                if item.teasers:
                    # what a feed or listing says of its posts: partial records
                    state.add_teasers(item.teasers)
        run.count_outcome(outcome)
        return item
