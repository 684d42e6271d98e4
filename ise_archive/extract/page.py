"""The page object: the bytes of one archived page in, a Post or a Skip out.

:class:`PostPage` checks its input before anything else (size, transfer length,
binary content), decodes it (:mod:`ise_archive.normalize.charset`), recognizes an
RSS/Atom
feed, parses the HTML once with lxml, removes the Wayback Machine's replay additions
and makes every URL absolute and original (:mod:`.replay`), decides whether the page
is a post at all (:mod:`.nonpost`), then lets the template modules read the post:
``print_page``, ``d7_2014`` and ``d7_2011`` first, ``generic`` for anything else.
The Markdown, links, word count and hash come from
:func:`ise_archive.markdown.converter.render_markdown`.

Errors (see :mod:`ise_archive.errors`): ``PageTooLarge`` (never parsed),
``NotHTML`` (empty, binary, or some other format; a feed is *not* an error) and
``TruncatedCapture`` (retry the capture). The truncation rules are:

* a ``Content-Length`` header larger than the body: the transfer was cut;
* a Drupal page (generator meta, ``Drupal.settings`` or ``misc/drupal.js``; every
  ise.gov page, print pages included) without ``</html>``:
  Drupal always closes the document, so a missing end tag means the bytes stop
  early — even when lxml could "repair" what is left;
* any page whose text ends inside a tag (``...<a hre``), or before its body
  (``<html>`` or ``<head>`` opened, no ``</head>``, no ``<body>``);
* a feed without its closing ``</rss>`` / ``</feed>``.

Sloppy but complete HTML from elsewhere (no ``</body></html>``, unclosed
paragraphs) is not truncation.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from urllib.parse import urljoin

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from ise_archive.archive.archives import parse_archive
from ise_archive.errors import NotHTML, PageTooLarge, TruncatedCapture
from ise_archive.extract import nonpost, replay
from ise_archive.extract.fields import PostFields, body_text, first
from ise_archive.extract.generic import reader as generic
from ise_archive.extract.teasers import feed_teasers, listing_teasers
from ise_archive.extract.templates import d7_2011, d7_2014, print_page
from ise_archive.markdown.converter import render_markdown
from ise_archive.normalize.charset import decode_html, header_value
from ise_archive.normalize.urls import (
    SITE_ROOT,
    canonical_post_url,
    canonical_site_url,
    classify_url,
    is_site_url,
    unwrap_archive_url,
)
from ise_archive.records import CaptureRef, Post, Skip, Teaser

logger = logging.getLogger(__name__)

__all__ = ["ExtractOptions", "PageReading", "PostPage", "body_text", "extract"]

#: Known templates, most specific first; ``generic`` is tried after them.
TEMPLATES: tuple[ModuleType, ...] = (print_page, d7_2014, d7_2011)

CANONICAL_LINK = etree.XPath("/descendant::link[@rel='canonical']/@href")
PRINT_SOURCE_URL = etree.XPath("//@class[contains(., 'print-source_url')]/..//a/@href")
OG_URL = etree.XPath("/descendant::meta[@property='og:url']/@content")
NODE_ABOUT = etree.XPath("//@typeof[contains(., 'sioc:Item')]/../@about")

# Magic numbers of formats that are never HTML (PDF, PNG, GIF, JPEG, zip, gzip).
BINARY_SIGNATURES = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04")
GZIP_SIGNATURE = b"\x1f\x8b"
_SNIFF_CHARS = 4096
#: Start tags that make a document HTML when they appear near its start.
HTML_HINTS = ("<html", "<head", "<body", "<!doctype html", "<title", "<meta", "<div")
FEED_HINTS = ("<rss", "<rdf:rdf", "<feed")
#: Traces every Drupal page carries (generator meta, settings script, core JS).
DRUPAL_MARKERS = ('content="Drupal', "Drupal.settings", "/misc/drupal.js")
FEED_END_TAGS = ("</rss>", "</feed>", "</rdf:rdf>")
# <div class="x">  </font>  <span>: pure containers, dropped from a page nested too
# deep for libxml2 (see _parse)
_CONTAINER_TAG = re.compile(
    r"</?(?:div|span|font|center|section|article|aside|main|small|big)\b[^>]*>",
    re.IGNORECASE,
)
# "...<a hre" at the very end: the text stops inside a tag.
_OPEN_TAG_AT_END = re.compile(r"<(?:[A-Za-z/!][^>]*)?$")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# C0 controls other than tab, LF and CR: invalid in HTML, and lxml refuses to
# store them back into a tree ("All strings must be XML compatible").
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CONTROL_CHARACTER_SET = tuple(
    chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtractOptions:
    """Limits and settings of one extraction; the crawler builds it once."""

    #: Pages larger than this raise PageTooLarge and are never parsed.
    max_bytes: int = 5 * 1024 * 1024
    #: The archive of ``CaptureRef.archive_url``, as ``WAYBACK_BASE_URL`` names one
    #: (``[wayback:|pywb:]root``): ``{root}/web/{timestamp}/{original}`` for a
    #: Wayback Machine, ``{root}/{timestamp}/{original}`` for a pywb collection.
    archive_base_url: str = "https://web.archive.org"


@dataclass(frozen=True, slots=True)
class PageReading:
    """What :meth:`PostPage.read` found: the record without its Markdown (a Post
    whose ``body_markdown``, ``links``... are still empty, or a Skip) and, for a
    post, the template's fields, whose ``body`` is the isolated body fragment."""

    item: Post | Skip
    fields: PostFields | None = None


