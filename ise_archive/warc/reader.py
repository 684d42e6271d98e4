"""Reading our WARC files back: one record by (file, offset), all of them, verified.

A record is read with :mod:`warcio` exactly as any WARC tool would read it; the
payload is the stored entity (no content or transfer decoding is applied: we store
it decoded). :func:`verify_warcs` re-hashes every record's block and payload against
its ``WARC-Block-Digest`` and ``WARC-Payload-Digest``; a changed byte breaks a digest
or the gzip member's CRC, and either is reported.

This module never writes.
"""

from __future__ import annotations

import contextlib
import io
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from ise_archive.errors import DamagedWarc
from ise_archive.warc.digest import same_digest
from ise_archive.warc.writer import (
    CAPTURE_ROLES,
    CDX_DIGEST_HEADER,
    ROLE_HEADER,
    SUFFIX,
    TRUNCATED_HEADER,
    VERIFIED_HEADER,
    end_of_whole_records,
)

_T = TypeVar("_T")

#: What can go wrong reading a damaged WARC file (bad gzip, CRC, header syntax).
READ_ERRORS = (ArchiveLoadFailed, EOFError, OSError, ValueError, zlib.error)


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredRecord:
    """One ``response`` record as stored: where it is, what it says, its bytes."""

    filename: str
    offset: int
    role: str
    target_uri: str
    date: str
    source_uri: str
    status: int
    headers: tuple[tuple[str, str], ...]
    payload: bytes
    payload_digest: str
    cdx_digest: str
    #: The crawl's digest check: True, False, or None (no CDX digest / not a capture).
    verified: bool | None = None
    #: ``WARC-Truncated``: ``length`` for an answer stopped at its size cap (no
    #: payload kept), empty for a whole one.
    truncated: str = ""

    @property
    def timestamp(self) -> str:
        """``WARC-Date`` as a 14-digit Wayback timestamp.

        >>> _record(date="2011-01-14T07:11:09Z").timestamp
        '20110114071109'
        """
        return "".join(c for c in self.date if c.isdigit())[:14]


@dataclass(frozen=True, slots=True)
class WarcProblem:
    """A WARC file or record that does not check out."""

    path: str
    message: str


def warc_files(directory: Path) -> list[Path]:
    """The closed WARC files under ``directory``, in name (= run) order."""
    if not directory.is_dir():
        return []
    return sorted(directory.glob(f"*{SUFFIX}"))


@contextlib.contextmanager
def reading(name: str) -> Iterator[None]:
    """Reads of the WARC file ``name`` whose damage raises one
    :class:`~ise_archive.errors.DamagedWarc` naming it.

    warcio writes what zlib says of a damaged gzip member straight to stderr (once
    per block it fails on) and reads on, or fails later with "Unknown archive
    format"; here those lines are kept off the terminal and become the cause, so
    a damaged WARC is named once, in the command's own words, and nothing is built
    from what was read of it. Wrap reads only, never a ``yield`` to a caller: the
    caller's own stderr would be swallowed too.
    """
    complaints = io.StringIO()
    failure: BaseException | None = None
    try:
        with contextlib.redirect_stderr(complaints):
            yield
    except READ_ERRORS as exc:
        failure = exc
    said = [line for line in complaints.getvalue().splitlines() if line.strip()]
    if said:  # the cause: what it broke further on would only repeat it
        raise DamagedWarc(
            name,
            f"damaged compressed data ({said[0].strip()}; {len(said)} time(s)): "
            "a byte changed or the file was cut",
        ) from failure
    if failure is not None:
        detail = " ".join(str(failure).split())[:200]  # one line, however long
        raise DamagedWarc(
            name, f"unreadable: {type(failure).__name__}: {detail}"
        ) from failure


def read_record(directory: Path, filename: str, offset: int) -> StoredRecord:
    """The record at ``offset`` of ``directory/filename``."""
    with (directory / filename).open("rb") as handle, reading(filename):
        handle.seek(offset)
        record = next_record(iter(ArchiveIterator(handle)), directory / filename)
        if record is None:
            raise ArchiveLoadFailed(f"no WARC record at {filename}:{offset}")
        return _stored(record, filename, offset)


def next_record(records: Iterator[Any], path: Path) -> Any:
    """warcio's next record of the file ``path``, None after the last.

    A ``response`` header without its ``WARC-Target-URI`` makes warcio fail with
    ``AttributeError`` (``startswith`` of None) instead of its own error. Two
    things leave one: a file cut inside a header, which reads as far as it goes
    (like a cut between records: the records it lost are not in the WARC), and a
    changed byte, which garbles what a gzip member decompresses to before its CRC
    is checked at the member's end: damage.
    """
    try:
        return next(records, None)
    except AttributeError as exc:
        if _cut_after_whole_records(path):
            return None
        raise ArchiveLoadFailed(f"garbled record header ({exc})") from exc


