"""What a template extractor reads off a post page, before rendering.

Every template module (``d7_2011``, ``d7_2014``, ``print_page``, ``generic``) exposes
the same two functions, so :mod:`ise_archive.extract.page` can try them in order::

    def matches(doc: lxml.html.HtmlElement) -> bool
    def extract_fields(doc: lxml.html.HtmlElement, base_url: str) -> PostFields | None

``doc`` is the page already parsed once by the page object, with the Wayback
Machine's additions removed and every ``href``/``src`` made absolute and unwrapped
from ``/web/<timestamp>/`` form. ``extract_fields`` returns None when the page turns
out not to be a post after all; it never raises for missing optional parts.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from lxml.html import HtmlElement

from ise_archive.records import Image, RelatedPost, Tag
from ise_archive.urls import canonical_post_url, canonical_site_url


@dataclass(frozen=True, slots=True, kw_only=True)
class PostFields:
    """The parts of a post one template extractor found on a page."""

    title: str
    author: str = ""
    author_url: str = ""
    published: datetime | date | None = None
    tags: tuple[Tag, ...] = ()
    related: tuple[RelatedPost, ...] = ()
    images: tuple[Image, ...] = ()
    #: The isolated article body (the Drupal body field), detached from the page:
    #: no byline, tags, related list, pager, comments or print footnote markers.
    body: HtmlElement | None = None
    #: Drupal node id, from the shortlink or the ``node-<nid>`` container.
    nid: int | None = None
    #: The post's canonical URL as the page states it, when it states one.
    canonical_url: str | None = None
    #: Name of the template module that produced these fields.
    template: str = ""


# --- Readers shared by the template modules -------------------------------------
# Each template keeps its own selectors; these only turn selected elements into
# field values, so that every template builds tags, related posts and images alike.

_WHITESPACE = re.compile(r"\s+")


def has_class(name: str) -> str:
    """An XPath predicate body matching one whole class token.

    >>> has_class("node")
    "contains(concat(' ', normalize-space(@class), ' '), ' node ')"
    """
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def clean_text(text: str | None) -> str:
    """Whitespace (no-break spaces included) collapsed to single spaces, trimmed."""
    return _WHITESPACE.sub(" ", text or "").strip()


def element_text(element: HtmlElement | None) -> str:
    """The visible text of an element, whitespace collapsed.

    Print-module footnote markers (``[4]``) are not part of the text.
    """
    if element is None:
        return ""
    parts = element.xpath(
        ".//text()[not(ancestor::*[" + has_class("print-footnote") + "])]"
        "[not(ancestor::script or ancestor::style)]"
    )
    return clean_text("".join(parts))


def first(results: list[Any]) -> Any:
    """The first XPath result, or None."""
    return results[0] if results else None


def read_tags(anchors: list[HtmlElement]) -> tuple[Tag, ...]:
    """Tags from the ``<a>`` elements of a taxonomy field, distinct, in page order."""
    tags: list[Tag] = []
    seen: set[str] = set()
    for anchor in anchors:
        name = element_text(anchor)
        href = anchor.get("href")
        if not name or not href:
            continue
        url = canonical_site_url(href)
        if url in seen:
            continue
        seen.add(url)
        tags.append(Tag(name=name, url=url))
    return tuple(tags)


def read_related(anchors: list[HtmlElement]) -> tuple[RelatedPost, ...]:
    """Related posts ("Reference:" list) from their title links, distinct, in order."""
    related: list[RelatedPost] = []
    seen: set[str] = set()
    for anchor in anchors:
        title = element_text(anchor)
        href = anchor.get("href")
        if not title or not href:
            continue
        url = canonical_post_url(href) or canonical_site_url(href)
        if url in seen:
            continue
        seen.add(url)
        related.append(RelatedPost(title=title, url=url))
    return tuple(related)


def read_images(body: HtmlElement | None) -> tuple[Image, ...]:
    """The body's images with their alt text and caption, distinct, in order.

    The caption is a ``<figcaption>``, the text of the Drupal caption filter's
    ``.caption-text`` around the image, or else the image's ``title``.
    """
    if body is None:
        return ()
    images: list[Image] = []
    seen: set[str] = set()
    for img in body.iter("img"):
        src = img.get("src")
        if not src or src.startswith("data:"):
            continue
        url = canonical_site_url(src)
        if url in seen:
            continue
        seen.add(url)
        images.append(
            Image(url=url, alt=clean_text(img.get("alt")), caption=_caption(img))
        )
    return tuple(images)


def _caption(img: HtmlElement) -> str:
    figure = first(img.xpath("ancestor::figure[1]"))
    if figure is not None:
        return element_text(first(figure.xpath(".//figcaption")))
    wrapper = first(img.xpath("ancestor::*[" + has_class("caption") + "][1]"))
    if wrapper is not None:
        caption = element_text(
            first(wrapper.xpath(".//*[" + has_class("caption-text") + "]"))
        )
        if caption:
            return caption
    return clean_text(img.get("title"))


def detached_copy(element: HtmlElement) -> HtmlElement:
    """A copy of ``element`` outside the page, without its tail text, and without
    print-module footnote markers (``<span class="print-footnote">[4]</span>``)."""
    fragment = copy.deepcopy(element)
    fragment.tail = None
    for marker in fragment.xpath(".//*[" + has_class("print-footnote") + "]"):
        # "<a>Twitter</a> <span class="print-footnote">[4]</span>." -> "Twitter."
        previous = marker.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "").rstrip() or None
        else:
            parent = marker.getparent()
            if parent is not None:
                parent.text = (parent.text or "").rstrip() or None
        marker.drop_tree()
    return fragment