class PostPage:
    """One archived page. ``to_item()`` returns a :class:`Post` or a :class:`Skip`.

    ``url`` and ``timestamp`` describe the capture (the CDX row's ``original`` and
    ``timestamp``); for a replayed page they are read from the page when omitted.
    ``headers`` are the original HTTP response headers, when known.
    """

    def __init__(
        self,
        body: bytes,
        *,
        url: str | None = None,
        timestamp: str | None = None,
        headers: Mapping[str, str] | None = None,
        options: ExtractOptions = ExtractOptions(),
    ) -> None:
        self.body = body
        self.url = url
        self.timestamp = timestamp
        self.headers = headers
        self.options = options

    def to_item(self) -> Post | Skip:
        """Read the page: a Post, or a Skip that says what the page is instead."""
        reading = self.read()
        if isinstance(reading.item, Skip) or reading.fields is None:
            return reading.item
        body = reading.fields.body
        body_html = (
            lxml.html.tostring(body, encoding="unicode") if body is not None else ""
        )
        archive = parse_archive(self.options.archive_base_url)
        return render_markdown(reading.item, body_html, archive)

    def read(self) -> PageReading:
        """The page's fields and record before Markdown rendering (see to_item)."""
        body = self.body
        where = self.url or "page"
        if len(body) > self.options.max_bytes:
            raise PageTooLarge(
                f"{where}: {len(body)} bytes > limit of {self.options.max_bytes}"
            )
        _check_bytes(body, self.headers, where)
        text = _without_control_characters(decode_html(body, self.headers).text)
        sniff = text[:_SNIFF_CHARS].lstrip("\ufeff \t\r\n").lower()
        if any(hint in sniff for hint in FEED_HINTS):
            root = nonpost.parse_feed(text)
            if root is not None:
                return PageReading(self._feed_skip(text, root))
        if not sniff.startswith("<") and "<html" not in sniff:
            raise NotHTML(f"{where}: not an HTML document")
        if not any(hint in sniff for hint in HTML_HINTS):
            raise NotHTML(f"{where}: markup that is not HTML")
        _check_complete(text, where)
        return self._read_html(text)

    def _read_html(self, text: str) -> PageReading:
        info = replay.replay_info(text)
        doc = _parse(text, self.url or "page")
        if info is not None:
            replay.strip_replay(doc)
        capture_url = unwrap_archive_url(self.url) if self.url else None
        capture_url = capture_url or (info.url if info else None)
        timestamp = self.timestamp or (info.timestamp if info else None)
        base_url = _base_url(doc, capture_url)
        replay.restore_links(doc, replay.link_base(doc, base_url))
        capture = self._capture_ref(capture_url or base_url, timestamp)
        page_url = canonical_site_url(capture_url or base_url)

        page_class = nonpost.classify_page(doc)
        if page_class is not None:
            return PageReading(_page_skip(doc, page_class, page_url, capture))
        fields = self._read_fields(doc, base_url, capture_url)
        if isinstance(fields, nonpost.PageClass):
            return PageReading(_page_skip(doc, fields, page_url, capture))
        return PageReading(_build_post(fields, base_url, capture_url, capture), fields)

    def _read_fields(
        self, doc: HtmlElement, base_url: str, capture_url: str | None
    ) -> PostFields | nonpost.PageClass:
        for template in TEMPLATES:
            if template.matches(doc):
                fields = template.extract_fields(doc, base_url)
                if fields is not None:
                    return fields
                # a known layout without its usual parts: the generic reader may
                # still find the post
                logger.debug(
                    "%(template)s matched but found no post",
                    {"template": template.__name__},
                )
        url_kind = classify_url(capture_url) if capture_url else "other"
        if url_kind in {"listing", "tag", "user", "feed"}:
            return nonpost.PageClass(url_kind, f"not-a-post:{url_kind}")
        if generic.is_listing(doc):  # a listing in a layout no template knows
            return nonpost.PageClass("listing", "not-a-post:listing")
        if generic.matches(doc):
            fields = generic.extract_fields(doc, base_url)
            if fields is not None:
                return fields
        return nonpost.no_article_class(doc)

    def _capture_ref(
        self, original: str | None, timestamp: str | None
    ) -> CaptureRef | None:
        if not timestamp or not original:
            return None
        archive = parse_archive(self.options.archive_base_url)
        return CaptureRef(
            timestamp=timestamp,
            archive_url=archive.archive_url(timestamp, original),
            original=original,
        )

    def _feed_skip(self, text: str, root: etree._Element) -> Skip:
        lowered_end = replay.without_trailing_comments(text)[-256:].lower()
        if not any(tag in lowered_end for tag in FEED_END_TAGS):
            raise TruncatedCapture(f"{self.url or 'feed'}: feed ends before its root")
        url = unwrap_archive_url(self.url) if self.url else nonpost.feed_url(root)
        capture = self._capture_ref(url, self.timestamp)
        return Skip(
            kind="feed",
            reason="not-a-post:feed",
            url=canonical_site_url(url) if url else "",
            capture=capture,
            discovered=tuple(nonpost.feed_post_urls(root)),
            next_page=nonpost.feed_next_page(root),
            teasers=feed_teasers(root, capture),
        )


