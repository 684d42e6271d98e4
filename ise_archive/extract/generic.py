"""The fallback extractor: read a post off a page whose template we do not know.

The archive holds ise.gov layouts nobody catalogued (Drupal 6 pages, later themes,
mobile themes, static mirrors). When no known template matches, this module reads
generic evidence instead, most trusted first:

* title: RDFa ``dc:title``, JSON-LD ``headline``, ``og:title``, microdata
  ``headline``, the page's ``<h1>``, the ``<title>`` minus the site-name suffix;
* author: RDFa ``foaf:name``, JSON-LD ``author.name``, microdata, ``<meta
  name=author>``, a byline ("Posted by X on ...", "Submitted by X", "By X");
* published: RDFa ``dc:created``/``dc:date``, ``article:published_time``, JSON-LD
  ``datePublished``, microdata, ``<time datetime>``, date ``<meta>``, then byline
  text, read as US month/day/year, with dateparser last of all;
* body: a Drupal body field if there is one, else the densest block of paragraphs,
  scored by text length and link density outside navigation, sidebars and comments;
* tags: the post's own tag field or ``rel="tag"`` links inside the article, never a
  sidebar tag cloud.

Nothing inside a comment is ever evidence for the post. The module only reads the
parsed document it is given; rendering and record building happen elsewhere.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

from lxml.html import HtmlElement

from ise_archive.extract.fields import PostFields
from ise_archive.records import Image, RelatedPost, Tag
from ise_archive.urls import (
    canonical_post_url,
    canonical_site_url,
    classify_url,
    is_site_url,
    node_id,
    resolve_url,
)

logger = logging.getLogger(__name__)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: The site ran on US Eastern time; a stated time without an offset is Eastern.
SITE_TZ = ZoneInfo("America/New_York")
TEMPLATE = "generic"

# Class/id tokens (split on - and _) of page regions that never hold the article.
CHROME_TOKENS = _words(
    "nav navbar navigation menu megamenu header footer masthead banner sidebar aside "
    " breadcrumb breadcrumbs pager comment comments tagadelic share sharing addthis "
    " social widget toolbar skip recent"
)
CHROME_TAGS = _words(
    "nav header footer aside form script style noscript select button template"
)
CHROME_ROLES = _words("navigation banner contentinfo complementary search")
# Tokens of the parts of a post container that are not its body text.
NOT_BODY_TOKENS = CHROME_TOKENS | _words(
    "submitted byline author meta terms tags taxonomy links subscribe keywords "
    " related reference date dateline"
)
# Whole classes of hidden helpers: RDFa stubs, screen-reader text, print markers.
NOT_BODY_CLASSES = _words(
    "element-invisible element-hidden rdf-meta visually-hidden sr-only print-footnote "
    " print-link print-links"
)
NOT_BODY_TAGS = _words(
    "script style noscript form input button select textarea h1 nav aside"
)
COMMENT_TOKENS = frozenset({"comment", "comments"})
TAG_FIELD_TOKENS = frozenset({"tags", "terms", "taxonomy", "tag"})
BYLINE_TOKENS = _words(
    "submitted byline author meta posted info postinfo dateline date time"
)
# Layout classes Drupal puts on <body>/wrappers: "one-sidebar", "with-sidebar".
_LAYOUT_TOKEN = re.compile(r"^(?:with|has|one|two|no|not|page|node-type|layout)-")
_TOKEN_SPLIT = re.compile(r"[-_\s]+")

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
ARTICLE_XPATH = (
    "ancestor-or-self::*[self::article or @typeof[contains(., 'sioc:Item')]"
    " or @itemtype[contains(., 'Article') or contains(., 'BlogPosting')]"
    " or contains(concat(' ', normalize-space(@class), ' '), ' node ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' hentry ')][1]"
)
ARTICLE_TYPES = frozenset({"Article", "BlogPosting", "NewsArticle", "Report"})
DATE_META_NAMES = ("dcterms.date", "dc.date", "dc.date.created", "date", "pubdate")
SITE_NAMES = frozenset(
    {"information sharing environment", "ise", "ise.gov", "ise blog"}
)

# "Social Media and Law Enforcement | Information Sharing Environment"
_TITLE_SUFFIX = re.compile(
    r"\s+(?:\||-|–|—|::)\s+(?:the\s+)?(?:information sharing environment|ise(?:\.gov)?"
    r"(?: blog)?)\s*$",
    re.IGNORECASE,
)
# "Posted by ISE Bloggers on Tuesday, October 04, 2011", "Submitted by Joe on Mon,
# 06/14/2010 - 09:00", "By Kshemendra Paul | June 10, 2015"
_BYLINE = re.compile(
    r"\b(?:posted|submitted|written|published)?\s*by:?\s+(?P<author>[^|\n]{2,80}?)"
    r"(?:\s+(?:on|at)\s+(?P<date>.+)|\s*[|\u2022·]\s*(?P<date2>.+))?$",
    re.IGNORECASE,
)
# "06/14/2010 - 09:00", "10/04/2011", "6/14/2010 9:00 am"
_NUMERIC_DATE = re.compile(
    r"\b(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})"
    r"(?:\s*(?:-|at)?\s*(?P<H>\d{1,2}):(?P<M>\d{2})\s*(?P<ampm>[ap]\.?m\.?)?)?",
    re.IGNORECASE,
)
# "October 04, 2011", "Oct. 4, 2011 at 9:00 AM"
_WORD_DATE = re.compile(
    r"\b(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+"
    r"(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})"
    r"(?:\s*(?:-|at|,)?\s*(?P<H>\d{1,2}):(?P<M>\d{2})\s*(?P<ampm>[ap]\.?m\.?)?)?",
    re.IGNORECASE,
)
# "Posted by ISE Bloggers on ...", "Submitted by admin on ..." (not a guest "By X")
_POSTED_BY = re.compile(r"^(?:posted|submitted)\s+by\s", re.IGNORECASE)
# "By Kshemendra Paul", "Written by Joe LaPorte"
_BY_LINE = re.compile(r"^(?:(?:posted|submitted|written)\s+)?by\s", re.IGNORECASE)
# "Kshemendra Paul Wednesday, June 10, 2015": where a run-on byline's name ends
_AUTHOR_END = re.compile(
    r"\s+(?:on\s+)?(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,|\d)", re.IGNORECASE
)
_MONTHS = (
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
)
_NODE_ID = re.compile(r"^(?:page-)?node-(\d+)$")
# <span property="dc:date dc:created" content="2011-10-04T12:38:00-04:00">
_RDFA = "//*[contains(concat(' ', @property, ' '), ' {} ')]/@content"
_WS = re.compile(r"\s+")
# Characters HTML parsing lets into the tree but lxml will not set as text.
_XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
DATEPARSER_SETTINGS = {
    "DATE_ORDER": "MDY",
    "PREFER_DAY_OF_MONTH": "first",
    "PREFER_DATES_FROM": "past",
    "REQUIRE_PARTS": ["day", "month", "year"],
    "RETURN_AS_TIMEZONE_AWARE": False,
}
MIN_BODY_CHARS = 80


def matches(doc: HtmlElement) -> bool:
    """True for any page that looks like it carries an article.

    It is deliberately permissive (the page object tries it last); it only refuses
    pages with no title and no paragraph text at all, and listings of teasers.
    """
    if _listing_shape(doc):
        return False
    has_title = bool(doc.xpath("//title|//h1|//meta[@property='og:title']"))
    return has_title and bool(doc.xpath("//p[string-length(normalize-space()) > 40]"))


def extract_fields(doc: HtmlElement, base_url: str) -> PostFields | None:
    """Read a post's fields from generic evidence; None when there is no post.

    Partial results are fine: a page with a title and a body but no byline gives a
    post without author. Only missing title or body evidence gives None.
    """
    ld = _json_ld(doc, base_url)
    container = _body_container(doc)
    title = _title(doc, ld)
    if container is None or not title:
        logger.debug("generic: no title/body evidence in %(url)s", {"url": base_url})
        return None
    article = _article_root(container)
    bylines = _bylines(article, container)
    author, author_url = _author(doc, ld, bylines, base_url)
    return PostFields(
        title=title,
        author=author,
        author_url=author_url,
        published=_published(doc, ld, bylines),
        tags=_tags(doc, article, base_url),
        related=_related(article, container, base_url),
        images=_images(container),
        body=_clean_body(container, title),
        nid=_nid(doc),
        canonical_url=_canonical_url(doc, ld, base_url),
        template=TEMPLATE,
    )


# -- regions -----------------------------------------------------------------------


def _tokens(el: HtmlElement) -> set[str]:
    """Class and id words of an element: "region-sidebar-second" → region, sidebar…"""
    words: set[str] = set()
    for raw in f"{el.get('class', '')} {el.get('id', '')}".split():
        if not _LAYOUT_TOKEN.match(raw.lower()):
            words.update(_TOKEN_SPLIT.split(raw.lower()))
    return words


def _is_chrome(el: HtmlElement) -> bool:
    if not isinstance(el.tag, str):
        return True
    if el.tag in ("html", "body"):
        return False
    if el.tag in CHROME_TAGS or el.get("role", "").lower() in CHROME_ROLES:
        return True
    return bool(_tokens(el) & CHROME_TOKENS)


def _is_comment(el: HtmlElement) -> bool:
    if not isinstance(el.tag, str):
        return False
    kind = f"{el.get('typeof', '')} {el.get('itemtype', '')}"
    return "Comment" in kind or bool(_tokens(el) & COMMENT_TOKENS)


def _in_comment(el: HtmlElement) -> bool:
    return any(_is_comment(a) for a in el.iterancestors()) or _is_comment(el)


def _in_chrome(el: HtmlElement, stop: HtmlElement | None = None) -> bool:
    """True inside navigation, sidebars, page header/footer or comments.

    An ``<article>``'s own ``<header>``/``<footer>`` is not chrome: HTML5 themes put
    the byline and the tags there.
    """
    chain = [el, *el.iterancestors()]
    for i, a in enumerate(chain):
        if a is stop:
            return False
        if _is_chrome(a) and not (
            a.tag in ("header", "footer")
            and any(b.tag == "article" for b in chain[i + 1 :])
        ):
            return True
    return False


def _walk(root: HtmlElement) -> Iterator[HtmlElement]:
    """Elements under ``root`` in document order, not entering chrome subtrees.

    Iterative, so a hostile 5,000-level nesting cannot exhaust the stack.
    """
    stack = [root]
    while stack:
        el = stack.pop()
        if el is not root and _is_chrome(el):
            continue
        yield el
        stack.extend(reversed([c for c in el if isinstance(c.tag, str)]))


def _listing_shape(doc: HtmlElement) -> bool:
    """Several teasers each headed by a link: a blog listing or tag page."""
    teasers = doc.xpath(
        "//*[self::article or contains(concat(' ', @class, ' '), ' node ')]"
        "[.//*[self::h2 or self::h3]/a]"
    )
    return len(teasers) >= 3 and max(_text_len(t) for t in teasers) < 1500


# -- body --------------------------------------------------------------------------


def _body_container(doc: HtmlElement) -> HtmlElement | None:
    for xpath in BODY_XPATHS:
        for el in doc.xpath(xpath):
            if not _in_comment(el) and _text_len(el) >= MIN_BODY_CHARS:
                return el
    return _densest_block(doc)


def _text_len(el: HtmlElement) -> int:
    return len(_WS.sub(" ", el.text_content()).strip())


def _densest_block(doc: HtmlElement) -> HtmlElement | None:
    """The container whose paragraphs score highest (a readability-style vote).

    Each paragraph-like element outside chrome gives its parent a score from its
    length and commas, and its grandparent half of it; the winner is discounted by
    its link density, so a navigation column of links never wins.
    """
    body = doc.find("body")
    scores: dict[HtmlElement, float] = {}
    for el in _walk(body if body is not None else doc):
        if el.tag not in ("p", "pre", "blockquote", "td", "div", "li"):
            continue
        own = _own_text(el) if el.tag in ("td", "div", "li") else el.text_content()
        own = _WS.sub(" ", own).strip()
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
    if best is None or _text_len(best) < MIN_BODY_CHARS:
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
    total = _text_len(el)
    if not total:
        return 1.0
    linked = sum(_text_len(a) for a in el.iter("a"))
    return min(linked / total, 1.0)


def _clean_body(container: HtmlElement, title: str) -> HtmlElement:
    """A detached copy of the body without bylines, tags, share links or comments."""
    body = copy.deepcopy(container)
    body.tail = None
    doomed = [
        el
        for el in body.iterdescendants()
        if isinstance(el.tag, str)
        and (
            el.tag in NOT_BODY_TAGS
            or _tokens(el) & NOT_BODY_TOKENS
            or NOT_BODY_CLASSES.intersection(el.get("class", "").split())
            or _is_comment(el)
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
    text = _norm(el.text_content())
    if el.tag in ("h2", "h3") and text == title:
        return True
    return len(text) <= 200 and bool(_POSTED_BY.match(text))


def _article_root(container: HtmlElement) -> HtmlElement:
    """The post's own container (``<article>``, ``.node``, sioc:Item) or the page."""
    found = container.xpath(ARTICLE_XPATH)
    return found[0] if found else container.getroottree().getroot()


