"""Merge every capture of one post into the one record the dataset holds.

The archive holds a post many times over: several timestamps, host and scheme
variants, the ``/node/<nid>`` shortlink and the ``/print/`` copy. Each capture that
was parsed gives a :class:`~ise_archive.records.Post`; this module picks the one whose
content the record carries, fills the few fields that capture's template lacks from
the next best, and lists every capture and every distinct content beside it.

**Which capture is used** (:func:`preference_key`, best first):

1. a *complete* page (non-empty body, a title and a publication date) beats a
   degraded one, whatever else is true of either;
2. a full page beats a print page (the print module drops tags, byline links and
   images captions in some templates);
3. the newer capture beats the older one (later edits win);
4. the smaller original URL wins a tie, so the choice never depends on input order.

**Which fields are filled** when the used capture lacks them, each from the best
capture (in the order above) that has it: ``title``, ``published``, ``tags``,
``related``, ``images``, ``nid``, and ``author`` with its ``author_url`` as a pair.
``author_url`` alone is filled only from a capture naming the same author. The
content fields (``body_markdown``, ``markdown``, ``links``, ``word_count``,
``content_sha256``, ``template``) always come from the used capture: they describe one
text and are never mixed. The document ``markdown`` is left as extracted, so a writer
that renders front matter should render it from the merged fields.

This module is pure: no I/O and no clock, so the same captures always give the same
record, byte for byte.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from ise_archive.archive.archives import parse_archive
from ise_archive.normalize.urls import unwrap_archive_url
from ise_archive.records import (
    Capture,
    CaptureRecord,
    CaptureRef,
    Post,
    Version,
    WarcRef,
)

logger = logging.getLogger(__name__)

# Fields filled from the next best capture when the used one has no value for them.
FILLED_FIELDS: tuple[str, ...] = (
    "title",
    "published",
    "tags",
    "related",
    "images",
    "nid",
    "author",
    "author_url",
)

_DIGIT_COMPLEMENT = str.maketrans("0123456789", "9876543210")


def state_key(capture: Capture) -> str:
    """The state key of a capture: its timestamp and original URL.

    >>> state_key(Capture(timestamp="20111006123456", original="http://ise.gov/x"))
    '20111006123456 http://ise.gov/x'
    """
    return f"{capture.timestamp} {capture.original}"


def archive_url(archive_base_url: str, capture: Capture) -> str:
    """The replay address of a capture, as people open it in a browser.

    ``archive_base_url`` names the main archive as ``WAYBACK_BASE_URL`` does
    (``[wayback:|pywb:]root``, :func:`ise_archive.archive.archives.parse_archive`);
    a capture of another archive (:attr:`Capture.archive`) is under that one.
    """
    archive = parse_archive(capture.archive or archive_base_url)
    return archive.archive_url(capture.timestamp, capture.original)


def is_complete(post: Post) -> bool:
    """True when a parsed page has everything a record needs: body, title, date.

    A capture truncated at crawl time or served by a broken template parses into a
    post with an empty body or no date; it must lose to any complete capture.
    """
    return bool(post.body_markdown.strip() and post.title.strip() and post.published)


def is_print_page(capture: Capture, post: Post) -> bool:
    """True for the print module's copy (``/print/blog/...``, ``/print/node/N``)."""
    path = urlsplit(unwrap_archive_url(capture.original)).path.lower()
    return post.template == "print" or path.startswith("/print/")


def preference_key(capture: Capture, post: Post) -> tuple[int, int, str, str]:
    """Sort key putting the capture a record should use first (see module docs)."""
    newest_first = capture.timestamp.ljust(14, "0").translate(_DIGIT_COMPLEMENT)
    return (
        0 if is_complete(post) else 1,
        1 if is_print_page(capture, post) else 0,
        newest_first,
        capture.original,
    )


def rank_extracted(
    extracted: Sequence[tuple[Capture, Post]],
) -> list[tuple[Capture, Post]]:
    """The parsed captures of a post, best first, one per capture key."""
    ranked = sorted(extracted, key=lambda pair: preference_key(*pair))
    seen: set[str] = set()
    unique = []
    for capture, post in ranked:
        if state_key(capture) not in seen:
            seen.add(state_key(capture))
            unique.append((capture, post))
    return unique


def merge_post(
    extracted: Sequence[tuple[Capture, Post]],
    others: Sequence[tuple[Capture, str]],
    *,
    archive_base_url: str,
    evidence: Mapping[str, tuple[WarcRef | None, bool]] | None = None,
) -> Post:
    """One record from all captures of a post.

    ``extracted`` are the captures parsed into a post (at least one); ``others`` are
    the post's remaining captures with their outcome (``duplicate``, ``skip:<r>``,
    ``failed:<r>``). A capture listed in both counts as extracted. ``evidence``
    gives the fetched captures' WARC records and digest checks, by capture key.
    """
    ranked = rank_extracted(extracted)
    merged, used = _merged_content(ranked, archive_base_url)
    records = capture_records(
        ranked, others, archive_base_url=archive_base_url, evidence=evidence or {}
    )
    return dataclasses.replace(
        merged,
        capture=used,
        captures=records,
        versions=content_versions(records, ranked),
    )


