"""Posts in the 2010–2013 ``isegov`` Drupal 7 theme.

A post page renders the node as ``<div id="node-N" class="node node-blog ...
node-full">``: the byline and creation time in ``.submitted`` (RDFa
``dc:date dc:created`` with an ISO ``content``), the body field, a separate
"blog date" field (a day at midnight, *not* the creation time), the "Reference:"
view, the free-tags field, then the ``.blog-nav`` prev/next links and ``#comments``.
The sidebar's tag cloud and "Recent Posts" are not the post's. Other Drupal 7
themes with the same core byline (Bartik's ``div.meta.submitted``) may name the
account in an unlinked ``span.username`` and keep "Related Posts" in a sidebar
views block, as the 2014 theme does; both are read.

Selectors are XPath expressions compiled once, relative to the node container
unless they start with ``//``.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from lxml import etree
from lxml.html import HtmlElement

from ise_archive.extract.fields import (
    PostFields,
    clean_text,
    detached_copy,
    element_text,
    first,
    has_class,
    read_images,
    read_related,
    read_tags,
)
from ise_archive.normalize.dates import parse_date_text, parse_iso_datetime
from ise_archive.normalize.urls import canonical_site_url, node_id, resolve_url

logger = logging.getLogger(__name__)

TEMPLATE = "d7_2011"

#: The full node, not a teaser, a comment or a node inside a print page.
NODE = etree.XPath(
    "//div[starts-with(@id, 'node-')][" + has_class("node") + "]"
    "[not(" + has_class("node-teaser") + ")]"
    "[not(ancestor::*[" + has_class("print-content") + "])]"
    "[not(ancestor::*[@id='comments'])]"
)
PAGE_TITLE = etree.XPath("//h1[@id='page-title']")
RDF_TITLE = etree.XPath(".//span[@property='dc:title']/@content")
SUBMITTED = etree.XPath(
    "./div[" + has_class("submitted") + "] | ./*/div[" + has_class("submitted") + "]"
)
CREATED = etree.XPath(
    ".//*[contains(concat(' ', @property, ' '), ' dc:created ')]/@content"
)
DC_DATE = etree.XPath(
    ".//*[contains(concat(' ', @property, ' '), ' dc:date ')]/@content"
)
AUTHOR = etree.XPath(".//a[" + has_class("username") + "]")
# Drupal renders the account as <span class="username"> (no link) for visitors who
# may not see profiles: a Bartik-style "Submitted by <span>Tamara Wells</span> on"
UNLINKED_AUTHOR = etree.XPath(".//span[" + has_class("username") + "]")
BODY = etree.XPath(
    ".//div[" + has_class("field-name-body") + "]//div[" + has_class("field-item") + "]"
)
BLOG_DATE = etree.XPath(
    ".//div[" + has_class("field-name-field-blog-date") + "]//*[@content]/@content"
)
REFERENCES = etree.XPath(
    ".//div[" + has_class("view-iseblog-reference") + "]"
    "//*[" + has_class("views-field-title") + "]//a"
)
#: Sites that moved "Related Posts" to a sidebar views block (as the 2014 theme did).
SIDEBAR_RELATED = etree.XPath(
    "//div[@id='block-views-related-posts-block']//*["
    + has_class("views-field-title")
    + "]//a"
)
TAGS = etree.XPath(
    ".//div[" + has_class("field-name-taxonomy-vocabulary-2") + "]//a"
    " | .//div[" + has_class("field-name-field-tags") + "]//a"
)
SHORTLINK = etree.XPath("//link[@rel='shortlink']/@href")
CANONICAL = etree.XPath("//link[@rel='canonical']/@href")


def matches(doc: HtmlElement) -> bool:
    """True for a page whose main content is a full ``isegov`` blog node whose
    ``.submitted`` byline names the account (``a.username``) or carries the RDFa
    date: other themes' ``.submitted`` lines are left to the generic reader, which
    reads their text instead of returning an empty author and date."""
    node = first(NODE(doc))
    return node is not None and any(
        AUTHOR(sub) or CREATED(sub) for sub in SUBMITTED(node)
    )


def extract_fields(doc: HtmlElement, base_url: str) -> PostFields | None:
    """The post on a 2011-theme page, or None if the node is not a blog post."""
    node = first(NODE(doc))
    if node is None:
        return None
    body = first(BODY(node))
    title = first(RDF_TITLE(node)) or element_text(first(PAGE_TITLE(doc)))
    if body is None or not clean_text(title):
        return None
    submitted = first(SUBMITTED(node))
    author = None
    if submitted is not None:
        author = first(AUTHOR(submitted) or UNLINKED_AUTHOR(submitted))
    return PostFields(
        title=clean_text(title),
        author=element_text(author),
        author_url=_author_url(author, base_url),
        published=_published(node, submitted),
        tags=read_tags(TAGS(node)),
        related=read_related(REFERENCES(node) or SIDEBAR_RELATED(doc)),
        images=read_images(body),
        body=detached_copy(body),
        nid=_nid(doc, node),
        canonical_url=first(CANONICAL(doc)),
        template=TEMPLATE,
    )


def _author_url(author: HtmlElement | None, base_url: str) -> str:
    """The account's page: the link, or an unlinked name's RDFa ``about``."""
    if author is None:
        return ""
    href = author.get("href") or author.get("about") or ""
    return canonical_site_url(resolve_url(href, base_url)) if href else ""


def _published(
    node: HtmlElement, submitted: HtmlElement | None
) -> datetime | date | None:
    """Creation time from the byline's RDFa; the blog-date field only as fallback.

    The ``field-blog-date`` value is the day at midnight: using it would lose the
    time, so it comes after the byline (and its visible text) are exhausted.
    """
    if submitted is not None:
        for selector in (CREATED, DC_DATE):
            value = parse_iso_datetime(first(selector(submitted)))
            if value is not None:
                return value
        text_date = parse_date_text(_date_phrase(element_text(submitted)))
        if text_date is not None:
            return text_date
    blog_date = parse_iso_datetime(first(BLOG_DATE(node)))
    # the field holds a day (stored as midnight): no time is stated
    return blog_date.date() if isinstance(blog_date, datetime) else blog_date


def _date_phrase(byline: str) -> str:
    """``Posted by X on Tuesday, October 04, 2011`` -> ``Tuesday, October 04, 2011``."""
    _, separator, tail = byline.rpartition(" on ")
    return tail if separator else ""


def _nid(doc: HtmlElement, node: HtmlElement) -> int | None:
    shortlink = first(SHORTLINK(doc))
    if shortlink and node_id(shortlink) is not None:
        return node_id(shortlink)
    suffix = (node.get("id") or "").removeprefix("node-")
    return int(suffix) if suffix.isdigit() else None
