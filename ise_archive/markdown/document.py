"""The whole Markdown document of a post, laid out around its rendered body.

The layout follows the site's print module: title, byline, date, body, Reference
list, tags, Source URL and the numbered Links list, but every link stays clickable:
the text carries reference-style links ``[text][n]`` and the Links section shows the
numbered URLs and ends with the ``[n]: url`` definitions. Numbers go by first
appearance, the author link first. :func:`format_published` writes the date the
same on every machine, whatever its locale or time zone.

The body arrives already converted (:mod:`ise_archive.markdown.converter`), its links as
placeholders; which URLs may be linked and the Links section itself are
:mod:`ise_archive.markdown.links`. See ``docs/markdown.md`` for the layout.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

from ise_archive.archive.archives import WebArchive
from ise_archive.markdown.links import (
    LinkTable,
    render_links_section,
    resolve_placeholders,
    safe_link_url,
)
from ise_archive.markdown.text import escape_inline
from ise_archive.records import Link, Post

logger = logging.getLogger(__name__)

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# The site ran on US Eastern time; a fixed offset of -4/-5 hours is EDT/EST there.
_EASTERN_NAMES = {timedelta(hours=-4): "EDT", timedelta(hours=-5): "EST"}
_ZONE_ABBREVIATION = re.compile(r"^[A-Z]{2,5}$")  # "EDT", not "UTC-04:00"
#: Separates tags on the ``Tags:`` line (a tag name may itself contain ", ").
TAG_SEPARATOR = " · "


def render_document(
    post: Post,
    body: str,
    targets: list[tuple[str, str]],
    archive: WebArchive | None = None,
) -> tuple[str, tuple[Link, ...]]:
    """The whole document and its numbered links.

    ``body`` is the converted body with link placeholders naming ``targets``
    (``(url, text)`` in writing order); they become ``[n]`` references here. With
    ``archive`` and a capture time (``post.capture``), every link also gets the
    archive's replay URL at that time (:attr:`Link.archived_url`), shown beside it
    in the Links list: a URL the archive resolves to its nearest capture, so it
    costs no request.
    """
    table = LinkTable(archived=_archived_link_builder(post, archive))
    head = _render_head(post, table)  # numbers the author link first
    doc_body = resolve_placeholders(body, targets, table.number)
    tail = _render_tail(post, table)
    links = table.links()
    parts = (
        head,
        doc_body,
        tail,
        _render_source(post.url),
        render_links_section(links),
    )
    return tidy_markdown("\n\n".join(p for p in parts if p)), links


def format_published(value: datetime | date | None) -> str:
    """A publication time in words, independent of the machine's locale and zone.

    >>> format_published(date(2011, 10, 4))
    'Tuesday, October 4, 2011'
    >>> from datetime import timezone
    >>> format_published(datetime(2011, 10, 4, 12, 38,
    ...     tzinfo=timezone(timedelta(hours=-4))))
    'Tuesday, October 4, 2011 12:38 PM EDT'
    """
    if value is None:
        return ""
    day = f"{_DAYS[value.weekday()]}, {_MONTHS[value.month - 1]} {value.day}, "
    day += str(value.year)
    if not isinstance(value, datetime):
        return day
    hour = value.hour % 12 or 12
    text = f"{day} {hour}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"
    zone = _zone_name(value)
    return f"{text} {zone}" if zone else text


def tidy_markdown(text: str) -> str:
    """No trailing spaces, at most one blank line in a row, one final newline."""
    lines = [line.rstrip() for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return text + "\n" if text else ""


def _archived_link_builder(
    post: Post, archive: WebArchive | None
) -> Callable[[str], str] | None:
    if archive is None or post.capture is None or not post.capture.timestamp:
        return None
    timestamp = post.capture.timestamp
    return lambda url: archive.archive_url(timestamp, url)


def _render_head(post: Post, table: LinkTable) -> str:
    title = re.sub(r"(^|\s)(#+)$", r"\1\\\2", escape_inline(post.title))
    lines = [f"# {title or 'Untitled'}"]
    if post.author:
        lines.append(f"By {_reference(post.author, post.author_url, post.url, table)}")
    published = format_published(post.published)
    if published:
        lines.append(f"Published: {published}")
    return "\n\n".join(lines)


def _render_tail(post: Post, table: LinkTable) -> str:
    parts = []
    base = post.url
    related = [_reference(r.title, r.url, base, table) for r in post.related if r.title]
    if related:
        parts.append("## Reference\n\n" + "\n".join(f"- {r}" for r in related))
    tags = [_reference(t.name, t.url, base, table) for t in post.tags if t.name]
    if tags:
        parts.append("Tags: " + TAG_SEPARATOR.join(tags))
    return "\n\n".join(parts)


def _reference(text: str, url: str, base: str, table: LinkTable) -> str:
    """``[text][n]``, or the text alone when ``url`` may not be linked."""
    label = escape_inline(text)
    safe = safe_link_url(url, base) if url else None
    return f"[{label}][{table.number(safe, text)}]" if safe else label


def _render_source(url: str) -> str:
    return f"---\n\n**Source URL:** <{url}>" if url else "---"


def _zone_name(value: datetime) -> str:
    offset = value.utcoffset()
    if offset is None:
        return ""
    name = value.tzname() or ""
    if _ZONE_ABBREVIATION.match(name):
        return name
    if offset in _EASTERN_NAMES:
        return _EASTERN_NAMES[offset]
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