# -- title, author, date -------------------------------------------------------------


def _norm(text: str | None) -> str:
    return _WS.sub(" ", (text or "").replace("\xa0", " ")).strip()


def _first(doc: HtmlElement, xpath: str) -> str:
    """First non-empty value of ``xpath`` outside comments (attribute or text)."""
    for hit in doc.xpath(xpath):
        owner = hit.getparent() if isinstance(hit, str) else hit
        if owner is not None and (_in_comment(owner) or _in_chrome(owner)):
            continue
        text = _norm(hit if isinstance(hit, str) else hit.text_content())
        if text:
            return text
    return ""


def _meta(doc: HtmlElement, key: str) -> str:
    return _first(doc, f"//meta[@property='{key}' or @name='{key}']/@content")


def _title(doc: HtmlElement, ld: dict) -> str:
    candidates = (
        _first(
            doc, "//*[contains(concat(' ', @property, ' '), ' dc:title ')]/@content"
        ),
        _norm(str(ld.get("headline") or ld.get("name") or "")),
        _meta(doc, "og:title"),
        _first(doc, "//*[@itemprop='headline']"),
        _first(doc, "//h1"),
        _TITLE_SUFFIX.sub("", _first(doc, "//title")),
    )
    for text in candidates:
        if text and text.lower() not in SITE_NAMES:
            return _TITLE_SUFFIX.sub("", text)
    return ""


