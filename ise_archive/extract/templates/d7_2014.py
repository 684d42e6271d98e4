"""Posts in the 2013–2016 ``ise_zen`` Drupal 7 theme (the 2014 redesign).

The node is an ``<article class="node-N node node-blog ... view-mode-full">``. Its
``<header>`` holds the byline (``.byline``, the Drupal account) and the creation time
(``.date-display-single`` with RDFa ``dc:date dc:created`` and an ISO ``content``).
After the body field come the free-tags field (``field-name-field-tags``), the
AddThis share buttons and the print link; the prev/next pager sits after the
article. The "Related Posts" list is a sidebar block
(``#block-views-related-posts-block``); the sidebar's "Popular Tags" and "Recent
Blog Posts" are not the post's.

Selectors are relative to the article unless they start with ``//``.
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
from ise_archive.normalize.urls import canonical_site_url, node_id

logger = logging.getLogger(__name__)

TEMPLATE = "d7_2014"

#: The full node: not a teaser, a comment, or a node inside a print page.
NODE = etree.XPath(
    "/descendant::article[" + has_class("node") + "]"
    "[not("
    + has_class("node-teaser")
    + ")][not("
    + has_class("view-mode-teaser")
    + ")]"
    "[not(ancestor::*[" + has_class("print-content") + "])]"
)
PAGE_TITLE = etree.XPath("/descendant::h1[@id='page-title']")
RDF_TITLE = etree.XPath("descendant::span[@property='dc:title']/@content")
HEADER = etree.XPath("./header")
BYLINE_AUTHOR = etree.XPath(
    "descendant::*["
    + has_class("byline")
    + "]/descendant::a["
    + has_class("username")
    + "]"
)
CREATED = etree.XPath(
    "descendant::*[contains(concat(' ', @property, ' '), ' dc:created ')]/@content"
)
DC_DATE = etree.XPath(
    "descendant::*[contains(concat(' ', @property, ' '), ' dc:date ')]/@content"
)
DATE_TEXT = etree.XPath("descendant::*[" + has_class("date-display-single") + "]")
BODY = etree.XPath(
    "descendant::div[" + has_class("field-name-body") + "]"
    "/descendant::div[" + has_class("field-item") + "]"
)
TAGS = etree.XPath("descendant::div[" + has_class("field-name-field-tags") + "]//a")
RELATED = etree.XPath(
    "/descendant::div[@id='block-views-related-posts-block']/descendant::*["
    + has_class("views-field-title")
    + "]//a"
)
SHORTLINK = etree.XPath("/descendant::link[@rel='shortlink']/@href")
CANONICAL = etree.XPath("/descendant::link[@rel='canonical']/@href")
NODE_CLASS_PREFIX = "node-"
#: The theme's own byline: a ``<header>`` with the ``.byline`` account or the RDFa
#: creation date. Other Drupal 7 themes render the same core ``article.node`` and
#: body field (the 2016 USWDS redesign puts "Posted on ... by" in ``p.meta``), and
#: reading them here would lose their author and date.
SIGNATURE = etree.XPath(
    "./header[descendant::*[" + has_class("byline") + "]"
    " or descendant::*[contains(@property, 'dc:')]]"
)


def matches(doc: HtmlElement) -> bool:
    """True for a page whose main content is a full ``ise_zen`` article node with
    the theme's header byline (see :data:`SIGNATURE`)."""
    node = first(NODE(doc))
    return node is not None and SIGNATURE(node) != []


def extract_fields(doc: HtmlElement, base_url: str) -> PostFields | None:
    """The post on a 2014-theme page, or None if there is no blog article."""
    node = first(NODE(doc))
    if node is None:
        return None
    body = first(BODY(node))
    title = first(RDF_TITLE(node)) or element_text(first(PAGE_TITLE(doc)))
    if body is None or not clean_text(title):
        return None
    header = first(HEADER(node))
    scope = header if header is not None else node
    author = first(BYLINE_AUTHOR(scope))
    return PostFields(
        title=clean_text(title),
        author=element_text(author),
        author_url=canonical_site_url(author.get("href", ""))
        if author is not None
        else "",
        published=_published(scope),
        tags=read_tags(TAGS(node)),
        related=read_related(RELATED(doc)),
        images=read_images(body),
        body=detached_copy(body),
        nid=_nid(doc, node),
        canonical_url=first(CANONICAL(doc)),
        template=TEMPLATE,
    )


def _published(scope: HtmlElement) -> datetime | date | None:
    for selector in (CREATED, DC_DATE):
        value = parse_iso_datetime(first(selector(scope)))
        if value is not None:
            return value
    return parse_date_text(element_text(first(DATE_TEXT(scope))))


def _nid(doc: HtmlElement, node: HtmlElement) -> int | None:
    shortlink = first(SHORTLINK(doc))
    if shortlink and node_id(shortlink) is not None:
        return node_id(shortlink)
    for css_class in (node.get("class") or "").split():
        suffix = css_class.removeprefix(NODE_CLASS_PREFIX)
        if suffix != css_class and suffix.isdigit():
            return int(suffix)
    return None
