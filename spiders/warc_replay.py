"""A download handler that answers every request from the stored WARC files.

Used by ``ise-archive rebuild`` (:mod:`spiders.rebuild`) for ``http`` and ``https``:
the crawl runs as it ran, but each answer is the stored record for the URL asked
(:mod:`ise_archive.warc.replay`; a CDX query by what it asks), so nothing leaves the
machine. An answer the crawl stopped at its size cap (a ``WARC-Truncated`` record)
comes back flagged as Scrapy flagged it (:mod:`spiders.size_cap`), so it is
refused the same way. A request with no stored answer fails with
:class:`~ise_archive.errors.NotInWarc`; a CDX query among them is counted
(``ise_archive/rebuild/cdx_not_in_warc``) and fails the rebuild
(:mod:`spiders.rebuild`): discovery would silently find less.
"""

from __future__ import annotations

from pathlib import Path

from scrapy import Request
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes

from ise_archive.archive.cdx import cdx_query_key, describe_cdx_query
from ise_archive.errors import NotInWarc
from ise_archive.warc.reader import read_record
from ise_archive.warc.replay import (
    answer_index,
    answer_key,
    load_answers,
    replayed_headers,
)
from spiders.evidence import STORED, STORED_VERDICT
from spiders.size_cap import STOPPED

#: Stat: CDX queries of the rebuild that no stored answer matches.
CDX_NOT_IN_WARC = "ise_archive/rebuild/cdx_not_in_warc"


class WarcReplayHandler(BaseDownloadHandler):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.warc_dir = Path(crawler.settings.get("ISE_ARCHIVE_REPLAY_WARC_DIR"))
        answers = crawler.settings.get("ISE_ARCHIVE_REPLAY_ANSWERS")
        # the rebuild indexed every answer while it read the pages ahead
        self.index = load_answers(answers) if answers else answer_index(self.warc_dir)

    async def download_request(self, request: Request) -> Response:
        location = self.index.get(answer_key(request.url))
        if location is None and cdx_query_key(request.url):
            self.crawler.stats.inc_value(CDX_NOT_IN_WARC)
            raise NotInWarc(
                "the WARC files hold no answer to the CDX query "
                + describe_cdx_query(request.url)
            )
        if location is None:
            raise NotInWarc(f"no stored answer for {request.url}")
        record = read_record(self.warc_dir, location.filename, location.offset)
        headers = Headers(replayed_headers(record))
        request.meta[STORED] = location
        request.meta[STORED_VERDICT] = record.verified
        respcls = responsetypes.from_args(
            headers=headers, url=request.url, body=record.payload
        )
        return respcls(
            url=request.url,
            status=record.status,
            headers=headers,
            body=record.payload,
            request=request,
            # stopped at its size cap in the crawl: ends the same way again
            flags=[STOPPED] if record.truncated else None,
        )