def _bylines(article: HtmlElement, body: HtmlElement) -> list[HtmlElement]:
    """Byline-like elements of the post, shortest first (a "By X" span before the
    "By X Wednesday, June 10" block around it): elements classed as bylines outside
    the body, then short lines reading "Posted by X ...", never inside comments.
    A "By X, outlet" line inside the body is a guest author's signature, not the
    account that posted it, so only "Posted/Submitted by" counts there."""
    found = []
    for el in article.iter():
        if (
            isinstance(el.tag, str)
            and el.tag not in ("html", "body")
            and _tokens(el) & BYLINE_TOKENS
            and not (el is body or body in el.iterancestors())
        ):
            found.append(el)
    # "<p><i>Posted by <a href=...>ISE Bloggers</a> on Tuesday, ...</i></p>"
    for text in article.xpath(".//text()[contains(translate(., 'BY', 'by'), 'by')]"):
        el = text.getparent()
        if text.is_tail or el.tag in ("a", "b", "strong"):
            el = el.getparent()
        if el is None or len(el) > 10:
            continue
        line = _BY_LINE if body not in (el, *el.iterancestors()) else _POSTED_BY
        if line.match(_norm(el.text_content())):
            found.append(el)
    found = [
        el
        for el in found
        if len(_norm(el.text_content())) <= 200
        and not (_in_comment(el) or _in_chrome(el, stop=article))
    ]
    return sorted(found, key=lambda el: len(el.text_content()))