def extract(
    body: bytes,
    *,
    url: str | None = None,
    timestamp: str | None = None,
    headers: Mapping[str, str] | None = None,
    options: ExtractOptions = ExtractOptions(),
) -> Post | Skip:
    """Shortcut for ``PostPage(body, ...).to_item()``."""
    return PostPage(
        body, url=url, timestamp=timestamp, headers=headers, options=options
    ).to_item()


def _check_bytes(body: bytes, headers: Mapping[str, str] | None, where: str) -> None:
    """Refuse empty, cut-off and binary bodies before decoding them."""
    if not body.strip():
        raise NotHTML(f"{where}: empty body")
    length = header_value(headers, "Content-Length")
    if length and length.strip().isdigit() and int(length) > len(body):
        raise TruncatedCapture(
            f"{where}: Content-Length {int(length)} > {len(body)} bytes received"
        )
    start = body[:1024]
    if start.startswith(BINARY_SIGNATURES) or start.startswith(GZIP_SIGNATURE):
        raise NotHTML(f"{where}: binary content")
    if b"\x00" in start and not start.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise NotHTML(f"{where}: binary content (NUL bytes)")


def _without_control_characters(text: str) -> str:
    # one substring test per character is several times faster than the regex
    # search over a whole page, and pages almost never hold any
    if not any(c in text for c in _CONTROL_CHARACTER_SET):
        return text
    return _CONTROL_CHARACTERS.sub("", text)


def _check_complete(text: str, where: str) -> None:
    """Raise TruncatedCapture when the document visibly stops early (module doc)."""
    # rfind: the end tag, when there is one, is at the end of the text
    if (
        text.rfind("</html") != -1
        or text.rfind("</HTML") != -1
        or "</html" in text[-4096:].lower()
    ):
        return
    if any(marker in text for marker in DRUPAL_MARKERS):
        raise TruncatedCapture(f"{where}: Drupal page without </html>")
    if _OPEN_TAG_AT_END.search(text[-512:]):
        raise TruncatedCapture(f"{where}: document ends inside a tag")
    lowered = text.lower()
    if (
        "<body" not in lowered
        and "</head" not in lowered
        and ("<html" in lowered or "<head" in lowered)
    ):
        raise TruncatedCapture(f"{where}: document ends before its <body>")


