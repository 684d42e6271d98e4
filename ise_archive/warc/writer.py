"""Writing WARC/1.1 files: one ``response`` record per archived answer we were given.

Each fetched capture becomes a ``response`` record saying what the *original* server
answered at capture time: ``WARC-Target-URI`` is the original URL, ``WARC-Date`` the
capture's timestamp, the HTTP block holds the original status line and headers
(:func:`~ise_archive.warc.headers.original_headers`) and the payload exactly as the
archive served it raw (decoded from any transfer coding). ``WARC-Source-URI`` names
the memento the bytes came from. The archive's own answers that decided what the
crawl did (CDX pages, its redirects to the nearest capture, its "not archived"
pages) are ``response`` records too, under the URL we asked (``ISE-Archive-Role``
tells them apart), so a rebuild can replay the whole crawl offline. A post's images
and attached files are captures like the pages, with the role ``file``.

Files are named by run (``ise-archive-<run>-<n>.warc.gz``), start with a
``warcinfo`` record, are gzip-compressed per record (one gzip member each, at
:data:`GZIP_LEVEL`: warcio builds each record uncompressed and zlib compresses it,
because warcio's own gzip writer is fixed at level 9, whose compression was most
of what the evidence cost a crawl), and are written under a
temporary ``.open`` name that is renamed once the file is closed: a reader never sees
a file that is still growing, and earlier runs' files are never touched.
:func:`recover_open_files` turns the ``.open`` leftovers of a killed run into
complete files (cut after their last whole record) before a new run writes.
"""

from __future__ import annotations

import json
import logging
import os
import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from ise_archive.warc.digest import payload_digest
from ise_archive.warc.headers import DROPPED, original_headers, status_line

logger = logging.getLogger(__name__)

WARC_VERSION = "1.1"
#: WARC extension fields (ours): what a record is for, and the CDX digest it was
#: checked against.
ROLE_HEADER = "ISE-Archive-Role"
CDX_DIGEST_HEADER = "ISE-Archive-CDX-Digest"
#: WARC 1.1's field for a record whose block was cut (``length``: the download was
#: stopped at its size cap; we then keep no payload at all).
TRUNCATED_HEADER = "WARC-Truncated"
#: ``true`` when the payload matched the CDX digest as fetched (the raw transfer
#: or the decoded entity), ``false`` when not, ``unknown`` without a digest: the
#: verdict a rebuild reuses, since a gzip-coded original is stored decoded.
VERIFIED_HEADER = "ISE-Archive-Digest-Match"
#: ``capture``: an archived response (a page); ``file``: an archived response that
#: is a post's image or attached file (``files/``); ``cdx``: a CDX answer;
#: ``archive``: the archive's own answer (redirect to the nearest capture, "not
#: archived" page).
ROLES = ("capture", "file", "cdx", "archive")
#: The roles of records that hold what an original server sent (stored under the
#: original URL and capture date, found by their ``WARC-Source-URI``).
CAPTURE_ROLES = ("capture", "file")
SUFFIX = ".warc.gz"
OPEN_SUFFIX = ".open"
#: zlib level of each record's gzip member. Measured on the 2,253 records of a
#: 2,000-post crawl (93.8 MB uncompressed) and on the 150 saved captures of
#: ``tests/fixtures`` (4.6 MB), CPU per record and size against level 9 (warcio's):
#: level 1 0.21 ms, +18 % (fixtures +16 %); 3: 0.24 ms, +11 % (+10 %); 4: 0.31 ms,
#: +4.5 % (+3.6 %); 6: 0.48 ms, +0.4 % (+0.4 %); 9: 0.62 ms. Level 4 halves the
#: cost of level 9 for 4 % more bytes; below it each step saves little CPU for
#: much more size (docs/evidence.md, docs/benchmarks.md).
GZIP_LEVEL = 4
#: gzip framing for :func:`zlib.compress` (``wbits`` 16 + 15): what warcio writes.
GZIP_WBITS = 31


@dataclass(frozen=True, slots=True)
class WarcLocation:
    """Where a record starts: a file under the WARC directory and a byte offset."""

    filename: str
    offset: int

    def to_json(self) -> dict[str, Any]:
        return {"filename": self.filename, "offset": self.offset}


