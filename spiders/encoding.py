"""Undoing the Wayback Machine's doubled ``Content-Encoding`` before Scrapy decodes."""

from __future__ import annotations

from scrapy import Request
from scrapy.http import Response


class DuplicateEncodingMiddleware:
    """Collapse a repeated ``Content-Encoding`` before Scrapy decompresses the body.

    The Wayback Machine replays a gzipped original with its own ``Content-Encoding:
    gzip`` *and* the archived one, so the header says ``gzip, gzip`` for a body that
    is compressed once; decoding twice fails ("Not a gzipped file"). Runs closer to
    the downloader than ``HttpCompressionMiddleware`` (590).
    """

    def process_response(self, request: Request, response: Response) -> Response:
        values = response.headers.getlist(b"Content-Encoding")
        codings = [
            part.strip().lower()
            for value in values
            for part in value.split(b",")
            if part.strip()
        ]
        collapsed: list[bytes] = []
        for coding in codings:
            if not collapsed or collapsed[-1] != coding:
                collapsed.append(coding)
        if collapsed == codings:
            return response
        headers = response.headers.copy()
        headers[b"Content-Encoding"] = b", ".join(collapsed)
        return response.replace(headers=headers)
