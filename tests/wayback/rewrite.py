"""The replay form of an archived page, as the Wayback Machine rewrites it.

:func:`rewrite_replay_page` imitates the fixtures' ``replay/`` files: the archive's
JavaScript include after ``<head>``, the toolbar after ``<body>``, every link turned
into a ``/web/<ts><mod>/`` address, and the trailer comment at the end. The server
(:mod:`tests.wayback.server`) calls it for HTML captures replayed without ``id_``
that have no saved replay page. It works on bytes as latin-1 text with small
regexes on purpose: the real rewriter is not an HTML parser either, and the
extractor must cope with what it produces.
"""

from __future__ import annotations

import calendar
import logging
import re
import time
from urllib.parse import urljoin

from tests.wayback.archive import CaptureRow

logger = logging.getLogger(__name__)

# <head lang="en">   <body class="html not-front">
_HEAD_TAG = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
_BODY_TAG = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_URL_TAG = re.compile(
    r"<(?P<tag>a|link|img|script|form|iframe|frame|area|embed|source|input)\b[^>]*>",
    re.IGNORECASE,
)
# href="/blog"  src='http://www.ise.gov/logo.png'  action=/search
_URL_ATTR = re.compile(
    r"""(?P<lead>\s(?:href|src|action)\s*=\s*)(?P<q>["']?)(?P<url>[^"'\s>]*)(?P=q)""",
    re.IGNORECASE,
)
# @import url("http://www.ise.gov/modules/system/system.base.css?p0dy58");
_CSS_IMPORT = re.compile(
    r"""(?P<lead>@import\s+url\()(?P<q>["']?)(?P<url>[^"')]+)(?P=q)"""
)
_SKIP_URL = re.compile(r"^(?:#|javascript:|mailto:|data:|tel:|about:|$)", re.IGNORECASE)
#: A URL with a scheme or starting ``//``: replay keeps such links absolute.
ABSOLUTE_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)


def rewrite_replay_page(
    payload: bytes,
    row: CaptureRow,
    origin: str,
    neighbours: list[CaptureRow] | None,
    *,
    retrieved: float,
) -> bytes:
    """Rewrite an archived HTML page like Wayback replay: include, toolbar, trailer.

    Links keep their form: a relative ``href="/blog"`` becomes
    ``/web/<ts>/http://www.ise.gov/blog``; an absolute one becomes
    ``<origin>/web/<ts><mod>/...``. Images get ``im_``, stylesheets ``cs_``,
    scripts ``js_``. Bytes are handled as latin-1 so any charset passes unchanged.
    """
    text = payload.decode("latin-1")
    ts, base = row.timestamp, row.original

    def web(url: str, mod: str) -> str:
        if _SKIP_URL.match(url) or "/web/" in url:
            return url
        absolute = urljoin(base, url)
        prefix = origin if ABSOLUTE_URL.match(url) else ""
        return f"{prefix}/web/{ts}{mod}/{absolute}"

    def tag(match: re.Match[str]) -> str:
        element = match.group(0)
        mod = _modifier(match["tag"].lower(), element.lower())
        return _URL_ATTR.sub(
            lambda a: f"{a['lead']}{a['q']}{web(a['url'], mod)}{a['q']}", element
        )

    text = _URL_TAG.sub(tag, text)
    text = _CSS_IMPORT.sub(
        lambda m: f"{m['lead']}{m['q']}{web(m['url'], 'cs_')}{m['q']}", text
    )
    text = _HEAD_TAG.sub(
        lambda m: m.group(0) + _head_include(row, origin), text, count=1
    )
    if neighbours is not None:
        toolbar = _toolbar(row, origin, neighbours)
        text = _BODY_TAG.sub(lambda m: m.group(0) + toolbar, text, count=1)
    return (text + _trailer(ts, retrieved)).encode("latin-1")


