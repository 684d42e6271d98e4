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

CONTENT = "//div[" + has_class("print-content") + "]"
TITLE = "//*[" + has_class("print-title") + "]"
RDF_TITLE = ".//span[@property='dc:title']/@content"
SUBMITTED = "//*[" + has_class("print-submitted") + "]"
SUBMITTED_NAME = ".//strong"
CREATED_TEXT = "//*[" + has_class("print-created") + "]"
CREATED = ".//*[contains(concat(' ', @property, ' '), ' dc:created ')]/@content"
USERNAME = ".//a[" + has_class("username") + "]"
#: The node inside the print content (2011 ``div.node`` or 2014 ``article.node``).
NODE = ".//*[" + has_class("node") + "][1]"
BODY = (
    ".//div[" + has_class("field-name-body") + "]//div[" + has_class("field-item") + "]"
)
TAGS = (
    ".//div[" + has_class("field-name-taxonomy-vocabulary-2") + "]//a"
    " | .//div[" + has_class("field-name-field-tags") + "]//a"
)
REFERENCES = (
    ".//div[" + has_class("view-iseblog-reference") + "]"
    "//*[" + has_class("views-field-title") + "]//a"
)
SOURCE_URL = "//*[" + has_class("print-source_url") + "]//a/@href"
CANONICAL = "//link[@rel='canonical']/@href"
SHORTLINK = "//link[@rel='shortlink']/@href"
BLOG_NODE_CLASS = "node-blog"


def matches(doc: HtmlElement) -> bool:
    """True for a print-module page (it has a ``.print-content`` block)."""
    return first(doc.xpath(CONTENT)) is not None


def extract_fields(doc: HtmlElement, base_url: str) -> PostFields | None:
    """The post on a print page, or None when the printed node is not a blog post."""
    content = first(doc.xpath(CONTENT))
    if content is None:
        return None
    node = first(content.xpath(NODE))
    if node is not None and BLOG_NODE_CLASS not in (node.get("class") or "").split():
        return None
    body = first(content.xpath(BODY))
    if body is None:
        body = content
    title = element_text(first(doc.xpath(TITLE))) or clean_text(
        first(content.xpath(RDF_TITLE))
    )
    if not title:
        return None
    author, author_url = _author(doc, content)
    return PostFields(
        title=title,
        author=author,
        author_url=author_url,
        published=_published(doc, content),
        tags=read_tags(content.xpath(TAGS)),
        related=read_related(content.xpath(REFERENCES)),
        images=read_images(body),
        body=detached_copy(body),
        nid=_nid(doc, node),
        canonical_url=first(doc.xpath(SOURCE_URL)) or first(doc.xpath(CANONICAL)),
        template=TEMPLATE,
    )


def _author(doc: HtmlElement, content: HtmlElement) -> tuple[str, str]:
    """The Drupal account: the node's byline link, else the print header's name."""
    username = first(content.xpath(USERNAME))
    if username is not None and element_text(username):
        return element_text(username), canonical_site_url(username.get("href", ""))
    submitted = first(doc.xpath(SUBMITTED))
    name = (
        element_text(first(submitted.xpath(SUBMITTED_NAME)))
        if submitted is not None
        else ""
    )
    if not name and submitted is not None:
        name = element_text(submitted).removeprefix("By ").strip()
    return name, ""


def _published(doc: HtmlElement, content: HtmlElement) -> datetime | date | None:
    value = parse_iso_datetime(first(content.xpath(CREATED)))
    if value is not None:
        return value
    return parse_drupal_created(element_text(first(doc.xpath(CREATED_TEXT))))


def _nid(doc: HtmlElement, node: HtmlElement | None) -> int | None:
    shortlink = first(doc.xpath(SHORTLINK))
    if shortlink and node_id(shortlink) is not None:
        return node_id(shortlink)
    if node is None:
        return None
    for token in [node.get("id") or "", *(node.get("class") or "").split()]:
        suffix = token.removeprefix("node-")
        if suffix != token and suffix.isdigit():
            return int(suffix)
    return None
