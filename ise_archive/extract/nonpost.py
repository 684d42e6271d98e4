"""Pages that are not blog posts: what they are, and which posts they lead to.

The page decides, not its URL: a ``/blog/<author>/<slug>`` capture can be a
"Page not found" served with status 200 (a soft 404), and a ``/node/<nid>`` capture
can be a post. Drupal says what it rendered in the ``<body>`` classes
(``page-node node-type-blog``, ``page-blog``, ``page-taxonomy-term``, ``page-user``,
``front``); Apache and the Wayback Machine have their own recognizable pages.

Listing, tag and user pages and the RSS feed carry links to posts; the crawler
follows :func:`listing_post_urls` / :func:`feed_post_urls` and the pager's
:func:`next_page_url` without parsing the page again.

This module classifies and reads links; it does not build posts.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from urllib.parse import urljoin

from lxml import etree
from lxml.html import HtmlElement

from ise_archive.extract.fields import clean_text, element_text, first, has_class
from ise_archive.normalize.urls import (
    canonical_post_url,
    canonical_site_url,
    unwrap_archive_url,
)

logger = logging.getLogger(__name__)

# Drupal body classes -> kind. "front" wins over "page-node" (the front page is a node).
BODY_CLASS_KINDS: tuple[tuple[str, str, str], ...] = (
    ("front", "other", "not-a-post:front-page"),
    ("page-taxonomy-term", "tag", "not-a-post:tag-page"),
    ("page-taxonomy", "tag", "not-a-post:tag-page"),
    ("page-user", "user", "not-a-post:user-page"),
    ("page-blog", "listing", "not-a-post:listing"),
    ("page-archive", "listing", "not-a-post:listing"),
    ("page-search", "other", "not-a-post:search-page"),
)
BODY_CLASSES = "//body/@class"
#: Body-class kinds a page's own post URL overrides: a theme that names body classes
#: after the path alias (the 2017 redesign's "page-blog page-blog-post") marks a
#: post under /blog/... "page-blog" too, but a listing never calls a post canonical.
POST_CLASHES = frozenset({"listing", "tag", "user"})
SELF_URLS = "//link[@rel='canonical']/@href | //meta[@property='og:url']/@content"
PAGE_TITLE = "//h1[@id='page-title']"
#: The first headings of a page in any layout ("<h1 class="usa-display">Page not
#: found</h1>" in the 2016 USWDS theme, which has no ``#page-title``).
FIRST_H1S = "(//h1)[position() <= 3]"
#: The class of the node a print-module page prints (``node node-blog ...``).
PRINTED_NODE_CLASSES = (
    "//div[" + has_class("print-content") + "]//*[" + has_class("node") + "][1]/@class"
)
#: ``node-*`` classes that say something other than the node's type.
NODE_STATE_CLASSES = frozenset(
    {"node-promoted", "node-sticky", "node-unpublished", "node-full", "node-teaser"}
)
HTML_TITLE = "//title"
#: Titles Drupal gives its error pages.
NOT_FOUND_TITLES = ("page not found", "not found", "page not found.")
ACCESS_DENIED_TITLES = ("access denied", "forbidden", "403 forbidden")
# "Error 404 – Information Sharing Environment", "403 Forbidden – ISE.gov",
# "404 Not Found"
# (never "404 Reasons to Share Information")
_HTTP_ERROR_TITLE = re.compile(
    r"^(?:error\s*)?(40[34])(?:\s*(?:[-–—:|]|$)|\s+(?:not found|forbidden|error)\b)"
)

# Wayback Machine's own pages: "Hrm. The Wayback Machine has not archived that URL."
WAYBACK_TITLE_HINTS = ("wayback machine", "internet archive")
WAYBACK_ERRORS: tuple[tuple[str, str, str], ...] = (
    ("has not archived that url", "not_found", "archive-error:not-archived"),
    ("doesn't have that page archived", "not_found", "archive-error:not-archived"),
    ("excluded from the wayback machine", "not_found", "archive-error:excluded"),
    ("got an http 30", "other", "archive-error:redirect"),
    ("this page is not available", "not_found", "archive-error:unavailable"),
    ("snapshot cannot be displayed", "not_found", "archive-error:unavailable"),
)
#: ``<meta http-equiv="refresh" content="0; url=...">`` of a page that only redirects.
META_REFRESH = etree.XPath(
    "/html/head/meta[translate(@http-equiv, 'REFSH', 'refsh')='refresh']/@content"
)
#: A refresh sooner than this many seconds is a redirect, not a periodic reload.
REDIRECT_DELAY_SECONDS = 10
# "0; url=http://www.ise.gov/blog/a/b", "5;URL='/blog/a/b'"
_REFRESH_CONTENT = re.compile(
    r"^\s*(\d+)(?:\.\d*)?\s*[;,]\s*url\s*=\s*['\"]?([^'\"]+)", re.IGNORECASE
)
# window.location = "/blog/a/b"; location.href='...'; location.replace("...")
_SCRIPT_REDIRECT = re.compile(
    r"""\blocation(?:\.href)?\s*=\s*(["'])(?P<url>[^"']+)\1"""
    r"""|\blocation\.(?:replace|assign)\(\s*(["'])(?P<call>[^"']+)\3"""
)
_INLINE_SCRIPT_TEXTS = etree.XPath("//script[not(@src)]/text()")
# Apache's "301 Moved Permanently ... The document has moved <a href=...>here</a>."
REDIRECT_TEXT = ("has moved", "moved permanently", "found")

#: Where the main content of a Drupal page is (sidebars are outside it).
MAIN_CONTENT = (
    "//*[@id='block-system-main']",
    "//*[@id='content']",
    "//*[@role='main']",
    "//main",
)
PAGER_NEXT = (
    "//li[" + has_class("pager-next") + "]//a/@href",
    "//a[@rel='next']/@href",
    "//link[@rel='next']/@href",
)

# RSS 2.0 <item><link>, RSS 1.0 <item rdf:about>, Atom <entry><link href>.
FEED_ROOTS = ("rss", "feed", "RDF")
FEED_ITEM_LINKS = (
    "//*[local-name()='item']/*[local-name()='link']/text()",
    "//*[local-name()='item']/@*[local-name()='about']",
    "//*[local-name()='entry']/*[local-name()='link']"
    "[not(@rel) or @rel='alternate']/@href",
)
FEED_NEXT_LINKS = (
    "/*/*[local-name()='link'][@rel='next']/@href"
    " | /*/*[local-name()='channel']/*[local-name()='link'][@rel='next']/@href"
)
FEED_SELF_LINKS = (
    "/*/*[local-name()='channel']/*[local-name()='link'][@rel='self']/@href",
    "/*/*[local-name()='link'][@rel='self']/@href",
    "/*/*[local-name()='channel']/*[local-name()='link'][not(@*)]/text()",
)


@dataclass(frozen=True, slots=True)
class PageClass:
    """What a non-post page is: a :data:`~ise_archive.records.PageKind` and why."""

    kind: str
    reason: str


def classify_page(doc: HtmlElement) -> PageClass | None:
    """What ``doc`` is when it is clearly not a post; None when it may be one."""
    title = clean_text(doc.xpath("string(" + HTML_TITLE + ")"))
    lowered_title = title.lower()
    if any(hint in lowered_title for hint in WAYBACK_TITLE_HINTS):
        found = _wayback_error(doc)
        if found is not None:
            return found
    page_title = element_text(first(doc.xpath(PAGE_TITLE))).lower()
    headings = [element_text(h).lower() for h in doc.xpath(FIRST_H1S)]
    for candidate in (page_title, lowered_title.partition(" | ")[0], *headings):
        if candidate in NOT_FOUND_TITLES:
            return PageClass("not_found", "not-a-post:soft-404")
        if candidate in ACCESS_DENIED_TITLES:
            return PageClass("other", "not-a-post:access-denied")
    error = _HTTP_ERROR_TITLE.match(lowered_title)
    if error is not None:
        if error.group(1) == "404":
            return PageClass("not_found", "not-a-post:soft-404")
        return PageClass("other", "not-a-post:access-denied")
    if _is_server_redirect(doc, lowered_title) or _refresh_url(doc) is not None:
        return PageClass("other", "not-a-post:redirect")
    printed_node = first(doc.xpath(PRINTED_NODE_CLASSES))
    if printed_node is not None and "node" in printed_node.split():
        printed_type = next(
            (
                c
                for c in printed_node.split()
                if c.startswith("node-")
                and not c[5:6].isdigit()
                and c not in NODE_STATE_CLASSES
            ),
            None,
        )
        if printed_type not in (None, "node-blog"):
            return PageClass("other", "not-a-post:print-" + printed_type)
    classes = set((first(doc.xpath(BODY_CLASSES)) or "").split())
    states_post = _states_post_url(doc)
    for css_class, kind, reason in BODY_CLASS_KINDS:
        if css_class in classes and not (states_post and kind in POST_CLASHES):
            return PageClass(kind, reason)
    for css_class in classes:
        if css_class.startswith("node-type-") and css_class != "node-type-blog":
            return PageClass("other", "not-a-post:" + css_class)
    return None


def _states_post_url(doc: HtmlElement) -> bool:
    """The page's canonical link or ``og:url`` is a blog post's address."""
    return any(
        canonical_post_url(unwrap_archive_url(url.strip()))
        for url in doc.xpath(SELF_URLS)
    )


def listing_post_urls(doc: HtmlElement) -> list[str]:
    """Canonical URLs of the posts a page's main content links to, in order.

    Sidebars ("Recent Posts", tag clouds) are not read: a listing's own posts are
    in the main content block. ``doc`` must have absolute links (see
    :func:`ise_archive.extract.replay.restore_links`).
    """
    container = None
    for selector in MAIN_CONTENT:
        container = first(doc.xpath(selector))
        if container is not None:
            break
    if container is None:
        container = doc
    urls: list[str] = []
    seen: set[str] = set()
    for href in container.xpath(".//a/@href"):
        url = canonical_post_url(href)
        if url and url not in seen:
            seen.add(url)
            urls.append(url)
    return urls


def next_page_url(doc: HtmlElement) -> str | None:
    """The pager's next page (``http://www.ise.gov/blog?page=2``), if any."""
    for selector in PAGER_NEXT:
        href = first(doc.xpath(selector))
        if href:
            return canonical_site_url(href)
    return None


def no_article_class(doc: HtmlElement) -> PageClass:
    """What a page without an article is: a script redirect, or nothing in particular.

    Asked only once no template and no generic reading found a post, so the scripts
    of ordinary pages are never searched.
    """
    if _script_redirect_url(doc) is not None:
        return PageClass("other", "not-a-post:redirect")
    return PageClass("other", "not-a-post:no-article")


def redirect_target(doc: HtmlElement, base_url: str | None = None) -> str | None:
    """The canonical post URL a redirect page points to, if any.

    A meta refresh or a ``window.location=`` script says it first (``base_url``
    resolves a relative one); else the first post link of the body (Apache's "The
    document has moved here", the archive's "Got an HTTP 302 response").
    """
    for target in (_refresh_url(doc), _script_redirect_url(doc)):
        if target:
            url = canonical_post_url(
                urljoin(base_url or "", unwrap_archive_url(target.strip()))
            )
            if url:
                return url
    for href in doc.xpath("//body//a/@href"):
        url = canonical_post_url(href)
        if url:
            return url
    return None


def parse_feed(text: str) -> etree._Element | None:
    """The root of an RSS/Atom document, or None when ``text`` is not a feed."""
    parser = etree.XMLParser(
        recover=True, resolve_entities=False, no_network=True, huge_tree=False
    )
    data = text.encode("utf-8")
    if data.lstrip().startswith(b"<?xml"):
        data = data[data.index(b"?>") + 2 :]
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return None
    if root is None or etree.QName(root).localname not in FEED_ROOTS:
        return None
    return root


def feed_url(root: etree._Element) -> str | None:
    """The feed's own address (``atom:link rel="self"``, else the channel link)."""
    for selector in FEED_SELF_LINKS:
        value = first(root.xpath(selector))
        if value and str(value).strip():
            return unwrap_archive_url(str(value).strip())
    return None


def feed_next_page(root: etree._Element) -> str | None:
    """The next page of a paged feed (Atom/RSS ``<link rel="next" href=...>``)."""
    for value in root.xpath(FEED_NEXT_LINKS):
        href = unwrap_archive_url(_feed_link(value))
        if href.startswith(("http://", "https://")):
            return canonical_site_url(href)
    return None


def feed_post_urls(root: etree._Element) -> list[str]:
    """Canonical post URLs of a feed's items, in feed order, distinct."""
    urls: list[str] = []
    seen: set[str] = set()
    for selector in FEED_ITEM_LINKS:
        for value in root.xpath(selector):
            url = canonical_post_url(unwrap_archive_url(_feed_link(value)))
            if url and url not in seen:
                seen.add(url)
                urls.append(url)
    return urls


def _feed_link(value: str) -> str:
    """A feed link, resolved against its ``xml:base`` when it is relative.

    (Atom feeds may say ``xml:base="https://www.ise.gov/"`` once and give entry
    links as ``blog/<author>/<slug>``.)
    """
    link = str(value).strip()
    if link.startswith(("http://", "https://")):
        return link
    parent = value.getparent() if hasattr(value, "getparent") else None
    base = parent.base if parent is not None else None
    return urljoin(base, link) if base else link


def _refresh_url(doc: HtmlElement) -> str | None:
    """The target of an immediate ``<meta http-equiv="refresh">``, if any."""
    for content in META_REFRESH(doc):
        match = _REFRESH_CONTENT.match(content)
        if match and int(match.group(1)) < REDIRECT_DELAY_SECONDS:
            return match.group(2).strip()
    return None


def _script_redirect_url(doc: HtmlElement) -> str | None:
    """Where an inline ``window.location = "..."`` script sends the reader."""
    for text in _INLINE_SCRIPT_TEXTS(doc):
        if "location" not in text:
            continue
        match = _SCRIPT_REDIRECT.search(text)
        if match:
            return (match["url"] or match["call"]).replace("\\/", "/")
    return None


def _wayback_error(doc: HtmlElement) -> PageClass | None:
    text = clean_text(" ".join(doc.xpath("//body//text()"))).lower()
    for phrase, kind, reason in WAYBACK_ERRORS:
        if phrase in text:
            return PageClass(kind, reason)
    return None


def _is_server_redirect(doc: HtmlElement, lowered_title: str) -> bool:
    """Apache's "301 Moved Permanently" page (the archive stores its body)."""
    if not lowered_title[:3].isdigit() or not lowered_title.startswith(("30",)):
        return False
    heading = element_text(first(doc.xpath("//h1"))).lower()
    return any(text in heading or text in lowered_title for text in REDIRECT_TEXT)
