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

from ise_archive.archive.archives import ArchiveSet
from ise_archive.archive.cdx import CDXQuery
from ise_archive.archive.paging import next_page
from ise_archive.attachments.captures import file_index
from ise_archive.attachments.files import FileResult, save_file
from ise_archive.errors import CDXError, PageTooLarge
from ise_archive.plan.attachments import (
    AttachmentPlan,
    FileFetch,
    FileQuery,
    follow_redirect,
)
from ise_archive.plan.links import LinkCheck, LinkCheckPlan
from ise_archive.plan.work import Fetch, WorkPlan
from ise_archive.records import WarcRef
from ise_archive.warc.writer import WarcLocation
from spiders.evidence import FILE_WARC
from spiders.failures import not_sent, set_aside, transport_failure
from spiders.links import LinkCheckRequests
from spiders.requests import cdx_request

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from spiders.run import CrawlRun

logger = logging.getLogger(__name__)

#: What one planned round holds, whatever its phase.
Planned = Fetch | FileQuery | FileFetch | LinkCheck


class AttachmentRequests(LinkCheckRequests):
    """Requests and callbacks of phase 5 (see the module docs), and of the link
    checks after it (:class:`spiders.links.LinkCheckRequests`).

    ``later_phases`` builds the planners of both, for the runs that do them."""

    crawler: Crawler
    run: CrawlRun
    plan: WorkPlan
    archives: ArchiveSet
    check_blocked: Callable[[Failure], bool]
    capture_request: Callable[..., Request]

    def file_cdx_request(
        self,
        query: CDXQuery,
        sent: tuple[str, ...] = (),
        *,
        rank: int = 0,
        again: int = 0,
    ) -> Request:
        callbacks = (self.parse_file_cdx, self.file_cdx_failed)
        return cdx_request(
            self.archives, query, sent, rank=rank, again=again, callbacks=callbacks
        )

    def parse_file_cdx(
        self, response: Response, query: CDXQuery, rank: int = 0
    ) -> Iterator[Request]:
        stats = self.crawler.stats
        stats.inc_value("ise_archive/attachments/cdx_pages")
        sent: tuple[str, ...] = response.meta.get("cdx_sent", ())
        try:
            if response.status != 200:
                raise CDXError(f"HTTP {response.status}")
            page = self.archives[rank].parse_cdx(response.body, resumed=bool(sent))
            again = response.meta.get("cdx_again", 0)
            step = next_page(sent, page.resume_key, again=again)
            if step.failure:
                raise CDXError(f"its resume key repeats ({step.failure})")
        except CDXError as exc:
            # files not found are reported missing; the posts are not at stake
            stats.inc_value("ise_archive/attachments/cdx_failed")
            logger.warning(
                "Attachment listing %(url)s failed: %(exc)s",
                {"url": response.url, "exc": exc},
            )
            return
        self.run.state.add_file_captures(self.archives.listed_by(page.captures, rank))
        if step.key is not None:
            yield self.file_cdx_request(query, step.sent, rank=rank, again=step.again)

    def file_cdx_failed(self, failure: Failure) -> None:
        if not_sent(failure) or set_aside(failure):  # the next run lists it
            return
        self.crawler.stats.inc_value("ise_archive/attachments/cdx_failed")
        if self.check_blocked(failure):
            raise CloseSpider("blocked")
        logger.warning(
            "Attachment listing failed: %(f)s", {"f": failure.getErrorMessage()}
        )

    def file_request(self, fetch: FileFetch) -> Request:
        capture = fetch.capture
        rank = self.archives.rank_of(capture)
        return Request(
            self.archives[rank].raw_url(capture.timestamp, capture.original),
            callback=self.parse_file,
            errback=self.file_failed,
            cb_kwargs={"fetch": fetch},
            meta={
                "pool": self.archives.pool("replay", rank),
                "fetch": fetch,
                "handle_httpstatus_all": True,
                # over the cap: the download stops there, and the file is refused
                "download_maxsize": self.run.config.max_attachment_bytes,
                "download_warnsize": 0,
            },
            dont_filter=True,
        )

    def parse_file(self, response: Response, fetch: FileFetch) -> Iterator[Request]:
        stats = self.crawler.stats
        stats.inc_value("ise_archive/attachments/fetches")
        stats.inc_value("ise_archive/attachments/bytes", len(response.body))
        headers = {k.lower(): v for k, v in response.headers.to_unicode_dict().items()}
        if 300 <= response.status < 400:
            followed = follow_redirect(
                fetch,
                location=headers.get("location", ""),
                replay_url=response.url,
                replay_root=self.archives[
                    self.archives.rank_of(fetch.capture)
                ].replay_root,
                max_hops=self.plan.max_hops,
                index=file_index(self.run.state.file_captures()),
            )
            if isinstance(followed, FileFetch):
                stats.inc_value("ise_archive/attachments/redirects")
                yield self.file_request(followed)
            else:
                yield from self.settle_file(fetch, {"reason": followed})
            return
        result = save_file(
            fetch.capture,
            status=response.status,
            headers=headers,
            body=response.body,
            output_dir=self.run.config.output_dir,
            max_bytes=self.run.config.max_attachment_bytes,
            warc=_warc_ref(response.meta.get(FILE_WARC)),
        )
        yield from self.settle_file(fetch, result)

    def file_failed(self, failure: Failure) -> Iterator[Request]:
        fetch: FileFetch = failure.request.meta["fetch"]  # type: ignore[attr-defined]
        if not_sent(failure):  # the crawl is stopping: the file stays pending
            return
        if set_aside(failure):  # its archive is out: the next holder, else pending
            plan = self.plan.attachments
            following = plan.fall_back(fetch) if plan is not None else None
            if following is not None:
                yield self.file_request(following)
            return
        if self.check_blocked(failure):
            raise CloseSpider("blocked")
        reason = transport_failure(failure)
        # a download stopped at download_maxsize: the file is over the cap
        reason = "too-large" if reason == PageTooLarge.reason else f"failed:{reason}"
        logger.warning(
            "Fetching attachment %(url)s failed: %(err)s",
            {"url": fetch.capture.original, "err": failure.getErrorMessage()},
        )
        yield from self.settle_file(fetch, {"reason": reason})

    def settle_file(self, fetch: FileFetch, result: FileResult) -> Iterator[Request]:
        """Keep what became of a content, or fetch it from its next holder."""
        plan = self.plan.attachments
        if plan is not None and str(result.get("reason", "")).startswith("failed:"):
            following = plan.fall_back(fetch)
            if following is not None:
                self.crawler.stats.inc_value("ise_archive/attachments/fallbacks")
                yield self.file_request(following)
                return
        self.run.state.set_file(fetch.key, result)
        self.crawler.stats.inc_value(
            "ise_archive/attachments/saved"
            if "path" in result
            else f"ise_archive/attachments/missing/{result['reason']}"
        )

    def later_phases(self) -> dict[str, AttachmentPlan | LinkCheckPlan | None]:
        """The planners of the phases after the posts (WorkPlan fields)."""
        return {"attachments": self.attachment_plan(), "links": self.link_check_plan()}

    def attachment_plan(self) -> AttachmentPlan | None:
        config = self.run.config
        if not config.attachments:
            return None
        return AttachmentPlan(
            state=self.run.state,
            archive_base_url=config.archive_url_base,
            max_bytes=config.max_attachment_bytes,
            batch=config.plan_batch,
            archives=len(self.archives),
            output_dir=config.output_dir,
        )

    def crawl_planned(self, work: Iterable[Planned]) -> None:
        """Queue the requests of one planned round (any phase)."""
        for item in work:
            self.crawler.engine.crawl(self.planned_request(item))

    def planned_request(self, item: Planned) -> Request:
        """The request for one item of a planned round (any phase)."""
        if isinstance(item, LinkCheck):
            return self.link_check_request(item)
        if isinstance(item, FileQuery):
            return self.file_cdx_request(item.query, rank=item.rank)
        if isinstance(item, FileFetch):
            return self.file_request(item)
        return self.capture_request(item.capture)


def _warc_ref(location: WarcLocation | None) -> WarcRef | None:
    if location is None:
        return None
    return WarcRef(filename=location.filename, offset=location.offset)
