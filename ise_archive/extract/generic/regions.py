"""Regions of an unknown page: which parts can never hold the post.

The generic extractor (:mod:`ise_archive.extract.generic.reader`) reads pages in layouts
nobody catalogued, so it cannot know the post's container by name. What it can
tell is what a region is *not*: navigation, sidebars, page headers and footers,
share widgets and comments, by tag, ARIA role and the words of class and id
(``region-sidebar-second`` → region, sidebar, second). This module holds that
vocabulary and the small text measures the readers share. It reads elements and
never changes them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from lxml.html import HtmlElement

logger = logging.getLogger(__name__)


def word_set(text: str) -> frozenset[str]:
    """The words of ``text``: vocabularies below are written as one string."""
    return frozenset(text.split())


# Class/id tokens (split on - and _) of page regions that never hold the article.
CHROME_TOKENS = word_set(
    "nav navbar navigation menu megamenu header footer masthead banner sidebar aside "
    " breadcrumb breadcrumbs pager comment comments tagadelic share sharing addthis "
    " social widget toolbar skip recent"
)
CHROME_TAGS = word_set(
    "nav header footer aside form script style noscript select button template"
)
CHROME_ROLES = word_set("navigation banner contentinfo complementary search")
COMMENT_TOKENS = frozenset({"comment", "comments"})
HEADER_FOOTER = frozenset({"header", "footer"})
# Words that make a header/footer class the post's own: "m-post-header" (the mobile
# theme's title and byline), "entry-footer", Blogger's "date-header" (the post day).
POST_PART_TOKENS = word_set("post entry article node date dateline byline")
# Layout classes Drupal puts on <body>/wrappers: "one-sidebar", "with-sidebar".
_LAYOUT_TOKEN = re.compile(r"^(?:with|has|one|two|no|not|page|node-type|layout)-")
_TOKEN_SPLIT = re.compile(r"[-_\s]+")
WHITESPACE = re.compile(r"\s+")


def tokens(el: HtmlElement) -> set[str]:
    """Class and id words of an element: "region-sidebar-second" → region, sidebar…"""
    words: set[str] = set()
    for raw in f"{el.get('class', '')} {el.get('id', '')}".split():
        if not _LAYOUT_TOKEN.match(raw.lower()):
            words.update(_TOKEN_SPLIT.split(raw.lower()))
    return words


def is_chrome(el: HtmlElement) -> bool:
    if not isinstance(el.tag, str):
        return True
    if el.tag in ("html", "body"):
        return False
    if el.tag in CHROME_TAGS or el.get("role", "").lower() in CHROME_ROLES:
        return True
    words = tokens(el)
    chrome = words & CHROME_TOKENS
    if chrome and chrome <= HEADER_FOOTER and words & POST_PART_TOKENS:
        return False
    return bool(chrome)


def is_comment(el: HtmlElement) -> bool:
    if not isinstance(el.tag, str):
        return False
    kind = f"{el.get('typeof', '')} {el.get('itemtype', '')}"
    return "Comment" in kind or bool(tokens(el) & COMMENT_TOKENS)


def in_comment(el: HtmlElement) -> bool:
    return any(is_comment(a) for a in el.iterancestors()) or is_comment(el)


def in_chrome(el: HtmlElement, stop: HtmlElement | None = None) -> bool:
    """True inside navigation, sidebars, page header/footer or comments.

    A post's own header or footer is not chrome: HTML5 themes put the byline and
    the tags in an ``<article>``'s ``<header>``/``<footer>``, and older themes in a
    ``div.post-footer`` inside the post's container (``stop``, when it is not the
    whole page).
    """
    chain = [el, *el.iterancestors()]
    in_post = (
        stop is not None
        and stop.tag not in ("html", "body")
        and any(a is stop for a in chain)
    )
    for i, a in enumerate(chain):
        if a is stop:
            return False
        if is_chrome(a) and not (
            _is_header_or_footer(a)
            and (in_post or any(b.tag == "article" for b in chain[i + 1 :]))
        ):
            return True
    return False


def _is_header_or_footer(el: HtmlElement) -> bool:
    """``<header>``/``<footer>``, or an element whose only chrome words are those
    (``div.post-footer``, ``div.entry-header``), and no landmark role."""
    if el.get("role", "").lower() in CHROME_ROLES:
        return False
    if el.tag in ("header", "footer"):
        return True
    return el.tag not in CHROME_TAGS and tokens(el) & CHROME_TOKENS <= HEADER_FOOTER


def walk_outside_chrome(root: HtmlElement) -> Iterator[HtmlElement]:
    """Elements under ``root`` in document order, not entering chrome subtrees.

    Iterative, so a hostile 5,000-level nesting cannot exhaust the stack.
    """
    stack = [root]
    while stack:
        el = stack.pop()
        if el is not root and is_chrome(el):
            continue
        yield el
        stack.extend(reversed([c for c in el if isinstance(c.tag, str)]))


def norm(text: str | None) -> str:
    return WHITESPACE.sub(" ", (text or "").replace("\xa0", " ")).strip()


def text_len(el: HtmlElement) -> int:
    return len(WHITESPACE.sub(" ", el.text_content()).strip())
