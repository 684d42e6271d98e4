"""Metadata evidence of an unknown page: title, author, date, node id, own URL.

Each reader tries the most trusted evidence first: RDFa (the Drupal 7 themes),
JSON-LD, Open Graph, microdata, plain HTML, and only then a byline
(:mod:`ise_archive.extract.generic.bylines`). Nothing inside a comment or page chrome
counts (:mod:`ise_archive.extract.generic.regions`). The order, source by source, is in
``docs/generic-extraction.md``. Readers return empty values rather than raise:
bad JSON-LD, impossible dates and archive URLs are evidence of nothing.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import date, datetime

from lxml.html import HtmlElement

from ise_archive.extract.fields import has_class
from ise_archive.extract.generic.bylines import (
    AUTHOR_END,
    BYLINE,
    SITE_TZ,
    parse_text_date,
)
from ise_archive.extract.generic.regions import in_chrome, in_comment, norm, tokens
from ise_archive.normalize.urls import (
    canonical_post_url,
    canonical_site_url,
    classify_url,
    is_site_url,
    node_id,
    resolve_url,
)

logger = logging.getLogger(__name__)

ARTICLE_TYPES = frozenset({"Article", "BlogPosting", "NewsArticle", "Report"})
DATE_META_NAMES = ("dcterms.date", "dc.date", "dc.date.created", "date", "pubdate")
SITE_NAMES = frozenset(
    {"information sharing environment", "ise", "ise.gov", "ise blog", "ise mobile"}
)
# "... - ISE Mobile": the m.ise.gov theme's <title>
_SITE_NAME = (
    r"(?:the\s+)?(?:information sharing environment|ise(?:\.gov)?(?: blog| mobile)?)"
)
# "Social Media and Law Enforcement | Information Sharing Environment",
# "Five Years of the ISE Blog—and What’s Next - ISE.gov (text only)"
_TITLE_SUFFIX = re.compile(
    r"\s+(?:\||-|–|—|::)\s+" + _SITE_NAME + r"(?:\s*\([^)]{0,40}\))?\s*$",
    re.IGNORECASE,
)
# "ISE Blog » Cyber Threat Information Sharing" (WordPress), "ISE Blog: Officer
# Safety in Indian Country" (Blogger-style): only ever stripped from <title>
_TITLE_PREFIX = re.compile(
    r"^" + _SITE_NAME + r"\s*(?:\||-|–|—|::|:|»|›)\s*(?=\S)", re.IGNORECASE
)
# hAtom/microformats 2: <h2 class="entry-title">, <abbr class="published" title=...>
_HATOM = "//*[{}]"
_NODE_ID = re.compile(r"^(?:page-)?node-(\d+)$")
_BY_PREFIX = re.compile(r"^by:?\s+", re.IGNORECASE)
# "Renée Caldwell", "Joe LaPorte", "J. Alvarez": two to five words (each must also
# be capitalised), no digits or sentence punctuation (not an author bio's sentence)
_PERSON_NAME = re.compile(r"^[^\W\d_][\w.'’-]*(?:\s+[^\W\d_][\w.'’-]*){1,4}$")
# <a href="/print/blog/a/b" class="print-page">, <li class="print_html"><a ...>
PRINT_LINK = (
    "//a[contains(concat(' ', @class, ' '), ' print-page ')"
    " or ancestor::li[contains(@class, 'print')]][contains(@href, '/print/')]/@href"
)
# <span property="dc:date dc:created" content="2011-10-04T12:38:00-04:00">
_RDFA = "//*[contains(concat(' ', @property, ' '), ' {} ')]/@content"


def site_url(href: str, base: str) -> str:
    """An absolute, unwrapped, canonically spelled URL ('' stays '')."""
    if not href or href.startswith("#"):
        return ""
    return canonical_site_url(resolve_url(href, base))


def first_text(doc: HtmlElement, xpath: str) -> str:
    """First non-empty value of ``xpath`` outside comments (attribute or text)."""
    for hit in doc.xpath(xpath):
        owner = hit.getparent() if isinstance(hit, str) else hit
        if owner is not None and (in_comment(owner) or in_chrome(owner)):
            continue
        text = norm(hit if isinstance(hit, str) else hit.text_content())
        if text:
            return text
    return ""


def meta_content(doc: HtmlElement, key: str) -> str:
    return first_text(doc, f"//meta[@property='{key}' or @name='{key}']/@content")


def read_title(doc: HtmlElement, ld: dict) -> str:
    candidates = (
        first_text(
            doc, "//*[contains(concat(' ', @property, ' '), ' dc:title ')]/@content"
        ),
        norm(str(ld.get("headline") or ld.get("name") or "")),
        meta_content(doc, "og:title"),
        first_text(doc, "//*[@itemprop='headline']"),
        first_text(doc, _HATOM.format(has_class("entry-title"))),
        first_text(doc, "//h1"),
        _TITLE_PREFIX.sub("", _TITLE_SUFFIX.sub("", first_text(doc, "//title"))),
    )
    for text in candidates:
        if text and text.lower() not in SITE_NAMES:
            return _TITLE_SUFFIX.sub("", text)
    return ""


def read_author(
    doc: HtmlElement, ld: dict, bylines: list[HtmlElement], base: str
) -> tuple[str, str]:
    for el in doc.xpath("//*[contains(concat(' ', @property, ' '), ' foaf:name ')]"):
        name = norm(el.text_content())
        if name and not (in_comment(el) or in_chrome(el)):
            return name, site_url(el.get("href") or el.get("about") or "", base)
    person = ld.get("author")
    if isinstance(person, list) and person:
        person = person[0]
    if isinstance(person, dict) and isinstance(person.get("name"), str):
        return norm(person["name"]), site_url(str(person.get("url") or ""), base)
    for el in doc.xpath("//*[@itemprop='author']"):
        names = el.xpath(".//*[@itemprop='name']") or [el]
        if norm(names[0].text_content()) and not in_comment(el):
            link = el.xpath("descendant-or-self::a/@href")
            return norm(names[0].text_content()), site_url(
                link[0] if link else "", base
            )
    found = _hatom_author(doc, base)
    if found[0]:
        return found
    if meta_content(doc, "author"):
        return meta_content(doc, "author"), site_url(
            first_text(doc, "//*[@rel='author']/@href"), base
        )
    return _byline_author(bylines, base)


def _hatom_author(doc: HtmlElement, base: str) -> tuple[str, str]:
    """hAtom's ``.author.vcard .fn`` (its link, or the card's ``.url``), else a
    WordPress ``<a rel="author">``; never a commenter's card."""
    for card in doc.xpath(_HATOM.format(has_class("vcard"))):
        if "author" not in card.get("class", "").split() or in_comment(card):
            continue
        names = card.xpath(".//*[contains(concat(' ', @class, ' '), ' fn ')]") or [card]
        links = names[0].xpath("ancestor-or-self::a/@href") or card.xpath(
            ".//a[contains(concat(' ', @class, ' '), ' url ')]/@href"
        )
        if norm(names[0].text_content()):
            return norm(names[0].text_content()), site_url(
                links[0] if links else "", base
            )
    for a in doc.xpath("//a[contains(concat(' ', @rel, ' '), ' author ')]"):
        if norm(a.text_content()) and not (in_comment(a) or in_chrome(a)):
            return norm(a.text_content()), site_url(a.get("href", ""), base)
    return "", ""


