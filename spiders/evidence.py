"""Keep the evidence while crawling: WARC records of every answer, digest checks.

Two downloader middlewares, both thin: the writing and checking is library code
(:mod:`ise_archive.warc`).

* :class:`RawDigestMiddleware` (just before ``HttpCompressionMiddleware``) keeps a
  capture's still-coded body: the Wayback Machine's digest of a gzip-coded original
  is that of the coded bytes. Each capture is checked against the digest the
  archive it came from listed (two archives may list different ones).
* :class:`WarcEvidenceMiddleware` (after the retry middlewares: final answers only)
  checks the decoded body too, fetches a capture whose bytes match neither once
  more, and writes every answer into this run's WARC files: captures as what the
  original server sent, CDX pages and the archive's own answers under the URL
  asked, an answer stopped at its size cap (:mod:`spiders.size_cap`) as truncated.
  A capture still different on its second fetch is written, then failed with
  :class:`~ise_archive.errors.DigestMismatch` (the spider settles it
  ``failed:digest-mismatch``; selection takes the post's next capture). Where the
  bytes are and whether they matched goes into the state (``captures[].warc``,
  ``captures[].verified``). During ``ise-archive rebuild`` the answers come from
  the WARC files (:mod:`spiders.warc_replay` puts the stored record's location and
  verdict in the request's meta): nothing is written, the stored verdict is reused.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from ise_archive import __version__
from ise_archive.archive.wayback import is_archived_response
from ise_archive.dataset.paths import WARC_DIR
from ise_archive.errors import DigestMismatch
from ise_archive.records import Capture, WarcRef
from ise_archive.store.merge import state_key
from ise_archive.warc.digest import same_digest
from ise_archive.warc.headers import header_pairs
from ise_archive.warc.rebuild import REPLAYED_SETTINGS, crawl_info
from ise_archive.warc.writer import WarcLocation, WarcWriter, recover_open_files
from spiders.run import crawl_run
from spiders.size_cap import truncation

logger = logging.getLogger(__name__)

#: request.meta keys: the still-coded body, the retry mark, the stored answer.
RAW_CHECKED = "ise_archive_coded_body"
DIGEST_RETRY = "ise_archive_digest_retry"
STORED = "ise_archive_stored"
STORED_VERDICT = "ise_archive_stored_verdict"
#: request.meta keys: where an attachment's answer is kept (for the spider's record);
#: a CDX answer that is evidence of a record (a link check), kept however the run ends.
FILE_WARC = "ise_archive_file_warc"
KEEP_ANSWER = "ise_archive_keep_answer"

#: Signal sent by the dataset pipeline before it packages the evidence: this run's
#: WARC files are closed (renamed to their final names) when it is received.
evidence_complete = object()


class RawDigestMiddleware:
    """Keep a capture's body as it came, before it is decoded, for the check."""

    def process_response(self, request: Request, response: Response) -> Response:
        capture: Capture | None = request.meta.get("capture")
        if capture is not None and response.headers.get(b"Content-Encoding"):
            request.meta[RAW_CHECKED] = response.body
        return response


