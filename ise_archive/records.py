"""The values that flow through ise-archive: captures, posts and skips.

All are frozen, slotted, keyword-only dataclasses: a record is built once by the one
function that produces it and never mutated afterwards (use ``dataclasses.replace``).
``to_json()`` is the only way a record becomes JSON; its output is what
``schema/record.schema.json`` describes and what ``records.jsonl`` holds. Field names
are a contract other tools rely on: add fields, never rename them.

This module does not fetch, parse or write anything.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

#: How much of a post a record holds (see :attr:`Post.completeness`).
Completeness = Literal["full", "partial"]

#: What an archived page can be. Only ``post`` produces a record.
PageKind = Literal["post", "listing", "feed", "tag", "user", "not_found", "other"]
PAGE_KINDS: tuple[str, ...] = (
    "post",
    "listing",
    "feed",
    "tag",
    "user",
    "not_found",
    "other",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Capture:
    """One row of the archive's capture index (CDX).

    ``status`` is the HTTP status as the CDX server prints it: ``"-"`` marks a
    ``warc/revisit`` record, whose payload is that of an earlier capture with the same
    ``digest``. ``timestamp`` is the 14-digit UTC capture time (``20111006123456``).
    """

    timestamp: str
    original: str
    urlkey: str = ""
    mimetype: str = ""
    status: str = ""
    digest: str = ""
    length: int | None = None
    #: Which archive the capture is fetched from: ``""`` for the main archive
    #: (``WAYBACK_BASE_URL``), else another archive's spec (``pywb:https://...``,
    #: :func:`ise_archive.archive.archives.parse_archive`). Not part of the
    #: capture's identity: the same capture held by two archives is one capture.
    archive: str = field(default="", compare=False)

    @property
    def known_digest(self) -> str:
        """The payload digest, or "" when the index gave none (``-`` or empty).

        What groups captures by payload: two rows without a digest are not one
        payload (docs/evidence.md: such a capture is kept, unverified), so code
        that compares digests reads this, never ``digest`` itself.

        >>> Capture(timestamp="2011", original="x", digest="-").known_digest
        ''
        """
        return "" if self.digest.strip() in ("", "-") else self.digest

    @property
    def is_revisit(self) -> bool:
        return self.status == "-" or self.mimetype == "warc/revisit"

    @property
    def is_redirect(self) -> bool:
        return self.status in {"301", "302", "303", "307", "308"}


@dataclass(frozen=True, slots=True, kw_only=True)
class CaptureRef:
    """Where a record's content came from: the capture that was parsed."""

    timestamp: str
    archive_url: str
    original: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Tag:
    name: str
    url: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RelatedPost:
    """One entry of a post's "Reference:" / "Related Posts" list."""

    title: str
    url: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Image:
    url: str
    alt: str = ""
    caption: str = ""
    #: Where the image's rescued copy lives under OUTPUT_DIR (the ``path`` of its
    #: entry in ``Post.attachments``); "" when it was not rescued.
    path: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    """One image or file of a post, rescued from the archive or reported missing.

    A rescued file has ``timestamp`` (the capture fetched), ``archive_url``,
    ``mimetype``, ``size``, ``sha256``, ``path`` (under OUTPUT_DIR, in ``files/``)
    and ``warc`` (its ``response`` record, the evidence ``ise-archive rebuild``
    restores it from; None when WARC output was off); a missing one has
    ``missing=True`` and ``reason`` (``not-archived``, ``too-large``,
    ``failed:<reason>``). ``to_json`` writes only the fields of its form, so a
    reader tells them apart by ``missing``.
    """

    url: str
    kind: Literal["image", "file"]
    timestamp: str = ""
    archive_url: str = ""
    mimetype: str = ""
    size: int = 0
    sha256: str = ""
    path: str = ""
    warc: WarcRef | None = None
    missing: bool = False
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        if self.missing:
            return {
                "url": self.url,
                "kind": self.kind,
                "missing": True,
                "reason": self.reason,
            }
        return {
            "url": self.url,
            "kind": self.kind,
            "timestamp": self.timestamp,
            "archive_url": self.archive_url,
            "mimetype": self.mimetype,
            "size": self.size,
            "sha256": self.sha256,
            "path": self.path,
            "warc": to_json(self.warc),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Link:
    """One entry of the document's numbered Links list (``[n]: url``)."""

    n: int
    url: str
    text: str = ""
    #: The archive's replay URL of ``url`` at the post's capture time
    #: (``<archive>/web/<timestamp>/<url>``): the archive redirects it to its nearest
    #: capture, so a reader has a way in to a dead link at no request. "" for a
    #: ``mailto:`` link and for a record without a capture (partial records).
    archived_url: str = ""
    #: With ISE_ARCHIVE_CHECK_LINKS: whether the archive's CDX index lists a capture
    #: of ``url``; None (not written) when it was not checked.
    archived: bool | None = None


#: The fields of a :class:`Link` whose ``archived`` was not checked (not written).
_LINK_UNCHECKED = tuple(
    f.name for f in dataclasses.fields(Link) if f.name != "archived"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class WarcRef:
    """Where the bytes of a fetched capture are kept: a file of ``OUTPUT_DIR/warc/``
    and the byte offset of its ``response`` record."""

    filename: str
    offset: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CaptureRecord:
    """Provenance of one capture of a post, as listed in a merged record."""

    timestamp: str
    original: str
    archive_url: str
    digest: str = ""
    status: str = ""
    mimetype: str = ""
    #: ``record`` (parsed, a version of the post), ``duplicate`` (same payload as
    #: another capture) or ``skip:<reason>`` / ``failed:<reason>``.
    outcome: str = "record"
    #: True for the one capture whose content the record carries.
    used: bool = False
    content_sha256: str = ""
    #: For a fetched capture: its WARC record (None when WARC output was off).
    warc: WarcRef | None = None
    #: For a fetched capture: whether its payload matched the CDX digest (False
    #: when the index gave no digest); None for a capture never fetched.
    verified: bool | None = None
    #: The name of the archive ``archive_url`` points into (``web.archive.org``,
    #: ``eot2016``): the one that served the capture, or would have.
    archive: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Version:
    """One distinct content of a post, in capture order."""

    content_sha256: str
    word_count: int
    title: str
    first_seen: str
    last_seen: str
    captures: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Post:
    """A blog post, extracted from one capture or merged from several.

    ``published`` is timezone-aware (US Eastern, with its UTC offset) when the page
    states a time, and a plain ``date`` when it only states a day.
    ``content_sha256`` hashes ``body_markdown`` only, so two captures whose article is
    the same have the same hash whatever chrome surrounded it.
    """

    kind: Literal["post"] = "post"
    url: str
    title: str
    author: str = ""
    author_url: str = ""
    published: datetime | date | None = None
    tags: tuple[Tag, ...] = ()
    related: tuple[RelatedPost, ...] = ()
    images: tuple[Image, ...] = ()
    links: tuple[Link, ...] = ()
    body_markdown: str = ""
    markdown: str = ""
    capture: CaptureRef | None = None
    word_count: int = 0
    content_sha256: str = ""
    #: Drupal node id (from the shortlink), which ties ``/node/N`` captures to a post.
    nid: int | None = None
    #: Which template extractor read the page (``d7_2011``, ``d7_2014``, ``print``,
    #: ``generic``).
    template: str = ""
    #: Filled by the merge step: every capture seen, and every distinct content.
    captures: tuple[CaptureRecord, ...] = ()
    versions: tuple[Version, ...] = ()
    #: ``full``: read from an archived page of the post. ``partial``: no archive
    #: holds a usable page, and the record says what archived feeds and listings
    #: said of the post (title, author, date, tags, teaser as ``body_markdown``).
    completeness: Completeness = "full"
    #: For a partial record, the human archive URLs of the feed and listing
    #: captures it was built from; empty for a full record.
    sources: tuple[str, ...] = ()
    #: The post's images and linked site files, rescued from the archive into
    #: ``files/`` or reported missing (filled when the dataset is written).
    attachments: tuple[Attachment, ...] = ()

    outcome = "record"

    def to_json(self) -> dict[str, Any]:
        return to_json(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Post:
        return post_from_json(data)


@dataclass(frozen=True, slots=True, kw_only=True)
class Teaser:
    """What one archived feed item or listing teaser says about a post.

    A post whose own pages no archive holds is known only from these: they become
    its partial record (:mod:`ise_archive.store.partial`). ``body_html`` is the
    teaser's HTML fragment (the feed's ``description``, the listing's summary),
    rendered as Markdown when the record is built; ``source`` is the feed or
    listing capture it was read from.
    """

    url: str
    title: str = ""
    author: str = ""
    author_url: str = ""
    published: datetime | date | None = None
    tags: tuple[Tag, ...] = ()
    body_html: str = ""
    source: CaptureRef | None = None

    def to_json(self) -> dict[str, Any]:
        return to_json(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class Skip:
    """A page that was read fine but is not a blog post.

    ``reason`` is a short machine-readable slug (``not-a-post:listing``,
    ``not-a-post:soft-404``, ``archive-error:not-archived``). Listing and feed pages
    carry the post URLs they link to in ``discovered`` and their pager's next page in
    ``next_page``, so the crawler can follow them without parsing the page again.
    """

    kind: str
    reason: str
    url: str = ""
    capture: CaptureRef | None = None
    discovered: tuple[str, ...] = ()
    next_page: str | None = None
    #: What a feed or listing says about each post it lists (for partial records).
    teasers: tuple[Teaser, ...] = ()

    outcome = "skip"

    def to_json(self) -> dict[str, Any]:
        return to_json(self)


def to_json(value: Any) -> Any:
    """Turn a record (or any value inside one) into plain JSON data.

    Dataclasses become objects with their fields in declaration order, tuples become
    lists and dates become ISO 8601 strings.

    >>> to_json(Tag(name="DHS", url="http://www.ise.gov/category/free-tags/dhs"))
    {'name': 'DHS', 'url': 'http://www.ise.gov/category/free-tags/dhs'}
    """
    kind = type(value)
    if kind in _PLAIN:  # most values of a record: answered first
        return value
    if kind is tuple or kind is list:
        return [to_json(v) for v in value]
    if isinstance(value, Attachment):
        return value.to_json()
    names = _field_names(kind)
    if names is not None:
        if isinstance(value, Link) and value.archived is None:  # not checked: absent
            names = _LINK_UNCHECKED
        return {name: to_json(getattr(value, name)) for name in names}
    if isinstance(value, (tuple, list)):
        return [to_json(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


#: Types :func:`to_json` returns as they are (exactly these: a subclass, such as
#: an enum, takes the general way).
_PLAIN = frozenset({str, int, float, bool, type(None)})


@functools.cache
def _field_names(kind: type) -> tuple[str, ...] | None:
    """The field names of a dataclass type in declaration order, None for any other
    type. Cached per type: ``dataclasses.fields`` built the list anew for each of
    the ~100 values of every record (a third of writing the dataset)."""
    if not dataclasses.is_dataclass(kind):
        return None
    return tuple(f.name for f in dataclasses.fields(kind))


def dumps_data(data: Mapping[str, Any]) -> str:
    """A record's ``to_json()`` data as one line of JSON: UTF-8 characters kept, no
    NaN, stable order (the dataset writer validates that data, then writes it:
    serialised once)."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False)


def parse_published(value: str | None) -> datetime | date | None:
    """Read back a ``published`` value written by :func:`to_json`."""
    if not value:
        return None
    if "T" in value:
        return datetime.fromisoformat(value)
    return date.fromisoformat(value)


def post_from_json(data: Mapping[str, Any]) -> Post:
    """Rebuild a :class:`Post` from its ``to_json()`` form (the inverse function)."""
    capture = data.get("capture")
    return Post(
        url=data["url"],
        title=data["title"],
        author=data.get("author", ""),
        author_url=data.get("author_url", ""),
        published=parse_published(data.get("published")),
        tags=tuple(Tag(**t) for t in data.get("tags", ())),
        related=tuple(RelatedPost(**r) for r in data.get("related", ())),
        images=tuple(Image(**i) for i in data.get("images", ())),
        links=tuple(Link(**link) for link in data.get("links", ())),
        body_markdown=data.get("body_markdown", ""),
        markdown=data.get("markdown", ""),
        capture=CaptureRef(**capture) if capture else None,
        word_count=data.get("word_count", 0),
        content_sha256=data.get("content_sha256", ""),
        nid=data.get("nid"),
        template=data.get("template", ""),
        captures=tuple(_capture_record(c) for c in data.get("captures", ())),
        versions=tuple(Version(**v) for v in data.get("versions", ())),
        completeness=data.get("completeness", "full"),
        sources=tuple(data.get("sources", ())),
        attachments=tuple(_attachment(a) for a in data.get("attachments", ())),
    )


def teaser_from_json(data: Mapping[str, Any]) -> Teaser:
    """Rebuild a :class:`Teaser` from its ``to_json()`` form."""
    source = data.get("source")
    return Teaser(
        url=data["url"],
        title=data.get("title", ""),
        author=data.get("author", ""),
        author_url=data.get("author_url", ""),
        published=parse_published(data.get("published")),
        tags=tuple(Tag(**t) for t in data.get("tags", ())),
        body_html=data.get("body_html", ""),
        source=CaptureRef(**source) if source else None,
    )


def _capture_record(data: Mapping[str, Any]) -> CaptureRecord:
    warc = data.get("warc")
    return CaptureRecord(**{**data, "warc": WarcRef(**warc) if warc else None})


def _attachment(data: Mapping[str, Any]) -> Attachment:
    warc = data.get("warc")
    return Attachment(**{**data, "warc": WarcRef(**warc) if warc else None})
