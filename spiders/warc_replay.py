"""A download handler that answers every request from the stored WARC files.

Used by ``ise-archive rebuild`` (:mod:`spiders.rebuild`) for ``http`` and ``https``:
the crawl runs as it ran, but each answer is the stored record for the URL asked
(:mod:`ise_archive.warc.replay`), so nothing leaves the machine. A request with no
stored answer fails with :class:`~ise_archive.errors.NotInWarc`.
"""

from __future__ import annotations

from pathlib import Path

from scrapy import Request
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes

from ise_archive.errors import NotInWarc
from ise_archive.warc.reader import read_record
from ise_archive.warc.replay import answer_index, replayed_headers
from spiders.evidence import STORED, STORED_VERDICT


class WarcReplayHandler(BaseDownloadHandler):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.warc_dir = Path(crawler.settings.get("ISE_ARCHIVE_REPLAY_WARC_DIR"))
        self.index = answer_index(self.warc_dir)

    async def download_request(self, request: Request) -> Response:
        location = self.index.get(request.url)
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
        )