class WarcEvidenceMiddleware:
    """Check every capture against its digest and write every answer as WARC."""

    def __init__(self, crawler: Crawler, *, enabled: bool, max_bytes: int) -> None:
        self.crawler = crawler
        self.enabled = enabled
        self.max_bytes = max_bytes
        self.writer: WarcWriter | None = None
        #: a capture's answer was written: this run's file is evidence of a record
        self.kept = False
        crawler.signals.connect(self.close, signal=evidence_complete)
        crawler.signals.connect(self.close, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcEvidenceMiddleware:
        # checked at start-up with every setting (ise_archive.config)
        s = crawler.settings
        return cls(
            crawler,
            enabled=s.getbool("ISE_ARCHIVE_WARC_ENABLED"),
            max_bytes=s.getint("ISE_ARCHIVE_WARC_MAX_BYTES"),
        )

    def process_response(
        self, request: Request, response: Response
    ) -> Request | Response:
        capture: Capture | None = request.meta.get("capture")
        if capture is None:
            if "fetch" in request.meta:  # an attachment
                self.keep_file(request, response, request.meta["fetch"].capture)
            elif str(request.meta.get("pool")).partition("@")[0] == "cdx":
                self.store_answer(request, response, "cdx")
            return response
        if not is_archived_response(response.headers):
            self.store_answer(request, response, "archive")
            return response
        verified = self.check(request, response, capture)
        if verified is False and not request.meta.get(DIGEST_RETRY):
            self.crawler.stats.inc_value("ise_archive/fetch/digest_retries")
            logger.info(
                "Payload of %(url)s differs from its CDX digest: fetching it again",
                {"url": request.url},
            )
            retry = request.replace(dont_filter=True)
            retry.meta[DIGEST_RETRY] = 1
            retry.meta.pop(RAW_CHECKED, None)
            return retry
        location = request.meta.get(STORED) or self.write_capture(
            request, response, capture, verified
        )
        # WARC output off (no location): the check is still recorded
        warc = location and WarcRef(filename=location.filename, offset=location.offset)
        crawl_run(self.crawler).state.set_evidence(
            state_key(capture), verified=bool(verified), warc=warc
        )
        kept_in = location.filename if location else "-"
        return self.settle_check(request, capture, verified, kept_in, response)

    def settle_check(
        self,
        request: Request,
        capture: Capture,
        verified: bool | None,
        kept_in: str,
        response: Response,
    ) -> Response:
        """The response, or :class:`DigestMismatch` for bytes that stayed wrong."""
        if verified is False:
            self.crawler.stats.inc_value("ise_archive/fetch/digest_mismatch")
            raise DigestMismatch(
                f"{request.url}: payload still differs from CDX digest "
                f"{capture.digest} (kept in {kept_in})"
            )
        if verified is None and not truncation(response):
            self.crawler.stats.inc_value("ise_archive/fetch/unverified")
        return response

    def check(
        self, request: Request, response: Response, capture: Capture
    ) -> bool | None:
        """The capture's digest check: as stored (rebuild), raw, then decoded;
        none for an answer stopped at its size cap (no bytes kept)."""
        if STORED in request.meta:
            return request.meta.get(STORED_VERDICT)
        if truncation(response):
            return None
        expected = crawl_run(self.crawler).state.listed_digest(capture)
        raw = request.meta.pop(RAW_CHECKED, None)
        if raw is not None and same_digest(raw, expected):
            return True
        return same_digest(response.body, expected)

    def keep_file(self, request: Request, response: Response, capture: Capture) -> None:
        """An attachment's answer, kept like a page's (role ``file``); the spider
        checks and saves it, and records where it is kept (``FILE_WARC``)."""
        if not is_archived_response(response.headers):
            return self.store_answer(request, response, "archive")
        verified = same_digest(response.body, capture.digest)
        request.meta[FILE_WARC] = request.meta.get(STORED) or self.write_capture(
            request, response, capture, verified, role="file"
        )

    def write_capture(
        self,
        request: Request,
        response: Response,
        capture: Capture,
        verified: bool | None,
        role: str = "capture",
    ) -> WarcLocation | None:
        writer = self.open_writer()
        if writer is None:
            return None
        self.kept = True
        return writer.write_capture(
            original=capture.original,
            timestamp=capture.timestamp,
            status=response.status,
            headers=header_pairs(response.headers.items()),
            payload=response.body,
            source_uri=request.url,
            cdx_digest=capture.digest,
            verified=verified,
            role=role,
            truncated=truncation(response),
        )

    def store_answer(self, request: Request, response: Response, role: str) -> None:
        writer = None if STORED in request.meta else self.open_writer()
        if writer is None:
            return
        self.kept |= role != "cdx" or KEEP_ANSWER in request.meta
        writer.write_answer(
            url=request.url,
            status=response.status,
            headers=header_pairs(response.headers.items()),
            payload=response.body,
            role=role,
            fetched=datetime.now(UTC),
            truncated=truncation(response),
        )

    def open_writer(self) -> WarcWriter | None:
        """This run's writer, opened at the first record."""
        if not self.enabled:
            return None
        if self.writer is None:
            run = crawl_run(self.crawler)
            directory = run.config.output_dir / WARC_DIR
            recover_open_files(directory)
            spider = self.crawler.spider
            settings = {n: self.crawler.settings.get(n) for n in REPLAYED_SETTINGS}
            self.writer = WarcWriter(
                directory,
                run_id=run.run_id,
                software=f"ise-archive/{__version__} (warcio)",
                info=crawl_info(
                    settings,
                    spider.arguments,
                    spider.options,
                    to_year=run.config.to_year,
                ),
                max_bytes=self.max_bytes,
            )
        return self.writer

    def close(self) -> None:
        """Close this run's WARC file (the first call does it; later ones no-op).

        A run that fetched no capture and listed nothing new drops its file (only
        CDX pages the earlier runs' files already answer), so it changes nothing."""
        if self.writer is not None:
            stats = self.crawler.stats
            unchanged = not self.kept and not stats.get_value("ise_archive/cdx/new", 0)
            names = self.writer.discard() if unchanged else self.writer.close()
            stats.set_value("ise_archive/warc/written", self.writer.written())
            self.writer = None
            stats.set_value("ise_archive/warc/files", len(names))