def _byline_author(bylines: list[HtmlElement], base: str) -> tuple[str, str]:
    """The author a byline names: its link to a user page, else the words after
    "by" up to the date."""
    for el in bylines:
        for a in el.iter("a"):
            url = site_url(a.get("href", ""), base)
            if url and classify_url(url) == "user" and norm(a.text_content()):
                return norm(a.text_content()), url
    for el in bylines:
        match = BYLINE.search(norm(el.text_content()))
        if match:
            name = AUTHOR_END.split(match.group("author"))[0].strip(" ,.;:")
            if name and len(name.split()) <= 8:
                return name, ""
    # a bare name in an element classed as the author: the mobile theme's
    # "<span class="m-author">Renée Caldwell</span> · Mar 12, 2014 2:05 PM"
    for el in bylines:
        if "author" in tokens(el):
            name = _BY_PREFIX.sub("", norm(el.text_content()))
            if _PERSON_NAME.match(name) and all(w[0].isupper() for w in name.split()):
                link = next(iter(el.xpath("descendant-or-self::a/@href")), "")
                return name, site_url(link, base)
    return "", ""


def read_published(
    doc: HtmlElement, ld: dict, bylines: list[HtmlElement]
) -> datetime | date | None:
    """The post date, machine-readable first; a stated time beats a bare midnight.

    The 2011 theme states ``dc:date`` twice: the node's ``dc:created`` with its time
    and the blog-date field at midnight; comments state their own ``dc:created``.
    """
    candidates = [
        first_text(doc, _RDFA.format("dc:created")),
        first_text(doc, _RDFA.format("dc:date")),
        meta_content(doc, "article:published_time"),
        str(ld.get("datePublished") or ""),
        first_text(doc, "//*[@itemprop='datePublished']/@content")
        or first_text(doc, "//*[@itemprop='datePublished']/@datetime"),
        first_text(doc, _HATOM.format(has_class("published")) + "/@title")
        or first_text(doc, _HATOM.format(has_class("dt-published")) + "/@datetime"),
        first_text(doc, "//time[@pubdate]/@datetime")
        or first_text(doc, "//time/@datetime"),
        *(meta_content(doc, name) for name in DATE_META_NAMES),
        # <span class="post-date" data-date="2012-05-16T15:45:00Z">May 16, 2012</span>
        first_text(doc, "//*[@data-date]/@data-date"),
    ]
    found = [d for d in map(_parse_iso, candidates) if d is not None]
    # microdata written for people: <span itemprop="datePublished">Thursday, May 2,
    # 2013 - 16:10</span>, then the bylines
    texts = [first_text(doc, "//*[@itemprop='datePublished']")]
    texts += [norm(b.text_content()) for b in bylines]
    found += [d for d in map(parse_text_date, texts) if d]
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


