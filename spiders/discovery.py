"""Phase 1's requests: the CDX listings of the prefixes (and lookups), page by page.

A mixin of :class:`spiders.ise_blog.IseBlogSpider` (its callbacks stay spider
methods). What an answer means is the library's: the answer's forms
(:func:`~ise_archive.archive.cdx.parse_cdx_page`), what follows its resume key
(:func:`~ise_archive.archive.paging.next_page`), the captures stored and judged
(:meth:`~ise_archive.plan.work.WorkPlan.listed`). A listing that fails for good is
counted under ``ise_archive/cdx/failed/<reason>`` (the report's
``discovery_failed``: the run is ``failed``, exit 1, and the next run lists again)
with one ERROR line naming the query; it never ends short in silence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from scrapy import Request
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from ise_archive.archive.archives import ArchiveSet
from ise_archive.archive.cdx import CDXQuery, describe_cdx_query
from ise_archive.archive.coverage import Coverage
from ise_archive.archive.paging import next_page
from ise_archive.errors import CDXError
from ise_archive.plan.work import WorkPlan
from spiders.failures import not_sent, set_aside
from spiders.requests import cdx_request

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class CdxRequests:
    """Requests and callbacks of phase 1 (see the module docs)."""

    crawler: Crawler
    plan: WorkPlan
    archives: ArchiveSet
    coverage: Coverage
    check_blocked: Callable[[Failure], bool]

    def cdx_request(
        self,
        query: CDXQuery,
        sent: tuple[str, ...] = (),
        *,
        rank: int = 0,
        again: int = 0,
    ) -> Request:
        callbacks = (self.parse_cdx, self.cdx_failed)
        return cdx_request(
            self.archives, query, sent, rank=rank, again=again, callbacks=callbacks
        )

    def parse_cdx(
        self, response: Response, query: CDXQuery, rank: int = 0
    ) -> Iterator[Request]:
        stats = self.crawler.stats
        if response.status != 200:  # after the pools middleware's retries
            self.listing_failed(response, f"http-{response.status}")
            return
        sent: tuple[str, ...] = response.meta.get("cdx_sent", ())
        try:
            page = self.archives[rank].parse_cdx(response.body, resumed=bool(sent))
        except CDXError as exc:
            # a proxy's page, a cut or empty body: asked again as a 5xx would be
            retry = get_retry_request(
                response.request, spider=self, reason=f"bad CDX answer ({exc})"
            )
            if retry is None:
                self.listing_failed(response, "bad-answer", exc)
            else:
                yield self.asked_again(retry, str(exc))
            return
        captures = self.archives.listed_by(page.captures, rank)
        new = self.plan.listed(captures, rank=rank)
        stats.inc_value("ise_archive/cdx/pages")
        stats.inc_value("ise_archive/cdx/captures", len(page.captures))
        stats.inc_value("ise_archive/cdx/new", new)
        # A page with no rows but a resume key (filters drop a whole page on the
        # server) leads on like any other; a repeated key is asked once more.
        again = response.meta.get("cdx_again", 0)
        step = next_page(sent, page.resume_key, again=again)
        if step.failure:
            self.listing_failed(response, step.failure, "its resume key repeats")
        elif step.key is None:  # read to the end
            self.coverage.completed(rank, query)
        else:
            request = self.cdx_request(query, step.sent, rank=rank, again=step.again)
            if step.again:
                yield self.asked_again(request, "the answer repeats its resume key")
            else:
                stats.inc_value("ise_archive/cdx/resume_pages")
                yield request

    def asked_again(self, request: Request, reason: str) -> Request:
        """``request``, a page asked again (counted, said at INFO)."""
        self.crawler.stats.inc_value("ise_archive/cdx/asked_again")
        logger.info(
            "Asking %(url)s again: %(reason)s", {"url": request.url, "reason": reason}
        )
        return request

    def listing_failed(
        self, response: Response, reason: str, detail: object = None
    ) -> None:
        """The listing of ``response``'s query failed for good: counted by reason,
        said in one ERROR line that names the query."""
        self.crawler.stats.inc_value(f"ise_archive/cdx/failed/{reason}")
        logger.error(
            "CDX query failed (%(reason)s%(detail)s): %(query)s",
            {
                "reason": reason,
                "detail": f": {detail}" if detail else "",
                "query": describe_cdx_query(response.url),
            },
        )

    def cdx_failed(self, failure: Failure) -> None:
        if not_sent(failure) or set_aside(failure):  # asked again by the next run
            return
        self.crawler.stats.inc_value("ise_archive/cdx/failed/transport")
        if self.check_blocked(failure):
            raise CloseSpider("blocked")
        logger.error("CDX request failed: %(f)s", {"f": failure.getErrorMessage()})