def _author(
    doc: HtmlElement, ld: dict, bylines: list[HtmlElement], base: str
) -> tuple[str, str]:
    for el in doc.xpath("//*[contains(concat(' ', @property, ' '), ' foaf:name ')]"):
        name = _norm(el.text_content())
        if name and not (_in_comment(el) or _in_chrome(el)):
            return name, _url(el.get("href") or el.get("about") or "", base)
    person = ld.get("author")
    if isinstance(person, list) and person:
        person = person[0]
    if isinstance(person, dict) and isinstance(person.get("name"), str):
        return _norm(person["name"]), _url(str(person.get("url") or ""), base)
    for el in doc.xpath("//*[@itemprop='author']"):
        names = el.xpath(".//*[@itemprop='name']") or [el]
        if _norm(names[0].text_content()) and not _in_comment(el):
            link = el.xpath("descendant-or-self::a/@href")
            return _norm(names[0].text_content()), _url(link[0] if link else "", base)
    if _meta(doc, "author"):
        return _meta(doc, "author"), _url(_first(doc, "//*[@rel='author']/@href"), base)
    return _byline_author(bylines, base)


def _byline_author(bylines: list[HtmlElement], base: str) -> tuple[str, str]:
    """The author a byline names: its link to a user page, else the words after
    "by" up to the date."""
    for el in bylines:
        for a in el.iter("a"):
            url = _url(a.get("href", ""), base)
            if url and classify_url(url) == "user" and _norm(a.text_content()):
                return _norm(a.text_content()), url
    for el in bylines:
        match = _BYLINE.search(_norm(el.text_content()))
        if match:
            name = _AUTHOR_END.split(match.group("author"))[0].strip(" ,.;:")
            if name and len(name.split()) <= 8:
                return name, ""
    return "", ""


