"""Saving a fetched attachment under ``files/``, and filling a record's attachments.

A file comes raw from the archive (``id_``). It is kept only when it is archived
content (``Memento-Datetime``), a 200, no larger than the cap, and its SHA-1
matches the CDX digest when the index gave one; it is then written atomically to
``OUTPUT_DIR/files/<host>/<path>`` (:func:`ise_archive.dataset.paths.attachment_path`)
and described by its sha256, size and media type. What happened to each distinct
file content is a small JSON-able result the state keeps (:func:`save_file`), so a
later run fetches only what it lacks, and the dataset writer turns those results
into each record's ``attachments`` (:func:`attach_files`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ise_archive.archive.archives import WebArchive, parse_archive
from ise_archive.archive.wayback import archive_error_reason, is_archived_response
from ise_archive.attachments.captures import (
    TOO_LARGE,
    FileCopy,
    attachment_record,
    choose_capture,
    fetch_key,
    file_index,
    with_attachments,
)
from ise_archive.attachments.discovery import post_attachments
from ise_archive.dataset.paths import attachment_path, safe_join
from ise_archive.dataset.writer import atomic_temp_file
from ise_archive.records import Capture, Post, WarcRef, to_json
from ise_archive.warc.digest import same_digest

logger = logging.getLogger(__name__)

#: A result the state keeps for a file content (``files`` table).
FileResult = dict[str, Any]


def save_file(
    capture: Capture,
    *,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    output_dir: Path,
    max_bytes: int,
    warc: WarcRef | None = None,
) -> FileResult:
    """Check one raw answer for ``capture`` and save it; the result for the state.

    ``{"path", "sha256", "size", "mimetype", "warc", "timestamp", "original"}``
    for a saved file (``warc``: where the answer is kept, None without WARC output;
    ``timestamp``, ``original`` and ``archive``: the capture saved, which is not
    the one chosen when the archive redirected the fetch or another archive served
    it), else
    ``{"reason": ...}``: ``too-large``, ``failed:digest-mismatch``,
    ``failed:<archive error>`` or ``failed:http-<status>``. ``headers`` have
    lower-case names.
    """
    if not is_archived_response(headers):
        reason = archive_error_reason(status, headers, body) or f"http-{status}"
        return {"reason": f"failed:{reason}"}
    if status != 200:
        return {"reason": f"failed:http-{status}"}
    if len(body) > max_bytes:
        return {"reason": TOO_LARGE}
    if same_digest(body, capture.digest) is False:
        logger.warning(
            "Attachment %(url)s at %(ts)s does not match its CDX digest",
            {"url": capture.original, "ts": capture.timestamp},
        )
        return {"reason": "failed:digest-mismatch"}
    relative = attachment_path(capture.original, capture.digest)
    target = safe_join(output_dir, relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_temp_file(target) as (handle, temp):
        handle.write(body)
    os.replace(temp, target)
    mimetype = headers.get("content-type", "") or capture.mimetype
    return {
        "path": str(relative),
        "sha256": hashlib.sha256(body).hexdigest(),
        "size": len(body),
        "mimetype": mimetype.split(";", 1)[0].strip().lower(),
        "warc": to_json(warc),
        "timestamp": capture.timestamp,
        "original": capture.original,
        "archive": capture.archive,
    }


def attach_files(
    post: Post,
    index: Mapping[str, Sequence[Capture]],
    results: Mapping[str, FileResult],
    archive: WebArchive,
) -> Post:
    """``post`` with ``attachments`` (and ``images[].path``) from what was fetched.

    ``index`` is :func:`~ise_archive.attachments.captures.file_index` of the
    attachment captures listed, ``results`` the state's result per fetch key. A
    post without attachments is returned unchanged but for the empty field.
    """
    refs = post_attachments(post)
    if not refs:
        return post
    at = post.capture.timestamp if post.capture else None
    attachments = []
    for ref in refs:
        capture = choose_capture(index.get(ref.key, ()), at)
        result = results.get(fetch_key(capture)) if capture is not None else None
        if capture is not None and result and result.get("timestamp"):
            # the capture actually saved (redirected, or from another holder)
            capture = dataclasses.replace(
                capture,
                timestamp=result["timestamp"],
                original=result["original"],
                archive=result.get("archive", capture.archive),
            )
        archive_url = ""
        if capture is not None:
            served_by = parse_archive(capture.archive) if capture.archive else archive
            archive_url = served_by.archive_url(capture.timestamp, capture.original)
        attachments.append(
            attachment_record(ref, capture, _copy_of(result), archive_url=archive_url)
        )
    return with_attachments(post, attachments)


def _copy_of(result: FileResult | None) -> FileCopy | str | None:
    """The saved copy a state result describes, or why there is none (None: not
    fetched yet)."""
    if result is None:
        return None
    if "path" not in result:
        return str(result["reason"])
    return FileCopy(
        path=result["path"],
        sha256=result["sha256"],
        size=result["size"],
        mimetype=result["mimetype"],
        warc=WarcRef(**result["warc"]) if result.get("warc") else None,
    )


def attached_posts(
    posts: Iterable[Post],
    *,
    captures: Iterable[Capture],
    results: Mapping[str, FileResult],
    archive: WebArchive,
) -> Iterator[Post]:
    """Every post of ``posts`` (a stream) with its attachments filled in."""
    index = file_index(captures)
    for post in posts:
        yield attach_files(post, index, results, archive)
