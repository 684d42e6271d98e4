"""The link-check phase's requests (ISE_ARCHIVE_CHECK_LINKS): one CDX lookup per
distinct link of the posts, in the main archive's ``cdx`` pool.

A mixin of :class:`spiders.ise_blog.IseBlogSpider` (through
:class:`spiders.attachments.AttachmentRequests`); which links and what the answer
means is the library's (:mod:`ise_archive.plan.links`,
:mod:`ise_archive.archive.links`). A failed lookup leaves the link unchecked; it
never fails the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from scrapy import Request
from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from ise_archive.errors import CDXError
from ise_archive.plan.links import LinkCheck, LinkCheckPlan
from spiders.evidence import KEEP_ANSWER
from spiders.failures import not_sent

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from spiders.run import CrawlRun

logger = logging.getLogger(__name__)


class LinkCheckRequests:
    """Requests and callbacks of phase 6 (see the module docs)."""

    crawler: Crawler
    run: CrawlRun
    check_blocked: Callable[[Failure], bool]

    def link_check_request(self, check: LinkCheck) -> Request:
        return Request(
            self.run.config.archive.cdx_query_url(check.query),
            callback=self.parse_link_check,
            errback=self.link_check_failed,
            cb_kwargs={"check": check},
            meta={"pool": "cdx", "handle_httpstatus_all": True, KEEP_ANSWER: True},
            dont_filter=True,
        )

    def parse_link_check(self, response: Response, check: LinkCheck) -> None:
        stats = self.crawler.stats
        try:
            if response.status != 200:
                raise CDXError(f"HTTP {response.status}")
            page = self.run.config.archive.parse_cdx(response.body)
        except CDXError as exc:
            stats.inc_value("ise_archive/links/failed")
            logger.warning(
                "Link check %(url)s failed: %(exc)s", {"url": check.url, "exc": exc}
            )
            return
        archived = bool(page.captures)
        self.run.state.set_link_check(check.url, archived)
        stats.inc_value(f"ise_archive/links/{'archived' if archived else 'absent'}")

    def link_check_failed(self, failure: Failure) -> None:
        if not_sent(failure):  # the crawl is stopping (spiders/slots.py)
            return
        self.crawler.stats.inc_value("ise_archive/links/failed")
        if self.check_blocked(failure):
            raise CloseSpider("blocked")
        logger.warning("Link check failed: %(f)s", {"f": failure.getErrorMessage()})

    def link_check_plan(self) -> LinkCheckPlan | None:
        config = self.run.config
        if not config.check_links:
            return None
        return LinkCheckPlan(
            state=self.run.state,
            archive_base_url=config.archive_url_base,
            batch=config.plan_batch,
        )
