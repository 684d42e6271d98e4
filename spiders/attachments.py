"""The attachments phase's requests: CDX prefix listings and raw file fetches.

A mixin of :class:`spiders.ise_blog.IseBlogSpider` (its callbacks stay spider
methods); what to ask and what an answer means is the library's
(:mod:`ise_archive.plan.attachments`, :mod:`ise_archive.attachments.files`). A
failed listing or fetch only makes files missing: it never fails the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from scrapy import Request
from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from ise_archive.archive.cdx import CDXQuery
from ise_archive.attachments.files import save_file
from ise_archive.errors import CDXError, PageTooLarge
from ise_archive.plan.attachments import AttachmentPlan, FileFetch, FileQuery
from ise_archive.plan.work import Fetch
from ise_archive.records import WarcRef
from ise_archive.warc.writer import WarcLocation
from spiders.evidence import FILE_WARC
from spiders.failures import transport_failure

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from spiders.run import CrawlRun

logger = logging.getLogger(__name__)


class AttachmentRequests:
    """Requests and callbacks of phase 5 (see the module docs).

    ``attachment_plan`` builds the phase's planner when the run rescues files."""

    crawler: Crawler
    run: CrawlRun
    resume_keys: set[tuple[CDXQuery, str]]
    check_blocked: Callable[[Failure], bool]
    capture_request: Callable[..., Request]

    def file_cdx_request(
        self, query: CDXQuery, resume_key: str | None = None
    ) -> Request:
        return Request(
            self.run.config.archive.cdx_query_url(query, resume_key),
            callback=self.parse_file_cdx,
            errback=self.file_cdx_failed,
            cb_kwargs={"query": query},
            meta={"pool": "cdx", "handle_httpstatus_all": True},
            dont_filter=True,
            priority=10,
        )

    def parse_file_cdx(self, response: Response, query: CDXQuery) -> Iterator[Request]:
        stats = self.crawler.stats
        stats.inc_value("ise_archive/attachments/cdx_pages")
        try:
            if response.status != 200:
                raise CDXError(f"HTTP {response.status}")
            page = self.run.config.archive.parse_cdx(response.body)
        except CDXError as exc:
            # files not found are reported missing; the posts are not at stake
            stats.inc_value("ise_archive/attachments/cdx_failed")
            logger.warning(
                "Attachment listing %(url)s failed: %(exc)s",
                {"url": response.url, "exc": exc},
            )
            return
        self.run.state.add_file_captures(page.captures)
        key = (query, page.resume_key)
        if page.resume_key and key not in self.resume_keys:
            self.resume_keys.add(key)
            yield self.file_cdx_request(query, page.resume_key)

    def file_cdx_failed(self, failure: Failure) -> None:
        self.crawler.stats.inc_value("ise_archive/attachments/cdx_failed")
        if self.check_blocked(failure):
            raise CloseSpider("blocked")
        logger.warning(
            "Attachment listing failed: %(f)s", {"f": failure.getErrorMessage()}
        )

    def file_request(self, fetch: FileFetch) -> Request:
        capture = fetch.capture
        return Request(
            self.run.config.archive.raw_url(capture.timestamp, capture.original),
            callback=self.parse_file,
            errback=self.file_failed,
            cb_kwargs={"fetch": fetch},
            meta={
                "pool": "replay",
                "fetch": fetch,
                "handle_httpstatus_all": True,
                # over the cap: the download stops there, and the file is refused
                "download_maxsize": self.run.config.max_attachment_bytes,
                "download_warnsize": 0,
            },
            dont_filter=True,
        )

    def parse_file(self, response: Response, fetch: FileFetch) -> None:
        stats = self.crawler.stats
        stats.inc_value("ise_archive/attachments/fetches")
        stats.inc_value("ise_archive/attachments/bytes", len(response.body))
        result = save_file(
            fetch.capture,
            status=response.status,
            headers={
                k.lower(): v for k, v in response.headers.to_unicode_dict().items()
            },
            body=response.body,
            output_dir=self.run.config.output_dir,
            max_bytes=self.run.config.max_attachment_bytes,
            warc=_warc_ref(response.meta.get(FILE_WARC)),
        )
        self.run.state.set_file(fetch.key, result)
        stats.inc_value(
            "ise_archive/attachments/saved"
            if "path" in result
            else f"ise_archive/attachments/missing/{result['reason']}"
        )

    def file_failed(self, failure: Failure) -> None:
        fetch: FileFetch = failure.request.meta["fetch"]  # type: ignore[attr-defined]
        if self.check_blocked(failure):
            raise CloseSpider("blocked")
        reason = transport_failure(failure)
        # a download stopped at download_maxsize: the file is over the cap
        reason = "too-large" if reason == PageTooLarge.reason else f"failed:{reason}"
        self.run.state.set_file(fetch.key, {"reason": reason})
        self.crawler.stats.inc_value(f"ise_archive/attachments/missing/{reason}")
        logger.warning(
            "Fetching attachment %(url)s failed: %(err)s",
            {"url": fetch.capture.original, "err": failure.getErrorMessage()},
        )

    def attachment_plan(self) -> AttachmentPlan | None:
        config = self.run.config
        if not config.attachments:
            return None
        return AttachmentPlan(
            state=self.run.state,
            archive_base_url=config.archive_url_base,
            max_bytes=config.max_attachment_bytes,
            batch=config.plan_batch,
        )

    def crawl_planned(self, work: Iterable[Fetch | FileQuery | FileFetch]) -> None:
        """Queue the requests of one planned round (any phase)."""
        for item in work:
            self.crawler.engine.crawl(self.planned_request(item))

    def planned_request(self, item: Fetch | FileQuery | FileFetch) -> Request:
        """The request for one item of a planned round (any phase)."""
        if isinstance(item, FileQuery):
            return self.file_cdx_request(item.query)
        if isinstance(item, FileFetch):
            return self.file_request(item)
        return self.capture_request(item.capture)


def _warc_ref(location: WarcLocation | None) -> WarcRef | None:
    if location is None:
        return None
    return WarcRef(filename=location.filename, offset=location.offset)