def _parse(text: str, where: str) -> HtmlElement:
    """Parse once. lxml refuses ``str`` input with an XML encoding declaration.

    libxml2 silently drops whatever is nested deeper than 256 elements (2048 with
    ``huge_tree``), which old pages full of unclosed ``<div>``/``<font>`` reach. Such
    a page is parsed again with those container tags removed: its structure is lost
    (the generic extractor reads it) but its text is not.
    """
    match = _XML_DECLARATION.match(text)
    if match:
        text = text[match.end() :]
    doc, too_deep = _parse_html(text, where)
    if too_deep:
        logger.warning(
            "%(where)s: markup nested deeper than libxml2 allows; parsed flattened",
            {"where": where},
        )
        doc, _ = _parse_html(_CONTAINER_TAG.sub("\n", text), where)
    return doc


def _parse_html(text: str, where: str) -> tuple[HtmlElement, bool]:
    # no ID hash table: nothing here looks elements up with XPath id(), and
    # building it is a few percent of the parse
    parser = lxml.html.HTMLParser(huge_tree=True, collect_ids=False)
    try:
        doc = lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise NotHTML(f"{where}: cannot be parsed as HTML") from exc
    too_deep = any("Excessive depth" in entry.message for entry in parser.error_log)
    return doc, too_deep


def _base_url(doc: HtmlElement, capture_url: str | None) -> str:
    """What relative links resolve against: the canonical URL, never an archive one.

    ``/node/N`` and print captures get the post's URL from the canonical link or
    the print module's Source URL; https and bare-domain captures the site's
    canonical ``http://www.ise.gov`` spelling.
    """
    start = capture_url or SITE_ROOT + "/"
    for selector in (CANONICAL_LINK, PRINT_SOURCE_URL, OG_URL):
        href = first(selector(doc))
        if href:
            resolved = urljoin(start, unwrap_archive_url(href.strip()))
            post_url = canonical_post_url(resolved)
            if post_url:
                return post_url
    post_url = canonical_post_url(start)
    if post_url:
        return post_url
    # a /node/N capture without a canonical link: the node's own RDFa "about",
    # when the page shows exactly one node (a listing shows many)
    about = NODE_ABOUT(doc)
    if len(about) == 1:
        post_url = canonical_post_url(urljoin(start, unwrap_archive_url(about[0])))
        if post_url:
            return post_url
    return canonical_site_url(start) if is_site_url(start) else start


def _page_skip(
    doc: HtmlElement,
    page_class: nonpost.PageClass,
    page_url: str,
    capture: CaptureRef | None,
) -> Skip:
    discovered: tuple[str, ...] = ()
    next_page = None
    teasers: tuple[Teaser, ...] = ()
    if page_class.kind in {"listing", "tag", "user"}:
        discovered = tuple(nonpost.listing_post_urls(doc))
        next_page = nonpost.next_page_url(doc)
        teasers = listing_teasers(doc, page_url, capture)
    elif page_class.reason.endswith("redirect"):
        target = nonpost.redirect_target(doc, page_url)
        discovered = (target,) if target else ()
    logger.debug(
        "Skipped %(url)s: %(reason)s", {"url": page_url, "reason": page_class.reason}
    )
    return Skip(
        kind=page_class.kind,
        reason=page_class.reason,
        url=page_url,
        capture=capture,
        discovered=discovered,
        next_page=next_page,
        teasers=teasers,
    )


def _build_post(
    fields: PostFields,
    base_url: str,
    capture_url: str | None,
    capture: CaptureRef | None,
) -> Post:
    url = (
        canonical_post_url(fields.canonical_url or "")
        or canonical_post_url(base_url)
        or (canonical_post_url(capture_url) if capture_url else None)
        or canonical_site_url(fields.canonical_url or capture_url or base_url)
    )
    return Post(
        url=url,
        title=fields.title,
        author=fields.author,
        author_url=fields.author_url,
        published=fields.published,
        tags=fields.tags,
        related=fields.related,
        images=fields.images,
        capture=capture,
        nid=fields.nid,
        template=fields.template,
    )
