"""URLs of the ise.gov site: canonical forms, classification, Wayback unwrapping.

The site was crawled under many spellings of one address: ``ise.gov`` and
``www.ise.gov``, ``:80``, ``http`` and (after March 2015) ``https``, a trailing ``?``,
mixed-case author slugs, ``/print/`` copies and ``/node/<nid>`` shortlinks. A post is
identified by one canonical URL, the form Drupal printed before the https switch::

    http://www.ise.gov/blog/<author-slug>/<title-slug>

This module only computes with URL strings: it fetches nothing.
"""

from __future__ import annotations

import functools
import re
from typing import Literal
from urllib.parse import urljoin, urlsplit, urlunsplit

from w3lib.url import safe_url_string

from ise_archive.archive.wayback import parse_archive_url

SITE_HOST = "www.ise.gov"
SITE_ROOT = "http://www.ise.gov"
SITE_HOSTS = frozenset({"ise.gov", "www.ise.gov"})

UrlKind = Literal[
    "post", "print", "node", "listing", "feed", "tag", "user", "other", "offsite"
]

_PERCENT_ESCAPE = re.compile(r"%[0-9a-f]{2}", re.IGNORECASE)
# /blog/ise-bloggers/welcome-ise-blog   /print/blog/joe-laporte/officer-safety-...
_POST_PATH = re.compile(
    r"^/(?P<print>print/)?blog/(?P<author>[^/]+)/(?P<slug>[^/]+)/?$"
)
# /node/1519  /print/node/1519  /print/1519 (the print module's own short form)
_NODE_PATH = re.compile(r"^/(?:print/(?:node/)?|node/)(?P<nid>\d+)/?$")
_FEED_PATHS = frozenset({"/iseblog/feed", "/blog/feed", "/rss.xml", "/blog/rss.xml"})
# An absolute URL that urljoin, safe_url_string and urlsplit/urlunsplit all leave
# exactly as it is: http(s), a lower-case host name of plain labels ending in a
# letter label (no IDNA, no IPv4 forms, no port or user), and a path of characters
# that need no escaping, with upper-case escapes (never %2E) and no dot segments;
# no query, fragment or ";". tests/normalize/test_urls.py checks the equivalence.
_PLAIN_URL = re.compile(
    r"https?://(?P<host>(?:[a-z0-9]+(?:-[a-z0-9]+)*\.)+[a-z]+)"
    r"(?P<path>(?:/[A-Za-z0-9._~!$&()*+,=:@/%-]*)?)"
)
# what the path's character class lets through but a plain path may not hold
_DOT_SEGMENT = re.compile(r"/\.\.?(?:/|$)")
_NOT_UPPER_ESCAPE = re.compile(r"%(?![0-9A-F]{2})|%2E")
#: How many URLs :func:`canonical_post_url` and :func:`classify_url` remember: the
#: planner asks both about every capture of the index at each of its rounds (about
#: 90,000 calls for 2,000 posts), for a few thousand distinct URLs. Bounded, so a
#: large index costs at most a few MB.
_URL_CACHE_SIZE = 1 << 14


def plain_url_parts(url: str) -> tuple[str, str] | None:
    """``(host, path)`` of a URL that needs no unwrapping, joining or escaping.

    Such a URL is its own :func:`resolve_url` (against a plain base), so the
    functions here skip their parsing for it; None for every other URL.

    >>> plain_url_parts("http://www.ise.gov/blog/a%E2%80%99s")
    ('www.ise.gov', '/blog/a%E2%80%99s')
    >>> plain_url_parts("http://www.ise.gov/blog?page=2") is None
    True
    """
    match = _PLAIN_URL.fullmatch(url)
    if match is None or "/web/" in url:
        return None
    path = match["path"]
    if "/." in path and _DOT_SEGMENT.search(path):
        return None
    if "%" in path and _NOT_UPPER_ESCAPE.search(path):
        return None
    return match["host"], path


def unwrap_archive_url(url: str) -> str:
    """Undo the Wayback Machine's rewriting of one URL; other URLs pass unchanged.

    The replay URL is read by :func:`ise_archive.archive.wayback.parse_archive_url`,
    the one parser of replay URLs (any path before ``/web/``, as OpenWayback's
    ``/wayback/web/...``, collapsed and missing schemes).

    >>> unwrap_archive_url("/web/20111006123456im_/http://www.ise.gov/logo.png")
    'http://www.ise.gov/logo.png'
    >>> unwrap_archive_url("https://web.archive.org/web/2011/ise.gov/blog")
    'http://ise.gov/blog'
    >>> unwrap_archive_url("http://host/wayback/web/2011/http://www.ise.gov/blog")
    'http://www.ise.gov/blog'
    """
    url = url.strip()
    for _ in range(3):  # a rewritten URL can itself be rewritten (nested replays)
        parsed = parse_archive_url(url)
        if parsed is None:
            break
        url = parsed[2]
    return url


