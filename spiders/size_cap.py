"""Downloads over their size cap: stopped with their answer's head kept as evidence.

A page or file request carries its cap as ``download_maxsize`` (the page and
attachment size settings). Scrapy's own cancel, inside its download handler, loses
the archive's answer with it: nothing reaches the middlewares, so the WARC could not
say what the archive answered and a rebuild, finding no record, ended the request
``failed:not-in-warc`` where the crawl said ``too-large``. So the download is
stopped first, at the same limit, through Scrapy's public ``headers_received`` and
``bytes_received`` signals and ``StopDownload(fail=False)``: the answer comes back
as a response flagged ``download_stopped``.

* :class:`StopAtSizeMiddleware` (next to the download handler) stops such a download
  and keeps its status and headers, none of its bytes (a part of a refused file is
  no evidence of anything, and a coded part would not decode);
* :class:`spiders.evidence.WarcEvidenceMiddleware` writes it as a ``response``
  record with ``WARC-Truncated: length`` (the WARC standard's "exceeds configured
  max length") and no payload;
* :class:`RefuseStoppedMiddleware` (after the evidence) then fails it with the
  ``DownloadCancelledError`` Scrapy would have raised, so the spider's errbacks
  settle it as before (``too-large``, ``failed:page-too-large``).

A rebuild answers with the truncated record flagged the same way
(:mod:`spiders.warc_replay`), so the request ends as the crawl's did. A body that
only outgrows the cap while being decoded (a compressed transfer) is still
refused by Scrapy's ``HttpCompressionMiddleware``, unrecorded.
"""

from __future__ import annotations

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError, StopDownload
from scrapy.http import Headers, Response

#: Scrapy's flag of a response whose download a signal handler stopped.
STOPPED = "download_stopped"
#: The WARC-Truncated reason of such an answer (WARC 1.1, section 5.13).
TRUNCATED_REASON = "length"
#: request.meta: body bytes received so far by the current download.
RECEIVED = "ise_archive_received"


def truncation(response: Response) -> str:
    """The ``WARC-Truncated`` value of an answer: ``length`` for one stopped at its
    cap, empty for a whole one."""
    return TRUNCATED_REASON if STOPPED in response.flags else ""


def _cap(request: Request) -> int:
    return int(request.meta.get("download_maxsize") or 0)


class StopAtSizeMiddleware:
    """Stop a download once it is known to exceed its cap; keep its head only."""

    def __init__(self, crawler: Crawler) -> None:
        crawler.signals.connect(self.headers_received, signal=signals.headers_received)
        crawler.signals.connect(self.bytes_received, signal=signals.bytes_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StopAtSizeMiddleware:
        return cls(crawler)

    def headers_received(
        self, headers: Headers, body_length: object, request: Request, spider: object
    ) -> None:
        """Stop an answer whose announced length is over the cap (Scrapy gives
        twisted's ``UNKNOWN_LENGTH``, not an int, when none is announced)."""
        request.meta[RECEIVED] = 0  # each download of the request counts afresh
        cap = _cap(request)
        if cap and isinstance(body_length, int) and body_length > cap:
            raise StopDownload(fail=False)

    def bytes_received(self, data: bytes, request: Request, spider: object) -> None:
        """Stop an answer of unannounced length once more than the cap came."""
        cap = _cap(request)
        if not cap:
            return
        request.meta[RECEIVED] = request.meta.get(RECEIVED, 0) + len(data)
        if request.meta[RECEIVED] > cap:
            raise StopDownload(fail=False)

    def process_response(self, request: Request, response: Response) -> Response:
        if STOPPED not in response.flags or not _cap(request):
            return response
        headers = response.headers.copy()
        headers.pop(b"Content-Encoding", None)  # no coded bytes are kept
        return response.replace(headers=headers, body=b"")


class RefuseStoppedMiddleware:
    """Fail a stopped answer as Scrapy fails a download over its max size, once
    the evidence middleware has kept it."""

    def process_response(self, request: Request, response: Response) -> Response:
        if STOPPED in response.flags and _cap(request):
            raise DownloadCancelledError(
                f"{request.url}: larger than its size cap ({_cap(request)} bytes); "
                "download stopped, its status and headers kept"
            )
        return response
