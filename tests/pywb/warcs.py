"""Captures of a corpus written as WARC/1.1 with warcio, the way a crawler stores them.

Each CDX row of a corpus (``tests/wayback/archive.py``: original URL, timestamp,
status, original headers, payload) becomes one record:

* a ``response`` record with the original status line and headers (a redirect keeps
  its ``Location``) and the payload exactly as served, ``WARC-Date`` the capture
  time; warcio adds ``WARC-Payload-Digest``, the same base32 SHA-1 the corpus's CDX
  ``digest`` holds, so pywb's index and the Wayback imitation's agree;
* a ``revisit`` record (``identical-payload-digest``) for a row with status ``-``,
  pointing at the earlier response with the same digest, which pywb resolves.

This is test tooling: it writes files, it never talks to an archive.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime
from http.client import responses
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.wayback.archive import Archive, CaptureRow

# The transfer's own headers: the payload below is neither chunked nor compressed.
_TRANSFER = frozenset({"transfer-encoding", "content-encoding", "content-length"})


def warc_date(timestamp: str) -> str:
    """``20111006123456`` -> ``2011-10-06T12:34:56Z`` (WARC-Date)."""
    return datetime.strptime(timestamp, "%Y%m%d%H%M%S").strftime("%Y-%m-%dT%H:%M:%SZ")


def write_warc(path: Path, archive: Archive, rows: Iterable[CaptureRow]) -> int:
    """Write ``rows`` of ``archive`` to one gzipped WARC file; return the count.

    A revisit whose original response is not among ``rows`` is left out (pywb
    could not resolve it): a collection holds whole captures only.
    """
    rows = list(rows)
    first_of_digest: dict[str, CaptureRow] = {}
    for row in rows:
        if not row.is_revisit:
            first_of_digest.setdefault(row.digest, row)
    written = 0
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True, warc_version="WARC/1.1")
        for row in rows:
            if row.is_revisit:
                original = first_of_digest.get(row.digest)
                if original is None:
                    continue
                record = writer.create_revisit_record(
                    row.original,
                    digest=f"sha1:{row.digest}",
                    refers_to_uri=original.original,
                    refers_to_date=warc_date(original.timestamp),
                    warc_headers_dict={"WARC-Date": warc_date(row.timestamp)},
                )
            else:
                record = writer.create_warc_record(
                    row.original,
                    "response",
                    payload=io.BytesIO(archive.payload(row)),
                    http_headers=_status_and_headers(row),
                    warc_headers_dict={"WARC-Date": warc_date(row.timestamp)},
                )
            writer.write_record(record)
            written += 1
    return written


def _status_and_headers(row: CaptureRow) -> StatusAndHeaders:
    status = int(row.statuscode)
    headers = [(k, v) for k, v in row.headers if k.lower() not in _TRANSFER]
    if row.location and not any(k.lower() == "location" for k, _ in headers):
        headers.append(("Location", row.location))
    reason = responses.get(status, "Unknown")
    return StatusAndHeaders(f"{status} {reason}", headers, protocol="HTTP/1.1")