def read_nid(doc: HtmlElement) -> int | None:
    for href in doc.xpath("//link[@rel='shortlink']/@href"):
        if node_id(href) is not None:
            return node_id(href)
    for el in doc.xpath("//*[self::article or self::div or self::body][@id or @class]"):
        for word in f"{el.get('id', '')} {el.get('class', '')}".split():
            match = _NODE_ID.match(word)
            if match and not in_comment(el):
                return int(match.group(1))
    return None


def read_canonical_url(doc: HtmlElement, ld: dict, base: str) -> str | None:
    """The post URL the page states for itself (canonical link, ``og:url``, JSON-LD,
    microdata ``url``); never an archive's own address."""
    entity = ld.get("mainEntityOfPage")
    candidates = [
        *doc.xpath("//link[@rel='canonical']/@href"),
        meta_content(doc, "og:url"),
        str(ld.get("url") or ""),
        # microdata: <meta itemprop="url" content="..."> of the BlogPosting
        *doc.xpath("//meta[@itemprop='url']/@content"),
        str(entity.get("@id", "") if isinstance(entity, dict) else entity or ""),
        # last: the print module's link names the post's alias even on a page
        # captured under /node/<nid> that states no canonical URL (Panels pages)
        first_text(doc, PRINT_LINK),
    ]
    for candidate in candidates:
        url = site_url(candidate, base) if candidate else ""
        if url and is_site_url(url) and canonical_post_url(url):
            return canonical_post_url(url)
    return None


def read_json_ld(doc: HtmlElement, base: str) -> dict:
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
