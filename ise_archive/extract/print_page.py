"""Printer-friendly pages of the Drupal print module (``/print/blog/...``).

The print module wraps the node (in whichever theme's markup was current) with its
own header and footer: ``.print-title``, ``.print-submitted`` ("By <strong>X</strong>"),
``.print-created`` ("Created 10/04/2011 - 12:38", month first, Eastern time),
``.print-content``, ``.print-source_url`` (the post's URL) and ``.print-links`` (the
numbered list of every link). Each link in the content is followed by a
``<span class="print-footnote">[n]</span>`` marker, which is not part of the text.

Print pages of 2014-theme posts have no "Related Posts": that list was a sidebar
block, and the print page has no sidebar.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from lxml import etree
from lxml.html import HtmlElement

from ise_archive.dates import parse_drupal_created, parse_iso_datetime
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
from ise_archive.urls import canonical_site_url, node_id

logger = logging.getLogger(__name__)

TEMPLATE = "print_page"

CONTENT = etree.XPath("//div[" + has_class("print-content") + "]")
TITLE = etree.XPath("//*[" + has_class("print-title") + "]")
RDF_TITLE = etree.XPath(".//span[@property='dc:title']/@content")
SUBMITTED = etree.XPath("//*[" + has_class("print-submitted") + "]")
SUBMITTED_NAME = etree.XPath(".//strong")
CREATED_TEXT = etree.XPath("//*[" + has_class("print-created") + "]")
CREATED = etree.XPath(
    ".//*[contains(concat(' ', @property, ' '), ' dc:created ')]/@content"
)
USERNAME = etree.XPath(".//a[" + has_class("username") + "]")
#: The node inside the print content (2011 ``div.node`` or 2014 ``article.node``).
NODE = etree.XPath(".//*[" + has_class("node") + "][1]")
BODY = etree.XPath(
    ".//div[" + has_class("field-name-body") + "]//div[" + has_class("field-item") + "]"
)
TAGS = etree.XPath(
    ".//div[" + has_class("field-name-taxonomy-vocabulary-2") + "]//a"
    " | .//div[" + has_class("field-name-field-tags") + "]//a"
)
REFERENCES = etree.XPath(
    ".//div[" + has_class("view-iseblog-reference") + "]"
    "//*[" + has_class("views-field-title") + "]//a"
)
SOURCE_URL = etree.XPath("//*[" + has_class("print-source_url") + "]//a/@href")
CANONICAL = etree.XPath("//link[@rel='canonical']/@href")
SHORTLINK = etree.XPath("//link[@rel='shortlink']/@href")
BLOG_NODE_CLASS = "node-blog"


def matches(doc: HtmlElement) -> bool:
    """True for a print-module page (it has a ``.print-content`` block)."""
    return first(CONTENT(doc)) is not None


def extract_fields(doc: HtmlElement, base_url: str) -> PostFields | None:
    """The post on a print page, or None when the printed node is not a blog post."""
    content = first(CONTENT(doc))
    if content is None:
        return None
    node = first(NODE(content))
    if node is not None and BLOG_NODE_CLASS not in (node.get("class") or "").split():
        return None
    body = first(BODY(content))
    if body is None:
        body = content
    title = element_text(first(TITLE(doc))) or clean_text(first(RDF_TITLE(content)))
    if not title:
        return None
    author, author_url = _author(doc, content)
    return PostFields(
        title=title,
        author=author,
        author_url=author_url,
        published=_published(doc, content),
        tags=read_tags(TAGS(content)),
        related=read_related(REFERENCES(content)),
        images=read_images(body),
        body=detached_copy(body),
        nid=_nid(doc, node),
        canonical_url=first(SOURCE_URL(doc)) or first(CANONICAL(doc)),
        template=TEMPLATE,
    )


def _author(doc: HtmlElement, content: HtmlElement) -> tuple[str, str]:
    """The Drupal account: the node's byline link, else the print header's name."""
    username = first(USERNAME(content))
    if username is not None and element_text(username):
        return element_text(username), canonical_site_url(username.get("href", ""))
    submitted = first(SUBMITTED(doc))
    name = (
        element_text(first(SUBMITTED_NAME(submitted))) if submitted is not None else ""
    )
    if not name and submitted is not None:
        name = element_text(submitted).removeprefix("By ").strip()
    return name, ""


def _published(doc: HtmlElement, content: HtmlElement) -> datetime | date | None:
    value = parse_iso_datetime(first(CREATED(content)))
    if value is not None:
        return value
    return parse_drupal_created(element_text(first(CREATED_TEXT(doc))))


def _nid(doc: HtmlElement, node: HtmlElement | None) -> int | None:
    shortlink = first(SHORTLINK(doc))
    if shortlink and node_id(shortlink) is not None:
        return node_id(shortlink)
    if node is None:
        return None
    for token in [node.get("id") or "", *(node.get("class") or "").split()]:
        suffix = token.removeprefix("node-")
        if suffix != token and suffix.isdigit():
            return int(suffix)
    return None
