"""Links of the Markdown renderer: which URLs may appear, and how they are numbered.

The renderer (:mod:`ise_archive.markdown.converter`) asks this module four questions:

* :func:`safe_link_url` — may this ``href`` become a link, and to which absolute URL?
  Only ``http``, ``https``, ``ftp`` and ``mailto`` survive; ``javascript:``,
  ``data:``, ``vbscript:`` and every other scheme are refused (the caller keeps the
  link text), and so are in-page ``#anchors``, whose targets do not exist in Markdown.
* :func:`embed_page_url` — which page should a reader open for an embedded player?
  A YouTube ``/embed/ID`` (or Flash-era ``/v/ID``) becomes ``watch?v=ID``, a Vimeo
  player becomes the video page; anything else is linked as it is.
* :func:`embed_link_tag` — what stands in for an ``<iframe>``/``<object>``/``<video>``
  player: an ``<x-embed>`` element the converter renders as a plain link.
* :class:`LinkTable` — the document's numbered Links list: numbers by first
  appearance, a repeated URL keeps its number.

It does not parse HTML and renders no Markdown beyond links and the Links section.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from bs4 import BeautifulSoup, Tag

from ise_archive.normalize.urls import resolve_url
from ise_archive.records import Link

logger = logging.getLogger(__name__)

#: Schemes a reader can follow safely from an archived document.
ALLOWED_SCHEMES = frozenset({"http", "https", "ftp", "mailto"})

# Browsers drop tab/CR/LF anywhere in a URL and C0 controls/space at its ends, so
# "java\tscript:alert(1)" is a javascript: URL; we read hrefs the same way.
_URL_INVISIBLES = re.compile(r"[\t\n\r]")
_URL_EDGE = "".join(chr(c) for c in range(0x21))
# "javascript:alert(1)"  "mailto:x@y"  (a scheme, not a Windows drive or a path)
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
# https://www.youtube.com/embed/Ab3_x-Yz?rel=0   http://www.youtube.com/v/Ab3_x&hl=en
_YOUTUBE_PATH = re.compile(r"^/(?:embed|v|e)/(?P<id>[A-Za-z0-9_-]{6,})")
# https://player.vimeo.com/video/12345678
_VIMEO_PATH = re.compile(r"^/video/(?P<id>\d+)")
_YOUTUBE_HOSTS = frozenset(
    {
        "youtube.com",
        "www.youtube.com",
        "m.youtube.com",
        "youtube-nocookie.com",
        "www.youtube-nocookie.com",
    }
)
# Characters that force the <...> form of a link destination (CommonMark 6.3).
_NEEDS_ANGLE = re.compile(r"[\s()<>]")


def safe_link_url(href: str | None, base: str) -> str | None:
    """The absolute URL an ``href`` may link to in the document, or None to drop it.

    >>> safe_link_url("/contact", "http://www.ise.gov/blog/a/b")
    'http://www.ise.gov/contact'
    >>> safe_link_url("JaVa\\tScript:alert(1)", "http://www.ise.gov/") is None
    True
    >>> safe_link_url("#top", "http://www.ise.gov/") is None
    True
    """
    if href is None:
        return None
    if "\t" in href or "\n" in href or "\r" in href:
        href = _URL_INVISIBLES.sub("", href)
    href = href.strip(_URL_EDGE)
    if not href or href.startswith("#"):
        return None
    scheme = _SCHEME.match(href)
    if scheme and scheme.group(1).lower() not in ALLOWED_SCHEMES:
        logger.debug("Dropped a %(scheme)s: link", {"scheme": scheme.group(1)})
        return None
    if scheme and scheme.group(1).lower() == "mailto":
        return _mailto_url(href)
    try:
        url = resolve_url(href, base)
    except ValueError:  # urljoin refuses some malformed netlocs ("http://[x")
        logger.debug("Dropped an unparsable link %(href)r", {"href": href[:200]})
        return None
    scheme = _SCHEME.match(url)
    if not scheme or scheme.group(1).lower() not in ALLOWED_SCHEMES:
        return None  # still relative: there was no base to resolve it against
    return url


def embed_page_url(src: str) -> str:
    """The page a reader should open for an embedded player's ``src``.

    >>> embed_page_url("https://www.youtube.com/embed/dQw4w9WgXcQ?rel=0")
    'https://www.youtube.com/watch?v=dQw4w9WgXcQ'
    >>> embed_page_url("http://player.vimeo.com/video/1234567")
    'https://vimeo.com/1234567'
    """
    try:
        parts = urlsplit(src)
    except ValueError:
        return src
    host = (parts.hostname or "").lower()
    if host in _YOUTUBE_HOSTS:
        # Flash-era embeds put options after "&" in the path: /v/ID&hl=en&fs=1
        match = _YOUTUBE_PATH.match(parts.path.split("&", 1)[0])
        if match:
            video = match.group("id")
            start = parse_qs(parts.query).get("start", [""])[0]
            suffix = f"&t={start}s" if start.isdigit() else ""
            return f"https://www.youtube.com/watch?v={video}{suffix}"
    if host == "player.vimeo.com":
        match = _VIMEO_PATH.match(parts.path)
        if match:
            return f"https://vimeo.com/{match.group('id')}"
    return src


def embed_link_tag(soup: BeautifulSoup, embed: Tag, base_url: str) -> Tag | str:
    """An ``<x-embed>`` standing for a player: a link to the page it plays.

    Returns "" (remove the player) when it names no followable URL. The label is
    "Video" (or "Audio", "Embedded content"), plus the player's ``title`` unless that
    is a generic "YouTube video player".
    """
    src = _embed_source(embed)
    url = safe_link_url(src, base_url) if src else None
    if url is None or url.startswith("mailto:"):
        return ""
    url = embed_page_url(url)
    label = "Embedded content"
    if embed.name == "video" or is_video_url(url):
        label = "Video"
    elif embed.name == "audio":
        label = "Audio"
    title = " ".join(str(embed.get("title") or "").split())
    if title and "player" not in title.lower():
        label = f"{label}: {title}"
    return soup.new_tag("x-embed", attrs={"data-url": url, "data-label": label})


def _embed_source(embed: Tag) -> str:
    for attr in ("src", "data", "data-src"):
        if embed.get(attr):
            return str(embed[attr])
    for param in embed.find_all("param"):
        if str(param.get("name", "")).lower() in ("movie", "src", "url"):
            return str(param.get("value") or "")
    inner = embed.find(["embed", "source"], src=True)
    return str(inner["src"]) if inner is not None else ""


def is_video_url(url: str) -> bool:
    """True for URLs of the video sites the blog embedded players from."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return host in _YOUTUBE_HOSTS or host.endswith(("vimeo.com", "youtu.be"))


