"""Printer-friendly pages of the Drupal print module (``/print/blog/...``).

The print module wraps the node (in whichever theme's markup was current) with its
own header and footer: ``.print-title``, ``.print-submitted`` ("By <strong>X</strong>"),
``.print-created`` ("Created 10/04/2011 - 12:38", month first, Eastern time),
``.print-content``, ``.print-source_url`` (the post's URL) and ``.print-links`` (the
numbered list of every link). Each link in the content is followed by a
``<span class="print-footnote">[n]</span>`` marker, which is not part of the text.

The Drupal 6 site (2010) printed a bare ``div.node`` (no ``node-blog`` class, no
body field: the text is its ``div.content``, the terms a ``div.terms`` list), with
"Created 06/14/2010 - 9:00am" on the 12-hour clock.

Print pages of 2014-theme posts have no "Related Posts": that list was a sidebar
block, and the print page has no sidebar.
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
from ise_archive.normalize.dates import parse_drupal_created, parse_iso_datetime
from ise_archive.normalize.urls import canonical_post_url, canonical_site_url, node_id

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
#: A Drupal 6 node has no body field: its text is ``div.node > div.content``.
D6_BODY = etree.XPath("./div[" + has_class("content") + "]")
TAGS = etree.XPath(
    ".//div[" + has_class("field-name-taxonomy-vocabulary-2") + "]//a"
    " | .//div[" + has_class("field-name-field-tags") + "]//a"
    # Drupal 6: <div class="terms"><ul class="links inline"><li><a rel="tag">
    " | .//div[" + has_class("terms") + "]//a"
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
    source_url = first(SOURCE_URL(doc)) or first(CANONICAL(doc))
    if node is not None and not _is_blog_node(node, source_url):
        return None
    body = first(BODY(content))
    if body is None and node is not None:
        body = first(D6_BODY(node))
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
        canonical_url=source_url,
        template=TEMPLATE,
    )


def _is_blog_node(node: HtmlElement, source_url: str | None) -> bool:
    """A blog node: classed ``node-blog`` (Drupal 7), or a Drupal 6 ``div.node``
    with no type class whose "Source URL:" is a blog post's address."""
    classes = (node.get("class") or "").split()
    if BLOG_NODE_CLASS in classes:
        return True
    typed = any(c.startswith("node-") and not c[5:6].isdigit() for c in classes)
    return not typed and canonical_post_url(source_url or "") is not None


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
