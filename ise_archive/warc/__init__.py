"""Keeping the evidence: what the archive served, as WARC/1.1 (and WACZ).

* :mod:`~ise_archive.warc.headers`: the original status line and headers of a
  capture, from what an archive replays (``X-Archive-Orig-*`` or as served);
* :mod:`~ise_archive.warc.digest`: the CDX payload digest (SHA-1, base32) and
  checking a payload against it;
* :mod:`~ise_archive.warc.writer`: one ``response`` record per fetched capture and per
  archive answer (CDX pages), one gzip member per record, files named by run and
  size-capped;
* :mod:`~ise_archive.warc.reader`: reading a record back by (file, offset),
  iterating, verifying every payload against its digest;
* :mod:`~ise_archive.warc.wacz`: packaging the WARC files as one WACZ (py-wacz).

Plain Python on :mod:`warcio`; nothing here knows about Scrapy or the spider.
"""

from __future__ import annotations

from ise_archive.warc.digest import payload_digest, same_digest
from ise_archive.warc.reader import StoredRecord, iter_records, read_record
from ise_archive.warc.writer import WarcLocation, WarcWriter

__all__ = [
    "StoredRecord",
    "WarcLocation",
    "WarcWriter",
    "iter_records",
    "payload_digest",
    "read_record",
    "same_digest",
]