def resolve_url(href: str, base: str) -> str:
    """An ``href`` as an absolute, percent-safe URL, unwrapped from Wayback form.

    Relative links resolve against ``base`` (the page's canonical URL, never a
    ``/web/`` URL), so ``/contact`` on a post becomes ``http://www.ise.gov/contact``.
    """
    if plain_url_parts(href) and plain_url_parts(base):
        return href
    href = unwrap_archive_url(href)
    absolute = urljoin(unwrap_archive_url(base), href)
    return safe_url_string(unwrap_archive_url(absolute))


def is_site_url(url: str) -> bool:
    """True for URLs of ise.gov itself, under any host spelling, scheme or port."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    return host.lower() in SITE_HOSTS


def canonical_site_url(url: str) -> str:
    """An ise.gov URL in the site's canonical spelling; other URLs unchanged.

    >>> canonical_site_url("https://ise.gov:80/category/free-tags/dhs")
    'http://www.ise.gov/category/free-tags/dhs'
    """
    plain = plain_url_parts(url)
    if plain is not None:
        host, path = plain
        return SITE_ROOT + (path or "/") if host in SITE_HOSTS else url
    url = unwrap_archive_url(url)
    if not is_site_url(url):
        return url
    parts = urlsplit(safe_url_string(url))
    path = _upper_escapes(parts.path or "/")
    query = parts.query
    return urlunsplit(("http", SITE_HOST, path, query, parts.fragment))


@functools.lru_cache(maxsize=_URL_CACHE_SIZE)
def canonical_post_url(url: str) -> str | None:
    """The canonical URL of the blog post ``url`` points at, or None if it is not one.

    Host, scheme, port, ``/print`` prefix, query, fragment, trailing slash and case
    are normalized; percent escapes are upper-case as Drupal printed them.

    >>> canonical_post_url("https://ise.gov:80/print/blog/Tamara-Wells/niem-30?")
    'http://www.ise.gov/blog/tamara-wells/niem-30'
    >>> canonical_post_url("http://www.ise.gov/blog?page=2") is None
    True
    """
    plain = plain_url_parts(url)
    if plain is not None:
        host, path = plain
        if host not in SITE_HOSTS:
            return None
    else:
        url = unwrap_archive_url(url)
        if not is_site_url(url):
            return None
        path = urlsplit(safe_url_string(url)).path
    match = _POST_PATH.match(path)
    if not match:
        return None
    author = _normalize_segment(match.group("author"))
    slug = _normalize_segment(match.group("slug"))
    if author == "feed" or slug == "feed":
        return None
    return f"{SITE_ROOT}/blog/{author}/{slug}"


def node_id(url: str) -> int | None:
    """The Drupal node id of a ``/node/<nid>`` URL (its shortlink), else None."""
    url = unwrap_archive_url(url)
    if not is_site_url(url):
        return None
    match = _NODE_PATH.match(urlsplit(url).path)
    return int(match.group("nid")) if match else None


@functools.lru_cache(maxsize=_URL_CACHE_SIZE)
def classify_url(url: str) -> UrlKind:
    """What kind of ise.gov page a URL names, judged from the URL alone.

    The page itself has the last word (a ``/node/N`` URL can be a post; a post URL can
    be a soft 404); this is what discovery uses to decide what to fetch.
    """
    plain = plain_url_parts(url)
    if plain is not None:  # its own unwrapped, escaped form
        host, path = plain
        if host not in SITE_HOSTS:
            return "offsite"
    else:
        url = unwrap_archive_url(url)
        if not is_site_url(url):
            return "offsite"
        path = urlsplit(safe_url_string(url)).path
    path = path.rstrip("/").lower() or "/"
    if path in _FEED_PATHS or path.endswith("/feed"):
        return "feed"
    if canonical_post_url(url):
        return "print" if path.startswith("/print/") else "post"
    if _NODE_PATH.match(path):
        return "node"
    if path == "/blog" or path.startswith(("/blog/", "/archive/")):
        return "listing"
    if path.startswith(("/category/", "/taxonomy/term/", "/tags/")):
        return "tag"
    if path.startswith(("/users/", "/user/")):
        return "user"
    return "other"


def _normalize_segment(segment: str) -> str:
    return _upper_escapes(segment.lower())


def _upper_escapes(text: str) -> str:
    return _PERCENT_ESCAPE.sub(lambda m: m.group(0).upper(), text)
