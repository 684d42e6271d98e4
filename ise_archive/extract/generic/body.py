"""The body of a post on an unknown page: where it is, and what to strip from it.

A Drupal body field is trusted when there is one (D7 ``.field-name-body``, D8
``.field--name-body``, ``articleBody``, ``content:encoded``, a D6 node's content).
Otherwise :func:`densest_block` votes, readability-style: paragraphs outside chrome
score their parent by length and commas, and the winner is discounted by its link
density. :func:`clean_body` then returns a detached copy without bylines, tag
lists, share links, hidden helpers and comments. Rendering the body is
:mod:`ise_archive.markdown.converter`.
"""

from __future__ import annotations

import copy
import logging
import re

from lxml.html import HtmlElement

from ise_archive.extract.generic.bylines import POSTED_BY
from ise_archive.extract.generic.regions import (
    CHROME_TOKENS,
    WHITESPACE,
    in_comment,
    is_comment,
    norm,
    text_len,
    tokens,
    walk_outside_chrome,
    word_set,
)

logger = logging.getLogger(__name__)


# Tokens of the parts of a post container that are not its body text.
NOT_BODY_TOKENS = CHROME_TOKENS | word_set(
    "submitted byline author meta terms tags taxonomy links subscribe keywords "
    " related reference date dateline"
)
# Whole classes of hidden helpers: RDFa stubs, screen-reader text, print markers.
NOT_BODY_CLASSES = word_set(
    "element-invisible element-hidden rdf-meta visually-hidden sr-only print-footnote "
    " print-link print-links"
)
NOT_BODY_TAGS = word_set(
    "script style noscript form input button select textarea h1 nav aside"
)
# Drupal body fields: D7 (.field-name-body), D8 (.field--name-body), RDFa, D6 node.
BODY_XPATHS = (
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' field-name-body ')]"
    "//*[@property='content:encoded']",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' field--name-body ')]",
    "//*[@itemprop='articleBody']",
    "//*[@property='content:encoded']",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' field-name-body ')]",
    "//div[contains(concat(' ', normalize-space(@class), ' '), ' node ')]"
    "/div[contains(concat(' ', normalize-space(@class), ' '), ' content ')]",
)
# Characters HTML parsing lets into the tree but lxml will not set as text.
_XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
MIN_BODY_CHARS = 80


def body_container(doc: HtmlElement) -> HtmlElement | None:
    for xpath in BODY_XPATHS:
        for el in doc.xpath(xpath):
            if not in_comment(el) and text_len(el) >= MIN_BODY_CHARS:
                return el
    return densest_block(doc)


def densest_block(doc: HtmlElement) -> HtmlElement | None:
    """The container whose paragraphs score highest (a readability-style vote).

    Each paragraph-like element outside chrome gives its parent a score from its
    length and commas, and its grandparent half of it; the winner is discounted by
    its link density, so a navigation column of links never wins.
    """
    body = doc.find("body")
    scores: dict[HtmlElement, float] = {}
    for el in walk_outside_chrome(body if body is not None else doc):
        if el.tag not in ("p", "pre", "blockquote", "td", "div", "li"):
            continue
        own = _own_text(el) if el.tag in ("td", "div", "li") else el.text_content()
        own = WHITESPACE.sub(" ", own).strip()
        if len(own) < 25:
            continue
        points = 1 + own.count(",") + min(len(own) / 100, 3)
        parent = el.getparent()
        if el.tag in ("td", "div"):  # text straight in a cell: the cell is the block
            parent = el
        if parent is None:
            continue
        scores[parent] = scores.get(parent, 0) + points
        grand = parent.getparent()
        if grand is not None:
            scores[grand] = scores.get(grand, 0) + points / 2
    best, best_score = None, 0.0
    for el, score in scores.items():
        final = score * (1 - _link_density(el))
        if final > best_score:
            best, best_score = el, final
    if best is None or text_len(best) < MIN_BODY_CHARS:
        return None
    return best


def _own_text(el: HtmlElement) -> str:
    """Text directly in ``el`` and in its inline children (not in nested blocks)."""
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and child.tag in ("a", "b", "strong", "em", "i"):
            parts.append(child.text_content())
        parts.append(child.tail or "")
    return "".join(parts)


def _link_density(el: HtmlElement) -> float:
    total = text_len(el)
    if not total:
        return 1.0
    linked = sum(text_len(a) for a in el.iter("a"))
    return min(linked / total, 1.0)


def clean_body(container: HtmlElement, title: str) -> HtmlElement:
    """A detached copy of the body without bylines, tags, share links or comments."""
    body = copy.deepcopy(container)
    body.tail = None
    doomed = [
        el
        for el in body.iterdescendants()
        if isinstance(el.tag, str)
        and (
            el.tag in NOT_BODY_TAGS
            or tokens(el) & NOT_BODY_TOKENS
            or NOT_BODY_CLASSES.intersection(el.get("class", "").split())
            or is_comment(el)
            or _is_byline_block(el, title)
        )
    ]
    for el in doomed:
        if el.getparent() is not None:
            _drop(el, glue="print-footnote" in el.get("class", ""))
    return body


def _drop(el: HtmlElement, *, glue: bool = False) -> None:
    """Remove ``el`` but keep its tail text, like ``drop_tree``, except that text
    lxml refuses to set (control characters the parser let through) is dropped,
    and with ``glue`` the space before a print footnote marker goes too."""
    parent, prev = el.getparent(), el.getprevious()
    tail = _XML_UNSAFE.sub("", el.tail or "")
    if prev is not None:
        before = _XML_UNSAFE.sub("", prev.tail or "")
        prev.tail = (before.rstrip() if glue else before) + tail
    else:
        before = _XML_UNSAFE.sub("", parent.text or "")
        parent.text = (before.rstrip() if glue else before) + tail
    parent.remove(el)


def _is_byline_block(el: HtmlElement, title: str) -> bool:
    """A repeated title or a "Posted by X on ..." line left in a density winner."""
    if el.tag not in ("p", "div", "span", "h2", "h3"):
        return False
    text = norm(el.text_content())
    if el.tag in ("h2", "h3") and text == title:
        return True
    return len(text) <= 200 and bool(POSTED_BY.match(text))