def _published(
    doc: HtmlElement, ld: dict, bylines: list[HtmlElement]
) -> datetime | date | None:
    """The post date, machine-readable first; a stated time beats a bare midnight.

    The 2011 theme states ``dc:date`` twice: the node's ``dc:created`` with its time
    and the blog-date field at midnight; comments state their own ``dc:created``.
    """
    candidates = [
        _first(doc, _RDFA.format("dc:created")),
        _first(doc, _RDFA.format("dc:date")),
        _meta(doc, "article:published_time"),
        str(ld.get("datePublished") or ""),
        _first(doc, "//*[@itemprop='datePublished']/@content")
        or _first(doc, "//*[@itemprop='datePublished']/@datetime"),
        _first(doc, "//time[@pubdate]/@datetime") or _first(doc, "//time/@datetime"),
        *(_meta(doc, name) for name in DATE_META_NAMES),
    ]
    found = [d for d in map(_parse_iso, candidates) if d is not None]
    found += [d for d in (_parse_text(_norm(b.text_content())) for b in bylines) if d]
    if not found:
        return None
    best = found[0]
    if not isinstance(best, datetime) or best.time() == datetime.min.time():
        day = best.date() if isinstance(best, datetime) else best
        for other in found[1:]:
            if isinstance(other, datetime) and other.date() == day and other.hour:
                return other
    return best


def _parse_iso(value: str) -> datetime | date | None:
    if not value or not value[:4].isdigit():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
        if len(value.strip()) == 10:
            return parsed.date()
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=SITE_TZ)
        return parsed.astimezone(SITE_TZ)
    except (ValueError, OverflowError):  # "2011-13-45", "0001-01-01T00:00+14:00"
        return None


def _parse_text(text: str) -> datetime | date | None:
    """A date written for people, read the American way (10/05/2011 is October 5)."""
    match = _NUMERIC_DATE.search(text)
    month = int(match.group("m")) if match else 0
    if not match:
        match = _WORD_DATE.search(text)
        month = _MONTHS.index(match.group("mon").lower()) + 1 if match else 0
    if match:
        try:
            day = date(int(match.group("y")), month, int(match.group("d")))
        except ValueError:
            return None
        if match.group("H") is None:
            return day
        hour = int(match.group("H")) % 12 if match.group("ampm") else int(match["H"])
        if (match.group("ampm") or "").lower().startswith("p"):
            hour += 12
        if hour > 23 or int(match.group("M")) > 59:
            return day
        return datetime(
            day.year, day.month, day.day, hour, int(match["M"]), tzinfo=SITE_TZ
        )
    return _dateparser_date(text)


def _dateparser_date(text: str) -> datetime | date | None:
    """dateparser as the last resort: slow to import, so only when needed."""
    match = _BYLINE.search(text)
    text = (match.group("date") or match.group("date2") or "") if match else text
    if not text or len(text) > 80 or not any(ch.isdigit() for ch in text):
        return None
    import dateparser  # lazy: it costs about half a second to import

    parsed = dateparser.parse(text, languages=["en"], settings=DATEPARSER_SETTINGS)
    return parsed.date() if parsed else None


# -- links: tags, related, images, urls -------------------------------------------


