"""Undo what the Wayback Machine adds to a page it replays (no ``id_`` flag).

A replayed page carries, besides the archived document:

* a head include: archive scripts and styles, ending with the comment
  ``<!-- End Wayback Rewrite JS Include -->``; one of its scripts calls
  ``__wm.wombat("<original url>", "<timestamp>", ...)``, which is where a replayed
  page says what it is a capture of;
* the toolbar, between ``<!-- BEGIN WAYBACK TOOLBAR INSERT -->`` and
  ``<!-- END WAYBACK TOOLBAR INSERT -->`` at the top of ``<body>``;
* trailer comments after ``</html>`` (``FILE ARCHIVED ON ...``, playback timings);
* every URL rewritten to ``/web/<timestamp><modifier>/<original>``.

:func:`strip_replay` removes the first three from a parsed document and
:func:`restore_links` unwraps and resolves the URLs (of any page: raw captures can
contain archive URLs too). Nothing here fetches or decides what a page is.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from urllib.parse import urljoin

from lxml import etree
from lxml.html import HtmlElement
from w3lib.url import safe_url_string

from ise_archive.normalize.urls import canonical_site_url, unwrap_archive_url

logger = logging.getLogger(__name__)

TOOLBAR_BEGIN = "BEGIN WAYBACK TOOLBAR INSERT"
TOOLBAR_END = "END WAYBACK TOOLBAR INSERT"
HEAD_INCLUDE_END = "End Wayback Rewrite JS Include"
#: Any of these in a page's text marks it as replayed.
REPLAY_MARKERS = (HEAD_INCLUDE_END, TOOLBAR_BEGIN, "__wm.wombat(", "/_static/js/wombat")
#: Ids of toolbar elements, removed even when the comments are missing.
TOOLBAR_IDS = ("wm-ipp-base", "wm-ipp", "wm-ipp-print", "donato")
#: Comments the archive appends: "FILE ARCHIVED ON 12:34:56 Oct 06, 2011 AND ..."
TRAILER_PHRASES = ("FILE ARCHIVED ON", "playback timings", "INTERNET ARCHIVE")
#: Scripts and styles of the head include, found by their source.
ARCHIVE_ASSET_HINTS = ("/_static/", "archive.org/includes", "web-static.archive.org")

# __wm.wombat("http://www.ise.gov/blog/x/y","20111006123456","https://web.archive.org/",
_WOMBAT_CALL = re.compile(r'__wm\.wombat\(\s*"(?P<url>[^"]*)"\s*,\s*"(?P<ts>\d{4,14})"')

#: Attributes that hold URLs and are rewritten by the archive.
URL_ATTRIBUTES = ("href", "src", "action", "data", "poster", "cite", "longdesc")
# One compiled query per attribute: cheaper than one query with "or" (measured),
# and "//*/@x" (elements first) is cheaper than "//@x", with the same result.
_URL_ATTRIBUTE_XPATHS = tuple(etree.XPath(f"//*/@{name}") for name in URL_ATTRIBUTES)
_COMMENTS = etree.XPath("//comment()")
# Every toolbar element in one query ("[@id]" first: comparing @id on elements
# without one is what made four "//*[@id=$id]" queries slow).
_TOOLBAR_ELEMENTS = etree.XPath(
    "/descendant::*[@id][" + " or ".join(f"@id='{name}'" for name in TOOLBAR_IDS) + "]"
)
# <base href> of the document; the HTML parser always puts it in <head>
_BASE_HREF = etree.XPath("/html/head/base/@href")
_ASSETS = etree.XPath("/descendant::script[@src] | /descendant::link[@href]")
_INLINE_SCRIPTS = etree.XPath("/descendant::script[not(@src)]")
_CANONICAL_SITE_PREFIX = "http://www.ise.gov/"
# lxml.html's HtmlElement.set only adds value-less ("boolean") attributes on top of
# the C method, which costs half as much; a restored value is never None.
_set_attribute = etree._Element.set
_SCHEMES_KEPT = ("mailto:", "tel:", "javascript:", "data:", "#", "ftp:", "news:")


@dataclass(frozen=True, slots=True)
class ReplayInfo:
    """What a replayed page says about its capture (None when it does not say)."""

    url: str | None
    timestamp: str | None


def replay_info(text: str) -> ReplayInfo | None:
    """The capture URL and timestamp of a replayed page, or None for a raw capture.

    >>> replay_info('<script>__wm.wombat("http://www.ise.gov/","20100921140233",')
    ReplayInfo(url='http://www.ise.gov/', timestamp='20100921140233')
    >>> replay_info("<html><body>plain</body></html>") is None
    True
    """
    if not any(marker in text for marker in REPLAY_MARKERS):
        return None
    match = _WOMBAT_CALL.search(text)
    if match is None:
        return ReplayInfo(url=None, timestamp=None)
    return ReplayInfo(url=match["url"] or None, timestamp=match["ts"])


def strip_replay(doc: HtmlElement) -> None:
    """Remove the archive's head include, toolbar and trailer from ``doc`` in place."""
    for comment in _COMMENTS(doc):
        text = comment.text or ""
        if HEAD_INCLUDE_END in text:
            parent = comment.getparent()
            if parent is not None and parent.tag == "head":
                _remove_preceding_siblings(comment)
            _remove(comment)
        elif TOOLBAR_BEGIN in text:
            _remove_toolbar(comment)
        elif any(phrase in text for phrase in TRAILER_PHRASES):
            _remove(comment)
    toolbar = _TOOLBAR_ELEMENTS(doc)
    for element_id in TOOLBAR_IDS:  # in this order, as one query per id would
        for element in toolbar:
            if element.get("id") == element_id and _in_tree(element, doc):
                _remove(element)
    for element in _ASSETS(doc):
        source = element.get("src") or element.get("href") or ""
        if any(hint in source for hint in ARCHIVE_ASSET_HINTS):
            _remove(element)
    for script in _INLINE_SCRIPTS(doc):
        if "__wm." in (script.text or "") or "archive_analytics" in (script.text or ""):
            _remove(script)


