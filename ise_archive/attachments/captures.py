"""Which capture of an attachment to fetch, and what the record says of it.

The CDX prefix listings (:func:`ise_archive.attachments.discovery.discovery_prefixes`)
give every capture of every file under the site's file directories. For each
attachment of a post this module picks one (:func:`choose_capture`): the last
capture at or before the post's own capture, so the file is the one the post
linked to then, else the first one after (the file was captured later than the
post). Several posts sharing a file at the same content share one fetch: fetches
are keyed by the file and its payload digest (:func:`fetch_key`).

This module computes with values; it performs no I/O.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ise_archive.attachments.discovery import AttachmentRef, attachment_key
from ise_archive.records import Attachment, Capture, Post, WarcRef

logger = logging.getLogger(__name__)

#: The reason of an attachment no archive listed.
NOT_ARCHIVED = "not-archived"
#: The reason of a file larger than ISE_ARCHIVE_MAX_ATTACHMENT_BYTES.
TOO_LARGE = "too-large"


@dataclass(frozen=True, slots=True, kw_only=True)
class FileCopy:
    """A file fetched raw from the archive and saved under ``files/``."""

    path: str
    sha256: str
    size: int
    mimetype: str
    #: The file's WARC ``response`` record (None: WARC output was off).
    warc: WarcRef | None = None


def file_index(captures: Iterable[Capture]) -> dict[str, list[Capture]]:
    """The usable captures of each file (by :func:`attachment_key`), oldest first.

    Only captures whose payload is the file are kept: ``200`` answers and revisits
    (``-``, the same payload as an earlier capture); redirects and errors are not
    the file.
    """
    index: dict[str, list[Capture]] = {}
    for capture in captures:
        if capture.status in ("200", "-") or capture.is_revisit:
            index.setdefault(attachment_key(capture.original), []).append(capture)
    for rows in index.values():
        rows.sort(key=_capture_order)
    return index


def choose_capture(captures: Sequence[Capture], at: str | None) -> Capture | None:
    """The capture of a file a post of time ``at`` should show.

    The last one at or before ``at`` (what the post linked to when it was
    captured), else the first after it; with no ``at`` (a partial record), the
    newest. ``captures`` is one file's list from :func:`file_index`.

    >>> rows = [Capture(timestamp=t, original="http://www.ise.gov/f.pdf",
    ...     status="200") for t in ("2010", "2012", "2014")]
    >>> choose_capture(rows, "20130101000000").timestamp
    '2012'
    >>> choose_capture(rows, "2009").timestamp
    '2010'
    """
    if not captures:
        return None
    ordered = sorted(captures, key=_capture_order)
    if not at:
        best = ordered[-1]
    else:
        moment = _padded(at)
        before = [c for c in ordered if _padded(c.timestamp) <= moment]
        best = before[-1] if before else ordered[0]
    # one capture several archives hold: the main archive's copy first
    same = (best.timestamp, best.original)
    return next(c for c in ordered if (c.timestamp, c.original) == same)


def fetch_key(capture: Capture) -> str:
    """One fetch per file content: its key plus the payload digest (or, without a
    digest, the capture itself)."""
    content = capture.known_digest or f"{capture.timestamp}"
    return f"{attachment_key(capture.original)} {content}"


def plan_fetches(
    wanted: Iterable[tuple[str | None, AttachmentRef]],
    index: Mapping[str, Sequence[Capture]],
) -> dict[str, Capture]:
    """The distinct captures to fetch for ``wanted`` (``(post capture time, ref)``),
    by :func:`fetch_key`: a file several posts use at the same content is fetched
    once, at the first capture chosen for it (the main archive's, when another
    archive's was chosen first)."""
    fetches: dict[str, Capture] = {}
    for at, ref in wanted:
        capture = choose_capture(index.get(ref.key, ()), at)
        if capture is None:
            continue
        key = fetch_key(capture)
        current = fetches.get(key)
        if current is None or (current.archive and not capture.archive):
            fetches[key] = capture
    return fetches


def attachment_record(
    ref: AttachmentRef,
    capture: Capture | None,
    copy: FileCopy | str | None,
    *,
    archive_url: str = "",
) -> Attachment:
    """What a record says of one attachment.

    ``capture`` is the one chosen (None: no archive listed the file); ``copy`` the
    saved file, or the reason it could not be had (``too-large``,
    ``failed:<reason>``), or None when it was not fetched (yet).
    """
    if capture is None:
        return Attachment(url=ref.url, kind=ref.kind, missing=True, reason=NOT_ARCHIVED)
    if not isinstance(copy, FileCopy):
        reason = copy or "failed:not-fetched"
        return Attachment(url=ref.url, kind=ref.kind, missing=True, reason=reason)
    return Attachment(
        url=ref.url,
        kind=ref.kind,
        timestamp=capture.timestamp,
        archive_url=archive_url,
        mimetype=copy.mimetype,
        size=copy.size,
        sha256=copy.sha256,
        path=copy.path,
        warc=copy.warc,
    )


def with_attachments(post: Post, attachments: Sequence[Attachment]) -> Post:
    """``post`` with its attachments, and each image pointing at its rescued copy
    (``Image.path``; "" for an image that was not rescued)."""
    rescued = {attachment_key(a.url): a.path for a in attachments if not a.missing}
    images = tuple(
        dataclasses.replace(image, path=rescued.get(attachment_key(image.url), ""))
        for image in post.images
    )
    return dataclasses.replace(post, attachments=tuple(attachments), images=images)


def local_copies(post: Post) -> dict[str, str]:
    """Every URL spelling the post's Markdown uses for a rescued file, with the
    copy's dataset path (what :func:`ise_archive.markdown.local.localize_markdown`
    rewrites)."""
    rescued = {attachment_key(a.url): a.path for a in post.attachments if a.path}
    if not rescued:
        return {}
    urls = [image.url for image in post.images] + [link.url for link in post.links]
    return {
        url: rescued[attachment_key(url)]
        for url in urls
        if attachment_key(url) in rescued
    }


def _capture_order(capture: Capture) -> tuple[str, str, bool, str]:
    """Time order; one capture held by several archives: the main archive first."""
    return (
        _padded(capture.timestamp),
        capture.original,
        bool(capture.archive),
        capture.archive,
    )


def _padded(timestamp: str) -> str:
    return timestamp.ljust(14, "0")
