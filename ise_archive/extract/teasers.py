"""What archived feeds and listings say about each post they list.

Some posts are known only this way: an archived RSS feed or blog listing shows their
title, author, date, tags and a teaser, but no archive holds their own page. Each
feed item and listing teaser becomes a :class:`~ise_archive.records.Teaser`, which
the crawler keeps; a post left without a full record gets a partial one built from
its teasers (:mod:`ise_archive.store.partial`).

* Feeds: RSS 2.0 ``<item>`` (``title``, ``link``, ``description``, ``category``,
  ``pubDate``, ``dc:creator``) and Atom ``<entry>`` (``title``, ``link``,
  ``summary``/``content``, ``category``, ``published``/``updated``,
  ``author/name``), read by local name so any namespace prefix works.
* Listings: Drupal renders each post of a listing as a teaser node whose RDFa says
  what it is: ``about`` (its URL), ``dc:title``, ``dc:date`` (ISO, with offset),
  ``foaf:name`` (the author's account), ``content:encoded`` (the summary); tags are
  the taxonomy links. Both the 2011 and the 2014 themes mark them up so
  (``div.node-teaser``, ``article.node-teaser``).

The "read more" link that Drupal appends to a teaser is dropped: it links to the
post itself and says nothing about it. This module reads parsed trees; it does not
fetch or write.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import date, datetime
from urllib.parse import urljoin

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from ise_archive.extract.fields import clean_text, element_text, first, read_tags
from ise_archive.normalize.dates import parse_iso_datetime, parse_rfc822
from ise_archive.normalize.urls import (
    canonical_post_url,
    canonical_site_url,
    unwrap_archive_url,
)
from ise_archive.records import CaptureRef, Tag, Teaser

logger = logging.getLogger(__name__)

_FEED_ITEMS = etree.XPath("//*[local-name()='item' or local-name()='entry']")
_CHILD = "*[local-name()='{name}']"
# Drupal's teaser nodes: <div class="node node-blog node-teaser"> (2011 theme),
# <article class="node ... node-teaser view-mode-teaser"> (2014 theme)
_TEASER_NODES = etree.XPath(
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' node-teaser ')][@about]"
)
_TEASER_TITLE = etree.XPath(".//*[@property='dc:title']")
_TEASER_HEADING_LINK = etree.XPath(".//*[self::h2 or self::h3]//a[@href]")
_TEASER_DATE = etree.XPath(".//*[contains(@property, 'dc:date')]/@content")
_TEASER_AUTHOR = etree.XPath(".//*[contains(@property, 'foaf:name')]")
_TEASER_BODY = etree.XPath(".//*[@property='content:encoded']")
_TEASER_TAGS = etree.XPath(
    ".//a[contains(@typeof, 'skos:Concept') or contains(@href, '/category/')]"
)
# read more   Read more about X   continue reading
_READ_MORE = re.compile(r"^\s*(read more|continue reading)\b", re.IGNORECASE)


def feed_teasers(root: etree._Element, source: CaptureRef | None) -> tuple[Teaser, ...]:
    """One teaser per post item of an RSS or Atom feed, in feed order.

    Items that do not link to a blog post (a page, an event) are not teasers.
    """
    teasers = []
    for item in _FEED_ITEMS(root):
        url = _item_url(item)
        if url is None:
            continue
        teasers.append(
            Teaser(
                url=url,
                title=clean_text(_child_text(item, "title")),
                author=clean_text(
                    _child_text(item, "creator")
                    or _child_text(first(_children(item, "author")), "name")
                ),
                published=_item_published(item),
                tags=tuple(_item_tags(item)),
                body_html=_teaser_html(
                    _child_text(item, "description")
                    or _child_text(item, "summary")
                    or _child_text(item, "content"),
                    url,
                ),
                source=source,
            )
        )
    return tuple(teasers)


def listing_teasers(
    doc: HtmlElement, page_url: str, source: CaptureRef | None
) -> tuple[Teaser, ...]:
    """One teaser per post teaser node of a listing page, in page order.

    ``doc`` must have absolute links (:func:`ise_archive.extract.replay.restore_links`).
    """
    teasers = []
    for node in _TEASER_NODES(doc):
        about = unwrap_archive_url(node.get("about", ""))
        url = canonical_post_url(urljoin(page_url, about))
        if url is None:
            continue
        author = first(_TEASER_AUTHOR(node))
        author_href = author.get("href") if author is not None else None
        body = first(_TEASER_BODY(node))
        body_html = (
            lxml.html.tostring(body, encoding="unicode") if body is not None else ""
        )
        teasers.append(
            Teaser(
                url=url,
                title=_teaser_title(node),
                author=element_text(author),
                author_url=canonical_site_url(author_href) if author_href else "",
                published=parse_iso_datetime(first(_TEASER_DATE(node))),
                tags=read_tags(_TEASER_TAGS(node)),
                body_html=_teaser_html(body_html, url),
                source=source,
            )
        )
    return tuple(teasers)


def _teaser_title(node: HtmlElement) -> str:
    title = first(_TEASER_TITLE(node))
    if title is not None:
        text = clean_text(title.get("content")) or element_text(title)
        if text:
            return text
    return element_text(first(_TEASER_HEADING_LINK(node)))


def _children(item: etree._Element | None, name: str) -> list[etree._Element]:
    if item is None:
        return []
    return item.xpath(_CHILD.format(name=name))


def _child_text(item: etree._Element | None, name: str) -> str:
    child = first(_children(item, name))
    if child is None:
        return ""
    return "".join(child.itertext())


def _item_url(item: etree._Element) -> str | None:
    for link in _children(item, "link"):
        value = link.get("href") or "".join(link.itertext())
        if link.get("rel") not in (None, "alternate"):
            continue
        url = canonical_post_url(unwrap_archive_url(value.strip()))
        if url:
            return url
    about = item.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
    return canonical_post_url(unwrap_archive_url(about.strip())) if about else None


def _item_published(item: etree._Element) -> datetime | date | None:
    rfc822 = _child_text(item, "pubDate") or _child_text(item, "date")
    if rfc822:
        return parse_rfc822(rfc822) or parse_iso_datetime(rfc822)
    return parse_iso_datetime(
        _child_text(item, "published") or _child_text(item, "updated")
    )


def _item_tags(item: etree._Element) -> Iterable[Tag]:
    seen: set[str] = set()
    for category in _children(item, "category"):
        name = clean_text(category.get("label") or category.get("term") or "")
        name = name or clean_text("".join(category.itertext()))
        domain = (category.get("domain") or category.get("scheme") or "").strip()
        url = canonical_site_url(unwrap_archive_url(domain)) if domain else ""
        if not name or not url.startswith(("http://", "https://")) or url in seen:
            continue
        seen.add(url)
        yield Tag(name=name, url=url)


def _teaser_html(html: str, post_url: str) -> str:
    """The teaser's HTML without its "read more" link to the post itself."""
    if not html.strip():
        return ""
    try:
        fragment = lxml.html.fragment_fromstring(html, create_parent="div")
    except etree.ParserError:
        return ""
    for anchor in fragment.xpath(".//a[@href]"):
        target = canonical_post_url(urljoin(post_url, anchor.get("href")))
        if target == post_url and _READ_MORE.match(element_text(anchor)):
            parent = anchor.getparent()
            anchor.drop_tree()
            if (
                parent is not None
                and parent is not fragment
                and not element_text(parent)
            ):
                parent.drop_tree()
    if not element_text(fragment):
        return ""
    return lxml.html.tostring(fragment, encoding="unicode")
