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

from lxml import etree
from lxml.html import HtmlElement

from ise_archive.normalize.urls import canonical_post_url, canonical_site_url
from ise_archive.records import Image, RelatedPost, Tag


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

# Block-level elements for body_text(): each starts and ends a block.
_BLOCK_TAGS = frozenset(
    {
        *("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl"),
        *("dt", "dd", "blockquote", "table", "thead", "tbody", "tfoot", "caption"),
        *("figure", "figcaption", "pre", "section", "article", "header", "footer"),
        *("aside", "address", "hr", "form", "fieldset", "center", "main", "nav"),
        *("details", "summary"),
    }
)
# Elements that contribute no text (images and embeds: only captions count).
_SILENT_TAGS = frozenset(
    {
        *("script", "style", "img", "iframe", "object", "embed", "video", "audio"),
        *("noscript", "template", "svg", "map", "head", "title", "meta", "link"),
        *("param", "source", "input", "select", "textarea", "button"),
    }
)


def has_class(name: str) -> str:
    """An XPath predicate body matching one whole class token.

    The plain ``contains`` comes first because it is cheap and rules out almost
    every element before the exact token test runs.

    >>> has_class("node").endswith("normalize-space(@class), ' '), ' node '))")
    True
    """
    return (
        f"(contains(@class, '{name}') and "
        f"contains(concat(' ', normalize-space(@class), ' '), ' {name} '))"
    )


# Selectors are compiled once (a string passed to .xpath() is compiled again on
# every call), here and in the template modules. They say "/descendant::x[p]"
# ("descendant::x[p]" for ".//x[p]"): libxml2 runs "//x[p]" as a child step from
# every node of the page, two to three times slower, and without a positional
# predicate both select the same nodes (tests/extract/test_selectors.py).
_VISIBLE_TEXT = etree.XPath(
    "descendant::text()[not(ancestor::*[" + has_class("print-footnote") + "])]"
    "[not(ancestor::script or ancestor::style)]"
)
_FIGURE = etree.XPath("ancestor::figure[1]")
_FIGCAPTION = etree.XPath(".//figcaption")
_CAPTION_WRAPPER = etree.XPath("ancestor::*[" + has_class("caption") + "][1]")
_CAPTION_TEXT = etree.XPath("descendant::*[" + has_class("caption-text") + "]")
_FOOTNOTE_MARKERS = etree.XPath("descendant::*[" + has_class("print-footnote") + "]")


def clean_text(text: str | None) -> str:
    """Whitespace (no-break spaces included) collapsed to single spaces, trimmed."""
    return _WHITESPACE.sub(" ", text or "").strip()


def element_text(element: HtmlElement | None) -> str:
    """The visible text of an element, whitespace collapsed.

    Print-module footnote markers (``[4]``) are not part of the text.
    """
    if element is None:
        return ""
    if len(element) == 0:  # no child elements: the common case of a link
        return clean_text(element.text)
    return clean_text("".join(_VISIBLE_TEXT(element)))


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
        url = _site_url(href)
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
        url = _site_url(src)
        if url in seen:
            continue
        seen.add(url)
        images.append(
            Image(url=url, alt=clean_text(img.get("alt")), caption=_caption(img))
        )
    return tuple(images)


def _site_url(url: str) -> str:
    """canonical_site_url(), skipped for URLs already in canonical form."""
    if url.startswith("http://www.ise.gov/") and "%" not in url:
        return url
    return canonical_site_url(url)


def _caption(img: HtmlElement) -> str:
    figure = first(_FIGURE(img))
    if figure is not None:
        return element_text(first(_FIGCAPTION(figure)))
    wrapper = first(_CAPTION_WRAPPER(img))
    if wrapper is not None:
        caption = element_text(first(_CAPTION_TEXT(wrapper)))
        if caption:
            return caption
    return clean_text(img.get("title"))


def detached_copy(element: HtmlElement) -> HtmlElement:
    """A copy of ``element`` outside the page, without its tail text, and without
    print-module footnote markers (``<span class="print-footnote">[4]</span>``)."""
    fragment = copy.deepcopy(element)
    fragment.tail = None
    for marker in _FOOTNOTE_MARKERS(fragment):
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


def body_text(fragment: HtmlElement | None) -> str:
    """The plain text of a body fragment, in the dataset's gold convention.

    Blocks (paragraphs, headings, list items, table rows, captions) are separated by
    one blank line; whitespace, no-break spaces included, is collapsed; ``<br>`` is a
    newline; list items carry no markers; table cells are joined with `` | ``;
    images and embeds contribute nothing.

    >>> from lxml.html import fragment_fromstring
    >>> body_text(fragment_fromstring(
    ...     "<div><p>One&nbsp; two<br>three</p><ul><li>a</li></ul></div>"))
    'One two\\nthree\\n\\na'
    """
    if fragment is None:
        return ""
    blocks: list[str] = []
    parts: list[str] = []
    _collect_text(fragment, blocks, parts)
    _flush(blocks, parts)
    return "\n\n".join(blocks)


def _collect_text(element: HtmlElement, blocks: list[str], parts: list[str]) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if not tag or tag in _SILENT_TAGS:
        return
    if tag == "br":
        parts.append("\n")
        return
    if tag == "tr":
        _flush(blocks, parts)
        cells = [
            " ".join(cell.text_content().split())
            for cell in element
            if cell.tag in ("td", "th")
        ]
        row = " | ".join(cells)
        if row.strip(" |"):
            blocks.append(row)
        return
    is_block = tag in _BLOCK_TAGS
    if is_block:
        _flush(blocks, parts)
    if element.text:
        parts.append(element.text.replace("\n", " "))
    for child in element:
        _collect_text(child, blocks, parts)
        if child.tail:
            parts.append(child.tail.replace("\n", " "))
    if is_block:
        _flush(blocks, parts)


def _flush(blocks: list[str], parts: list[str]) -> None:
    if not parts:
        return
    lines = [" ".join(line.split()) for line in "".join(parts).split("\n")]
    parts.clear()
    block = "\n".join(lines).strip()
    if block:
        blocks.append(block)