def link_destination(url: str) -> str:
    """``url`` as a CommonMark link destination, in ``<...>`` form when it must be.

    >>> link_destination("http://example.com/a_(b)")
    '<http://example.com/a_(b)>'
    """
    if _NEEDS_ANGLE.search(url):
        return "<" + url.replace("<", "%3C").replace(">", "%3E") + ">"
    return url


@dataclass(slots=True)
class LinkTable:
    """The numbered Links list of one document, filled in reading order.

    Mutable on purpose but short-lived: one table exists per :func:`render_markdown`
    call and is frozen into a tuple of :class:`Link` at the end.

    >>> table = LinkTable()
    >>> table.number("http://a/", "A"), table.number("http://b/", "B")
    (1, 2)
    >>> table.number("http://a/", "again")
    1

    ``archived`` (``url -> archive replay URL``) gives each link its archived way
    in (:attr:`Link.archived_url`); without it the table leaves that field empty.
    """

    archived: Callable[[str], str] | None = None
    _numbers: dict[str, int] = field(default_factory=dict)
    _links: list[Link] = field(default_factory=list)

    def number(self, url: str, text: str = "") -> int:
        """The number of ``url``, allocating the next one on its first appearance."""
        n = self._numbers.get(url)
        if n is None:
            n = len(self._links) + 1
            self._numbers[url] = n
            archived = ""
            if self.archived is not None and not url.startswith("mailto:"):
                archived = self.archived(url)
            self._links.append(Link(n=n, url=url, text=text, archived_url=archived))
        return n

    def links(self) -> tuple[Link, ...]:
        return tuple(self._links)


def _mailto_url(href: str) -> str | None:
    # mailto:info@ise.gov?subject=Hello world  -> spaces and quotes percent-encoded
    url = "mailto:" + href.split(":", 1)[1]
    url = url.replace(" ", "%20").replace('"', "%22").replace("<", "%3C")
    url = url.replace(">", "%3E")
    return url if len(url) > len("mailto:") else None


# [text]\ue001<k>\ue002 — link k of the converter's targets, numbered at layout time
LINK_OPEN = "\ue001"
LINK_CLOSE = "\ue002"
_PLACEHOLDER = re.compile("\ue001(\\d+)\ue002")


def link_placeholder(k: int) -> str:
    """The marker the converter writes after a link's ``[text]``."""
    return f"{LINK_OPEN}{k}{LINK_CLOSE}"


def resolve_placeholders(
    text: str,
    targets: list[tuple[str, str]],
    number: Callable[[str, str], int] | None,
) -> str:
    """Turn the converter's link markers into real links.

    With ``number`` (a :meth:`LinkTable.number`), markers become reference links
    ``[n]`` numbered in reading order; without it they become inline destinations
    ``(url)``, so the body alone is a self-contained document whose hash does not
    depend on what surrounds it. ``|`` is percent-encoded so a link in a table cell
    cannot end the cell.
    """

    def replace(match: re.Match[str]) -> str:
        url, label = targets[int(match.group(1))]
        if number is None:
            return f"({link_destination(url.replace('|', '%7C'))})"
        return f"[{number(url, label)}]"

    return _PLACEHOLDER.sub(replace, text)


def render_links_section(links: tuple[Link, ...]) -> str:
    """The ``## Links`` section: a visible numbered list, then the definitions.

    The ordered list shows each number with its URL as an autolink (clickable in
    any CommonMark renderer) and, when the link has one, its archived copy as a
    second autolink (the site is gone, so the original is usually dead); the
    ``[n]: url`` definitions after it are what the ``[text][n]`` links in the text
    resolve to (definitions alone render as nothing).

    >>> print(render_links_section((Link(n=1, url="http://a/",
    ...     archived_url="https://web.archive.org/web/2011/http://a/"),)))
    ## Links
    <BLANKLINE>
    1. <http://a/> (archived: <https://web.archive.org/web/2011/http://a/>)
    <BLANKLINE>
    [1]: http://a/
    """
    if not links:
        return ""
    visible = "\n".join(_visible_entry(link) for link in links)
    definitions = "\n".join(
        f"[{link.n}]: {link_destination(link.url)}" for link in links
    )
    return f"## Links\n\n{visible}\n\n{definitions}"


def _visible_entry(link: Link) -> str:
    entry = f"{link.n}. <{_autolink(link.url)}>"
    if link.archived_url:
        entry += archived_entry(link.archived_url)
    return entry


def archived_entry(archived_url: str) -> str:
    """What follows a link in the visible Links list to name its archived copy."""
    return f" (archived: <{_autolink(archived_url)}>)"


def _autolink(url: str) -> str:
    # An autolink may not contain spaces, "<" or ">" (CommonMark 6.5).
    return url.replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")