def _url(href: str, base: str) -> str:
    """An absolute, unwrapped, canonically spelled URL ('' stays '')."""
    if not href or href.startswith("#"):
        return ""
    return canonical_site_url(resolve_url(href, base))


def _tags(doc: HtmlElement, article: HtmlElement, base: str) -> tuple[Tag, ...]:
    """The post's own tags: its tag field, else ``rel=tag`` links in the article."""
    links: list[HtmlElement] = []
    for el in article.iter():
        if (
            isinstance(el.tag, str)
            and el.tag not in ("html", "body", "a")
            and _tokens(el) & TAG_FIELD_TOKENS
            and not (_in_chrome(el, stop=article) or _in_comment(el))
        ):
            links = list(el.iter("a"))
            if links:
                break
    if not links:
        links = [
            a
            for a in article.iter("a")
            if "tag" in a.get("rel", "").split()
            and not (_in_chrome(a, stop=article) or _in_comment(a))
        ]
    tags: dict[str, Tag] = {}
    for a in links:
        name, url = _norm(a.text_content()), _url(a.get("href", ""), base)
        if name and url:
            tags.setdefault(url, Tag(name=name, url=url))
    return tuple(tags.values())


def _related(
    article: HtmlElement, body: HtmlElement, base: str
) -> tuple[RelatedPost, ...]:
    """Links to other posts in a "related"/"reference" block of the article."""
    related: dict[str, RelatedPost] = {}
    for el in article.iter():
        if not isinstance(el.tag, str) or not _tokens(el) & {"related", "reference"}:
            continue
        for a in el.iter("a"):
            url = canonical_post_url(_url(a.get("href", ""), base))
            if url and _norm(a.text_content()):
                related.setdefault(
                    url, RelatedPost(title=_norm(a.text_content()), url=url)
                )
    return tuple(related.values())


def _images(body: HtmlElement) -> tuple[Image, ...]:
    images: dict[str, Image] = {}
    for img in body.iter("img"):
        src = img.get("src", "")
        if not src or src.startswith("data:"):
            continue
        figure = next((a for a in img.iterancestors() if a.tag == "figure"), None)
        caption = figure.find(".//figcaption") if figure is not None else None
        images.setdefault(
            src,
            Image(
                url=src,
                alt=_norm(img.get("alt")),
                caption=_norm(caption.text_content()) if caption is not None else "",
            ),
        )
    return tuple(images.values())


def _nid(doc: HtmlElement) -> int | None:
    for href in doc.xpath("//link[@rel='shortlink']/@href"):
        if node_id(href) is not None:
            return node_id(href)
    for el in doc.xpath("//*[self::article or self::div or self::body][@id or @class]"):
        for word in f"{el.get('id', '')} {el.get('class', '')}".split():
            match = _NODE_ID.match(word)
            if match and not _in_comment(el):
                return int(match.group(1))
    return None


def _canonical_url(doc: HtmlElement, ld: dict, base: str) -> str | None:
    """The post URL the page states for itself; never an archive's own address."""
    entity = ld.get("mainEntityOfPage")
    candidates = [
        *doc.xpath("//link[@rel='canonical']/@href"),
        _meta(doc, "og:url"),
        str(ld.get("url") or ""),
        str(entity.get("@id", "") if isinstance(entity, dict) else entity or ""),
    ]
    for candidate in candidates:
        url = _url(candidate, base) if candidate else ""
        if url and is_site_url(url) and canonical_post_url(url):
            return canonical_post_url(url)
    return None


def _json_ld(doc: HtmlElement, base: str) -> dict:
    """The first schema.org Article/BlogPosting object of the page, or {}."""
    for script in doc.xpath("//script[@type='application/ld+json']"):
        text = script.text or ""
        if len(text) > 200_000:
            continue
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            logger.debug("generic: unreadable JSON-LD in %(url)s", {"url": base})
            continue
        items = data if isinstance(data, list) else [data]
        for item in list(items):
            if isinstance(item, dict) and isinstance(item.get("@graph"), list):
                items.extend(item["@graph"])
        for item in items:
            if not isinstance(item, dict):
                continue
            kinds = item.get("@type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if any(k in ARTICLE_TYPES for k in kinds if isinstance(k, str)):
                return item
    return {}