def merged_content(
    extracted: Sequence[tuple[Capture, Post]], *, archive_base_url: str
) -> Post:
    """What :func:`merge_post`'s record says of the post itself, ``captures`` and
    ``versions`` left empty: its text, images, links and the capture used.

    For the phases that read the posts' content before the dataset is written
    (attachments, link checks): the provenance of every capture costs as much again.
    """
    merged, used = _merged_content(rank_extracted(extracted), archive_base_url)
    return dataclasses.replace(merged, capture=used)


def _merged_content(
    ranked: Sequence[tuple[Capture, Post]], archive_base_url: str
) -> tuple[Post, CaptureRef]:
    """The best-ranked post with its empty fields filled, and the capture used."""
    if not ranked:
        raise ValueError("merge_post needs at least one extracted capture")
    used_capture, used = ranked[0]
    merged = fill_missing(used, [post for _, post in ranked[1:]])
    return merged, CaptureRef(
        timestamp=used_capture.timestamp,
        archive_url=archive_url(archive_base_url, used_capture),
        original=used_capture.original,
    )


def fill_missing(used: Post, fallbacks: Sequence[Post]) -> Post:
    """``used`` with its empty fields taken from the first fallback that has them."""
    changes: dict[str, object] = {}
    for name in ("title", "published", "tags", "related", "images", "nid"):
        if _is_empty(getattr(used, name)):
            donor = next(
                (p for p in fallbacks if not _is_empty(getattr(p, name))), None
            )
            if donor is not None:
                changes[name] = getattr(donor, name)
    if not used.author:
        donor = next((p for p in fallbacks if p.author), None)
        if donor is not None:
            changes["author"] = donor.author
            changes["author_url"] = donor.author_url
    elif not used.author_url:
        donor = next(
            (p for p in fallbacks if p.author == used.author and p.author_url), None
        )
        if donor is not None:
            changes["author_url"] = donor.author_url
    if changes:
        logger.debug(
            "Filled %(fields)s of %(url)s from other captures",
            {"fields": ", ".join(sorted(changes)), "url": used.url},
        )
    return dataclasses.replace(used, **changes)


def capture_records(
    ranked: Sequence[tuple[Capture, Post]],
    others: Sequence[tuple[Capture, str]],
    *,
    archive_base_url: str,
    evidence: Mapping[str, tuple[WarcRef | None, bool]] | None = None,
) -> tuple[CaptureRecord, ...]:
    """Every capture of the post, by timestamp then original URL.

    A ``duplicate`` capture (same payload digest as a parsed one) is given that
    capture's content hash, so the versions show how long a content stayed online.
    """
    used_key = state_key(ranked[0][0])
    content_by_digest: dict[str, str] = {}
    for capture, post in ranked:
        if capture.known_digest and post.content_sha256:
            content_by_digest.setdefault(capture.known_digest, post.content_sha256)
    fetched = evidence or {}
    rows: dict[str, CaptureRecord] = {}
    for capture, outcome in others:
        digest = capture.known_digest
        content = content_by_digest.get(digest, "") if digest else ""
        rows[state_key(capture)] = _capture_record(
            capture,
            archive_base_url,
            outcome=outcome,
            content_sha256=content if outcome == "duplicate" else "",
            evidence=fetched.get(state_key(capture)),
        )
    for capture, post in ranked:
        rows[state_key(capture)] = _capture_record(
            capture,
            archive_base_url,
            outcome="record",
            used=state_key(capture) == used_key,
            content_sha256=post.content_sha256,
            evidence=fetched.get(state_key(capture)),
        )
    return tuple(sorted(rows.values(), key=lambda r: (r.timestamp, r.original)))


def content_versions(
    records: Sequence[CaptureRecord], ranked: Sequence[tuple[Capture, Post]]
) -> tuple[Version, ...]:
    """Distinct contents in the order they were first seen.

    ``records`` must be in capture order. Title and word count of a version come from
    its best-ranked parsed capture.
    """
    best: dict[str, Post] = {}
    for _, post in ranked:
        if post.content_sha256:
            best.setdefault(post.content_sha256, post)
    spans: dict[str, list] = {}
    for record in records:
        if record.content_sha256 in best:
            span = spans.setdefault(
                record.content_sha256, [record.timestamp, record.timestamp, 0]
            )
            span[1] = record.timestamp
            span[2] += 1
    return tuple(
        Version(
            content_sha256=sha,
            word_count=best[sha].word_count,
            title=best[sha].title,
            first_seen=first,
            last_seen=last,
            captures=count,
        )
        for sha, (first, last, count) in spans.items()
    )


def _capture_record(
    capture: Capture,
    archive_base_url: str,
    *,
    outcome: str,
    used: bool = False,
    content_sha256: str = "",
    evidence: tuple[WarcRef | None, bool] | None = None,
) -> CaptureRecord:
    archive = parse_archive(capture.archive or archive_base_url)
    return CaptureRecord(
        timestamp=capture.timestamp,
        original=capture.original,
        archive_url=archive.archive_url(capture.timestamp, capture.original),
        digest=capture.digest,
        status=capture.status,
        mimetype=capture.mimetype,
        outcome=outcome,
        used=used,
        content_sha256=content_sha256,
        warc=evidence[0] if evidence else None,
        verified=evidence[1] if evidence else None,
        archive=archive.name,
    )


def _is_empty(value: object) -> bool:
    return value is None or value == "" or value == ()