def restore_links(doc: HtmlElement, base_url: str) -> None:
    """Make every URL attribute absolute and original, in place.

    Archive URLs are unwrapped (``/web/2011.../http://x`` -> ``http://x``), relative
    URLs resolved against ``base_url`` (the page's canonical URL, never an archive
    URL), and ise.gov URLs put in the site's canonical spelling
    (``https://ise.gov:80/x`` -> ``http://www.ise.gov/x``).
    """
    origin = _origin(base_url)
    # a page repeats its URLs (menus, sidebars, the same image): each distinct
    # value is restored once per call
    restored_values: dict[str, str] = {}
    for select in _URL_ATTRIBUTE_XPATHS:
        for value in select(doc):
            if value.startswith(_CANONICAL_SITE_PREFIX) and "/web/" not in value:
                continue  # nothing to do, as for most image sources
            restored = restored_values.get(value)
            if restored is None:
                restored = restore_url(value, base_url, origin)
                restored_values[value] = restored
            if restored != value:
                _set_attribute(value.getparent(), value.attrname, restored)


def link_base(doc: HtmlElement, base_url: str) -> str:
    """What the document's relative links resolve against: its ``<base href>``.

    ``base_url`` (the canonical URL) when there is none, or when it only points into
    the archive. A page whose original says ``<base href="http://www.ise.gov/">``
    links ``sites/default/files/report.pdf`` to the site root, not below the post;
    the replay rewrites that base to ``/web/<ts>/http://www.ise.gov/`` and leaves the
    relative links alone, so the base is unwrapped first. (Print-module pages set
    the base to the post URL itself, which changes nothing.)
    """
    hrefs = _BASE_HREF(doc)
    if not hrefs:
        return base_url
    url = hrefs[0].strip()
    if "/web/" in url:
        url = unwrap_archive_url(url)
    url = urljoin(base_url, url)
    host = url.partition("://")[2].split("/", 1)[0].lower()
    if not url.startswith(("http://", "https://")) or not host:
        return base_url
    if host.endswith("archive.org") or "/web/" in url:
        return base_url
    return canonical_site_url(url) if "ise.gov" in host else url


def without_trailing_comments(text: str) -> str:
    """``text`` without the comments after its last element (the archive's trailer).

    >>> without_trailing_comments("<rss></rss>\\n<!-- FILE ARCHIVED ON ... -->\\n")
    '<rss></rss>'
    """
    end = text.rstrip()
    while end.endswith("-->"):
        start = end.rfind("<!--")
        if start < 0:
            break
        end = end[:start].rstrip()
    return end


def restore_url(value: str, base_url: str, origin: str | None = None) -> str:
    """One URL attribute value, unwrapped, absolute and canonical when on ise.gov.

    ``origin`` (``http://www.ise.gov``) is ``base_url``'s scheme and host, passed in
    by :func:`restore_links` so that the common root-relative link costs a string
    concatenation rather than a ``urljoin``.

    >>> restore_url("/web/20111006123456/http://www.ise.gov/contact", "http://x.org/")
    'http://www.ise.gov/contact'
    >>> restore_url("/contact", "http://www.ise.gov/blog/a/b")
    'http://www.ise.gov/contact'
    """
    url = value.strip()
    if not url or url.startswith(_SCHEMES_KEPT):
        return url
    if "/web/" in url:
        url = unwrap_archive_url(url)
    if not url.startswith(("http://", "https://")):
        if (
            origin
            and url.startswith("/")
            and not url.startswith("//")
            and ("/." not in url)
        ):
            url = origin + url
        else:
            url = urljoin(base_url, url)
    if not url.isascii() or " " in url:
        url = safe_url_string(url)
    if url.startswith(_CANONICAL_SITE_PREFIX):
        return url
    if "ise.gov" in url[:40].lower():
        return canonical_site_url(url)
    return url


def _origin(url: str) -> str | None:
    """``http://www.ise.gov/blog/a/b`` -> ``http://www.ise.gov``."""
    scheme, separator, rest = url.partition("://")
    if not separator or not scheme.isalpha():
        return None
    return f"{scheme}://{rest.split('/', 1)[0].split('?', 1)[0].split('#', 1)[0]}"


def _remove_toolbar(begin: HtmlElement) -> None:
    """Remove the toolbar comment pair and everything between them."""
    node = begin.getnext()
    while node is not None:
        following = node.getnext()
        is_end = not isinstance(node.tag, str) and TOOLBAR_END in (node.text or "")
        _remove(node)
        if is_end:
            break
        node = following
    _remove(begin)


def _in_tree(element: HtmlElement, root: HtmlElement) -> bool:
    """True while ``element`` is inside ``root`` (not removed with an ancestor)."""
    top = element
    while (parent := top.getparent()) is not None:
        top = parent
    return top is root


def _remove_preceding_siblings(marker: HtmlElement) -> None:
    node = marker.getprevious()
    while node is not None:
        previous = node.getprevious()
        _remove(node)
        node = previous


def _remove(node: HtmlElement) -> None:
    """Remove a node but keep its tail text (which belongs to the page)."""
    parent = node.getparent()
    if parent is None:
        return
    tail = node.tail
    if tail and tail.strip():
        previous = node.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(node)
