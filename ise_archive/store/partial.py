"""Partial records: posts that only archived feeds and listings remember.

When no archive holds a usable page of a post, its record is built from what the
feed items and listing teasers that named it said (:mod:`ise_archive.extract.teasers`):
title, author, date, tags and the teaser text as ``body_markdown``. The record says
so: ``completeness: "partial"``, ``sources`` lists the feed and listing captures it
came from, ``captures`` is empty, and its Markdown document opens with a note. A full
page found by a later run replaces it (the state only builds a partial record for a
URL without a full one).

Several teasers of one post are combined field by field, newest source first: the
first title, author, author page and date stated; the tag list of the teaser that
lists the most tags (feeds often cut it); the longest teaser text. This module only
computes values.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Sequence

import lxml.html
from lxml import etree

from ise_archive.archive.archives import WebArchive, parse_archive
from ise_archive.markdown.converter import render_markdown
from ise_archive.records import CaptureRef, Post, Teaser

logger = logging.getLogger(__name__)

#: What ``template`` says of a record built from teasers.
TEASER_TEMPLATE = "teaser"
#: Opens the Markdown document of a partial record, under its title.
PARTIAL_NOTE = (
    "> **Partial record.** No archive holds a usable copy of this post's page; what "
    "follows is what archived feeds and blog listings said of it (its teaser), "
    "listed under Sources in the record."
)


def partial_post(
    teasers: Sequence[Teaser], *, archive_base_url: str = ""
) -> Post | None:
    """The partial record of one post from its teasers; None when none has a title
    (a record without a title would say nothing a reader could use).

    Its links get their ``archived_url`` like a full record's, at the time of the
    feed or listing capture the teaser text came from, in the archive that holds
    it (``archive_base_url`` names the main one): the post itself is gone, the
    pages it linked to may not be."""
    if not teasers:
        return None
    newest = sorted(teasers, key=_source_time, reverse=True)
    title = _first(t.title for t in newest)
    if not title:
        logger.warning(
            "No title for %(url)s in %(n)d teasers: no partial record",
            {"url": newest[0].url, "n": len(newest)},
        )
        return None
    richest_tags = max(newest, key=lambda t: len(t.tags))
    body_teaser = max(newest, key=lambda t: len(_text(t.body_html)))
    sources = sorted(
        {t.source.archive_url: t.source.timestamp for t in newest if t.source}.items(),
        key=lambda item: (item[1], item[0]),
    )
    post = Post(
        url=newest[0].url,
        title=title,
        author=_first(t.author for t in newest),
        author_url=_first(t.author_url for t in newest),
        published=next((t.published for t in newest if t.published), None),
        tags=richest_tags.tags,
        capture=body_teaser.source,
        template=TEASER_TEMPLATE,
        completeness="partial",
        sources=tuple(url for url, _ in sources),
    )
    archive = _source_archive(body_teaser.source, archive_base_url)
    post = render_markdown(post, body_teaser.body_html, archive)
    return dataclasses.replace(post, markdown=_with_note(post.markdown))


def _source_archive(
    source: CaptureRef | None, archive_base_url: str
) -> WebArchive | None:
    """The archive holding the teaser's feed or listing capture, read off its replay
    URL (``<root>/web/<ts>/...`` a Wayback Machine, ``<root>/<ts>/...`` a pywb
    collection: a feed may come from another archive than the main one)."""
    if source is None:
        return None
    head, found, _ = source.archive_url.partition(f"/{source.timestamp}")
    if found and head.endswith("/web"):
        return parse_archive("wayback:" + head.removesuffix("/web"))
    if found and head:
        return parse_archive("pywb:" + head)
    return parse_archive(archive_base_url) if archive_base_url else None


def _with_note(markdown: str) -> str:
    """The note goes right under the title line (the document's first block)."""
    title, separator, rest = markdown.partition("\n\n")
    return f"{title}\n\n{PARTIAL_NOTE}{separator}{rest}"


def _source_time(teaser: Teaser) -> str:
    return teaser.source.timestamp if teaser.source else ""


def _first(values: Iterable[str]) -> str:
    return next((v for v in values if v), "")


def _text(html: str) -> str:
    if not html.strip():
        return ""
    try:
        return lxml.html.fragment_fromstring(html, create_parent="div").text_content()
    except etree.ParserError:
        return ""