def warc_date(timestamp: str) -> str:
    """A 1-14 digit Wayback timestamp as a WARC-Date.

    >>> warc_date("20110114071109"), warc_date("2011")
    ('2011-01-14T07:11:09Z', '2011-01-01T00:00:00Z')
    """
    padded = timestamp + "00000101000000"[len(timestamp) :]
    moment = datetime.strptime(padded, "%Y%m%d%H%M%S")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_date(moment: datetime) -> str:
    """An aware datetime as a WARC-Date (UTC, seconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class WarcWriter:
    """Appends records to this run's WARC files under ``directory``.

    ``max_bytes`` caps a file's size (0: no cap): a record that starts past the cap
    goes into the next file. ``info`` is written into every file's ``warcinfo``
    record (values that are not strings as JSON).
    """

    def __init__(
        self,
        directory: Path,
        *,
        run_id: str,
        software: str,
        info: Mapping[str, Any] | None = None,
        max_bytes: int = 0,
    ) -> None:
        self.directory = directory
        self.run_id = run_id
        self.software = software
        self.info = dict(info or {})
        self.max_bytes = max_bytes
        self.closed_files: list[str] = []
        self._sequence = 0
        self._name = ""
        self._file: IO[bytes] | None = None
        #: warcio builds and serialises each record uncompressed into ``_plain``;
        #: :meth:`_append` writes it to the file as one gzip member.
        self._plain = BytesIO()
        self._builder = WARCWriter(self._plain, gzip=False, warc_version=WARC_VERSION)
        #: what writing cost (:meth:`written`): records, bytes, seconds
        self._records = self._bytes = 0
        self._seconds = 0.0

    def __enter__(self) -> WarcWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def write_capture(
        self,
        *,
        original: str,
        timestamp: str,
        status: int,
        headers: Iterable[tuple[str, str]],
        payload: bytes,
        source_uri: str,
        cdx_digest: str = "",
        verified: bool | None = None,
        role: str = "capture",
        truncated: str = "",
    ) -> WarcLocation:
        """One archived capture, as its original server answered (see module doc);
        ``role`` ``file`` for an attachment (a rebuild extracts no post from it).

        ``truncated``: the ``WARC-Truncated`` reason of an answer whose download
        was stopped (``length``: over its size cap), whose bytes are not kept: its
        digest was not checked (``unknown``), whatever ``verified`` says."""
        if role not in CAPTURE_ROLES:
            raise ValueError(f"not a capture's WARC record role: {role!r}")
        kept = original_headers(headers)
        kept.append(("Content-Length", str(len(payload))))
        fields = {"WARC-Date": warc_date(timestamp), "WARC-Source-URI": source_uri}
        if cdx_digest:
            fields[CDX_DIGEST_HEADER] = cdx_digest
        if truncated:
            verified = None
        fields[VERIFIED_HEADER] = {True: "true", False: "false", None: "unknown"}[
            verified
        ]
        return self._write(original, role, status, kept, payload, fields, truncated)

    def write_answer(
        self,
        *,
        url: str,
        status: int,
        headers: Iterable[tuple[str, str]],
        payload: bytes,
        role: str,
        fetched: datetime,
        truncated: str = "",
    ) -> WarcLocation:
        """An answer of the archive itself (``role`` ``cdx`` or ``archive``) to
        ``url``, with the archive's headers (minus transfer framing); ``truncated``
        as for :meth:`write_capture`."""
        if role not in ROLES:
            raise ValueError(f"unknown WARC record role {role!r}")
        kept = [(n, v) for n, v in headers if n.lower() not in DROPPED]
        kept.append(("Content-Length", str(len(payload))))
        fields = {"WARC-Date": iso_date(fetched)}
        return self._write(url, role, status, kept, payload, fields, truncated)

    def _write(
        self,
        uri: str,
        role: str,
        status: int,
        headers: list[tuple[str, str]],
        payload: bytes,
        fields: dict[str, str],
        truncated: str,
    ) -> WarcLocation:
        started = time.thread_time()  # CPU time: what a loaded machine cannot inflate
        handle = self._current()
        fields[ROLE_HEADER] = role
        if truncated:
            fields[TRUNCATED_HEADER] = truncated
        fields["WARC-Payload-Digest"] = payload_digest(payload)
        http = StatusAndHeaders(status_line(status), headers, protocol="HTTP/1.1")
        record = self._builder.create_warc_record(
            uri,
            "response",
            payload=BytesIO(payload),
            length=len(payload),
            warc_headers_dict=fields,
            http_headers=http,
        )
        offset = handle.tell()
        self._append(handle, record)
        self._records += 1
        self._bytes += handle.tell() - offset
        self._seconds += time.thread_time() - started
        return WarcLocation(self._name, offset)

    def _append(self, handle: IO[bytes], record: ArcWarcRecord) -> None:
        """Write ``record`` at the end of ``handle`` as one gzip member: warcio
        serialises it (headers, digests, block), zlib compresses it whole."""
        self._plain.seek(0)
        self._plain.truncate()
        self._builder.write_record(record)
        handle.write(zlib.compress(self._plain.getvalue(), GZIP_LEVEL, GZIP_WBITS))

    def written(self) -> dict[str, float]:
        """Records and (compressed) bytes written so far, and the CPU seconds spent
        writing them (digests, gzip, the file): the crawl's cost of its evidence,
        which ``benchmarks/crawl.py --warc-compare`` reports."""
        return {
            "records": self._records,
            "bytes": self._bytes,
            "seconds": round(self._seconds, 3),
        }

    def _current(self) -> IO[bytes]:
        if self._file is not None:
            if not self.max_bytes or self._file.tell() < self.max_bytes:
                return self._file
            self._close_file()
        self._sequence += 1
        self._name = f"ise-archive-{self.run_id}-{self._sequence:05d}{SUFFIX}"
        self.directory.mkdir(parents=True, exist_ok=True)
        handle = (self.directory / (self._name + OPEN_SUFFIX)).open("xb")
        info: dict[str, str] = {
            "software": self.software,
            "format": f"WARC File Format {WARC_VERSION}",
            "isPartOf": f"ise-archive run {self.run_id}",
        }
        for key, value in self.info.items():
            info[key] = value if isinstance(value, str) else json.dumps(value)
        self._append(handle, self._builder.create_warcinfo_record(self._name, info))
        self._file = handle
        return handle

    def _close_file(self) -> None:
        if self._file is None:
            return
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        os.replace(
            self.directory / (self._name + OPEN_SUFFIX), self.directory / self._name
        )
        self.closed_files.append(self._name)

    def discard(self) -> list[str]:
        """Drop the current file instead of closing it: for a run whose answers
        changed nothing (its earlier files hold the same), so an unchanged run
        leaves the dataset unchanged. Returns the files kept."""
        if self._file is not None:
            self._file.close()
            self._file = None
            (self.directory / (self._name + OPEN_SUFFIX)).unlink()
        return list(self.closed_files)

    def close(self) -> list[str]:
        """Close the current file (renaming it to its final name); the files written."""
        self._close_file()
        return list(self.closed_files)


def open_leftovers(directory: Path) -> list[Path]:
    """WARC files a killed run left open (``.open``): not part of the dataset; the
    next crawl or rebuild closes and keeps them (:func:`recover_open_files`)."""
    if not directory.is_dir():
        return []
    return sorted(directory.glob(f"*{SUFFIX}{OPEN_SUFFIX}"))


def recover_open_files(directory: Path) -> list[str]:
    """Finish the ``.open`` files a killed run left: keep their whole records.

    Each is cut after its last complete record and renamed to its final name (a
    file without one is removed), so the records the killed run already recorded
    in its state stay readable where the state says they are.
    """
    recovered: list[str] = []
    for path in open_leftovers(directory):
        end = end_of_whole_records(path)
        if end == 0:
            path.unlink()
            continue
        with path.open("r+b") as handle:
            handle.truncate(end)
            os.fsync(handle.fileno())
        final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
        os.replace(path, final)
        recovered.append(final.name)
        logger.warning(
            "Recovered %(name)s, left open by an interrupted run", {"name": final.name}
        )
    return recovered


def end_of_whole_records(path: Path) -> int:
    """Where the last whole record of ``path`` ends, reading from the start: the
    length of the file once cut after it (0: no whole record)."""
    end = 0
    with path.open("rb") as handle:
        records = ArchiveIterator(handle)
        try:
            for record in records:
                records.read_to_end(record)
                end = records.get_record_offset() + records.get_record_length()
        # AttributeError: warcio on a header cut before its WARC-Target-URI
        # (reader.next_record)
        except (
            ArchiveLoadFailed,
            AttributeError,
            EOFError,
            OSError,
            ValueError,
            zlib.error,
        ):
            pass
    return end