def _modifier(tag: str, element: str) -> str:
    if tag in ("img", "input", "embed", "source"):
        return "im_"
    if tag == "script":
        return "js_"
    if tag in ("iframe", "frame"):
        return "if_"
    if tag == "link" and "stylesheet" in element:
        return "cs_"
    if tag == "link" and "icon" in element:
        return "im_"
    return ""


def _head_include(row: CaptureRow, origin: str) -> str:
    return (
        '<script src="//archive.org/includes/athena.js" type="text/javascript">'
        "</script>\n"
        '<script type="text/javascript" src="/_static/js/bundle-playback.js"'
        ' charset="utf-8"></script>\n'
        '<script type="text/javascript" src="/_static/js/wombat.js" charset="utf-8">'
        "</script>\n"
        '<script type="text/javascript">\n'
        f'    __wm.init("{origin}/web");\n'
        f'  __wm.wombat("{row.original}","{row.timestamp}","{origin}/","web",'
        f'"/_static/",\n\t      "{epoch_seconds(row.timestamp)}");\n</script>\n'
        '<link rel="stylesheet" type="text/css"'
        ' href="/_static/css/banner-styles.css" />\n'
        "<!-- End Wayback Rewrite JS Include -->\n"
    )


def _toolbar(row: CaptureRow, origin: str, neighbours: list[CaptureRow]) -> str:
    stamps = [r.timestamp for r in neighbours]
    at = stamps.index(row.timestamp)
    links = []
    for label, other in (("Previous capture", at - 1), ("Next capture", at + 1)):
        if 0 <= other < len(stamps):
            href = f"{origin}/web/{stamps[other]}/{row.original}"
            links.append(f'<a href="{href}" title="{stamps[other]}">{label}</a>')
    return (
        "\n<!-- BEGIN WAYBACK TOOLBAR INSERT -->\n<script>__wm.rw(0);</script>\n"
        '<div id="wm-ipp-base" lang="en" style="display:none;direction:ltr;">\n'
        '<div id="wm-ipp"><div id="wm-toolbar">\n'
        '<form target="_top" method="get" action="/web/submit" id="wmtb">'
        f'<input type="text" name="url" id="wmtbURL" value="{row.original}" />'
        f'<input type="hidden" name="date" value="{row.timestamp}" /></form>\n'
        f'<a class="t" href="/web/{row.timestamp}*/{row.original}">'
        f"{len(stamps)} captures</a>\n{' '.join(links)}\n</div></div></div>\n"
        f'<div id="wm-ipp-print">The Wayback Machine - '
        f"{origin}/web/{row.timestamp}/{row.original}</div>\n"
        "<!-- END WAYBACK TOOLBAR INSERT -->\n"
    )


def _trailer(ts: str, retrieved: float) -> str:
    archived = time.strftime("%H:%M:%S %b %d, %Y", time.gmtime(epoch_seconds(ts)))
    now = time.strftime("%H:%M:%S %b %d, %Y", time.gmtime(retrieved))
    return (
        f"\n<!--\n     FILE ARCHIVED ON {archived} AND RETRIEVED FROM THE\n"
        f"     INTERNET ARCHIVE ON {now}.\n"
        "     JAVASCRIPT APPENDED BY WAYBACK MACHINE, COPYRIGHT INTERNET ARCHIVE.\n\n"
        "     ALL OTHER CONTENT MAY ALSO BE PROTECTED BY COPYRIGHT (17 U.S.C.\n"
        "     SECTION 108(a)(3)).\n-->\n"
        "<!--\nplayback timings (ms):\n  captures_list: 0.512\n"
        "  load_resource: 12.004\n-->"
    )


def epoch_seconds(ts: str) -> int:
    """Seconds since 1970 of a 1-14 digit Wayback timestamp, padded to its start."""
    ts = ts.ljust(14, "0")
    year, month, day = int(ts[:4]), int(ts[4:6]), int(ts[6:8])
    clock = int(ts[8:10]), int(ts[10:12]), int(ts[12:14])
    return calendar.timegm((year, max(month, 1), max(day, 1), *clock, 0, 0, 0))