def _cut_after_whole_records(path: Path) -> bool:
    """Whether what follows the whole records of ``path`` is one gzip member cut
    short by the end of the file (a changed byte instead leaves a member that
    ends, or that zlib refuses)."""
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    with path.open("rb") as handle:
        handle.seek(end_of_whole_records(path))
        while chunk := handle.read(1 << 16):
            try:
                inflater.decompress(chunk)
            except zlib.error:
                return False
            if inflater.eof:
                return False
    return True


def iter_records(directory: Path) -> Iterator[StoredRecord]:
    """Every ``response`` record of every closed WARC file, in file and file order.

    Raises :class:`~ise_archive.errors.DamagedWarc` at the first sign of damage.
    """

    def stored(name: str, archive: ArchiveIterator, record: Any) -> StoredRecord:
        found = _stored(record, name, 0)  # reads the payload
        # first: asking the offset earlier reads the record to its end
        return replace(found, offset=archive.get_record_offset())

    return _each_response(directory, stored)


def iter_heads(directory: Path) -> Iterator[tuple[str, int, str, str, int]]:
    """``(filename, offset, role, target or source URI, status)`` of every
    ``response`` record, without keeping payloads (an index is built from this).

    Raises :class:`~ise_archive.errors.DamagedWarc` at the first sign of damage.
    """

    def head(
        name: str, archive: ArchiveIterator, record: Any
    ) -> tuple[str, int, str, str, int]:
        headers = record.rec_headers
        role = headers.get_header(ROLE_HEADER) or ""
        uri = headers.get_header(
            "WARC-Source-URI" if role in CAPTURE_ROLES else "WARC-Target-URI"
        )
        http = record.http_headers
        status = int(http.get_statuscode()) if http else 0
        return name, archive.get_record_offset(), role, uri or "", status

    return _each_response(directory, head)


def _each_response(
    directory: Path, read: Callable[[str, ArchiveIterator, Any], _T]
) -> Iterator[_T]:
    """``read(filename, iterator, record)`` of every ``response`` record, in file
    and file order. Each step runs inside :func:`reading` (damage is one
    :class:`~ise_archive.errors.DamagedWarc`), never the caller's code after a
    ``yield``."""
    for path in warc_files(directory):
        with path.open("rb") as handle:
            archive = ArchiveIterator(handle)
            records = iter(archive)
            while True:
                with reading(path.name):
                    record = next_record(records, path)
                    if record is None:
                        break
                    if record.rec_type != "response":
                        continue
                    value = read(path.name, archive, record)
                yield value


def verify_warcs(directory: Path) -> Iterator[WarcProblem]:
    """Every record whose bytes do not match its digests, and every unreadable file
    (:func:`reading`: a damaged file is one problem, named by its cause)."""
    for path in warc_files(directory):
        try:
            with reading(path.name):
                found = list(_verify_file(path))
        except DamagedWarc as exc:
            found = [WarcProblem(path.name, exc.reason)]
        yield from found


def _verify_file(path: Path) -> Iterator[WarcProblem]:
    with path.open("rb") as handle:
        records = ArchiveIterator(handle, check_digests=True)
        each = iter(records)
        while (record := next_record(each, path)) is not None:
            payload = record.raw_stream.read()
            records.read_to_end(record)
            where = f"{path.name}:{records.get_record_offset()}"
            expected = record.rec_headers.get_header("WARC-Payload-Digest")
            if expected and same_digest(payload, expected) is False:
                uri = record.rec_headers.get_header("WARC-Target-URI")
                yield WarcProblem(where, f"payload of {uri} does not match its digest")
            checker = record.digest_checker
            if not checker.passed and checker.passed is not None:
                for problem in checker.problems:
                    yield WarcProblem(where, str(problem))


def _stored(record: object, filename: str, offset: int) -> StoredRecord:
    rec_headers = record.rec_headers  # type: ignore[attr-defined]
    http = record.http_headers  # type: ignore[attr-defined]
    payload = record.raw_stream.read()  # type: ignore[attr-defined]
    status = int(http.get_statuscode()) if http else 0
    return StoredRecord(
        filename=filename,
        offset=offset,
        role=rec_headers.get_header(ROLE_HEADER) or "",
        target_uri=rec_headers.get_header("WARC-Target-URI") or "",
        date=rec_headers.get_header("WARC-Date") or "",
        source_uri=rec_headers.get_header("WARC-Source-URI") or "",
        status=status,
        headers=tuple(http.headers) if http else (),
        payload=payload,
        payload_digest=rec_headers.get_header("WARC-Payload-Digest") or "",
        cdx_digest=rec_headers.get_header(CDX_DIGEST_HEADER) or "",
        verified={"true": True, "false": False}.get(
            rec_headers.get_header(VERIFIED_HEADER) or ""
        ),
        truncated=rec_headers.get_header(TRUNCATED_HEADER) or "",
    )


def _record(**fields: object) -> StoredRecord:
    """A record for doctests."""
    values: dict[str, object] = {
        "filename": "f",
        "offset": 0,
        "role": "capture",
        "target_uri": "",
        "date": "",
        "source_uri": "",
        "status": 200,
        "headers": (),
        "payload": b"",
        "payload_digest": "",
        "cdx_digest": "",
    }
    values.update(fields)
    return StoredRecord(**values)  # type: ignore[arg-type]
