"""Replay URLs of a Wayback Machine, and how to read its answers.

A capture is replayed at ``{base}/web/{timestamp}{modifier}/{original}``. With the
``id_`` modifier the archive returns the payload as it was captured (no toolbar, no
rewritten links): that is what we fetch. Without a modifier it is the page a person
sees, and that URL is what datasets record as provenance.

Replay answers are of two kinds, told apart by the ``Memento-Datetime`` header
(RFC 7089; edgi-govdata-archiving/wayback decides "is this a memento" the same way):

* archived content carries it, whatever its status: an archived 404 replays as 404,
  an archived 301 as 301 with a ``Location`` into the archive;
* the archive's own pages do not: its 404 "Wayback Machine doesn't have that page
  archived", a 403 for a blocked site, a 200 "excluded" page, and 3xx redirects to the
  nearest capture (``X-Archive-Redirect-Reason``), whose ``Location`` may be absolute,
  path-relative or scheme-relative. In view (non-``id_``) mode a capture of a redirect
  can come back as a 200 page saying "Got an HTTP 302 response at crawl time" without
  memento headers (edgi-govdata-archiving/wayback#109, #110).

This module computes with strings and headers; it performs no I/O.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from ise_archive.normalize.charset import header_value

logger = logging.getLogger(__name__)

#: The replay modifier that returns a capture's payload unaltered.
RAW_MODIFIER = "id_"

# https://web.archive.org/web/20111006123456id_/http://www.ise.gov/blog
# //web.archive.org/web/2011/ise.gov/blog     /wayback/web/20111006123456*/http://x
_REPLAY_URL = re.compile(
    r"^(?:(?:https?:)?//[^/?#]+)?(?:/[^?#]*?)?/web/"
    r"(?P<ts>\d{1,14})(?P<mod>[a-z]{2}_|\*)?/(?P<url>\S.*)$",
    re.IGNORECASE | re.DOTALL,
)
# 20111006123456id_/http://www.ise.gov/blog   2011/ise.gov/blog  (below a replay root)
_REPLAY_TAIL = re.compile(
    r"^(?P<ts>\d{1,14})(?P<mod>[a-z]{2}_|\*)?/(?P<url>\S.*)$", re.IGNORECASE | re.DOTALL
)
# http:/www.ise.gov/x  (a slash collapsed by a proxy or a careless rewrite)
_COLLAPSED_SCHEME = re.compile(r"^(https?):/(?!/)", re.IGNORECASE)
_HAS_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)

# The archive's own pages, by their wording on web.archive.org.
# <p>Got an HTTP 302 response at crawl time</p>
_CRAWL_TIME_REDIRECT = re.compile(rb"Got an? HTTP 3\d\d response at crawl time", re.I)
# "This URL has been excluded from the Wayback Machine."
_EXCLUDED = re.compile(rb"(?:has been|is) excluded from the Wayback Machine", re.I)
# "Wayback Machine doesn't have that page archived." / "Hrm. ... has not archived"
_NOT_ARCHIVED = re.compile(
    rb"(?:doesn(?:'|&apos;|&#39;|\xe2\x80\x99)t have that page archived"
    rb"|Wayback Machine has not archived)",
    re.I,
)


def raw_capture_url(base_url: str, timestamp: str, original: str) -> str:
    """Where to fetch a capture's payload as captured (``id_`` mode).

    >>> raw_capture_url("https://web.archive.org/", "20111006123456",
    ...                 "http://www.ise.gov/blog/x?")
    'https://web.archive.org/web/20111006123456id_/http://www.ise.gov/blog/x?'
    """
    return f"{base_url.strip().rstrip('/')}/web/{timestamp}{RAW_MODIFIER}/{original}"


def archive_url(base_url: str, timestamp: str, original: str) -> str:
    """The human replay URL of a capture, as recorded in datasets.

    >>> archive_url("https://web.archive.org", "20111006123456", "http://www.ise.gov/")
    'https://web.archive.org/web/20111006123456/http://www.ise.gov/'
    """
    return f"{base_url.strip().rstrip('/')}/web/{timestamp}/{original}"


def parse_archive_url(
    url: str, *, replay_root: str | None = None
) -> tuple[str, str, str] | None:
    """``(timestamp, modifier, original)`` of a replay URL, else None.

    Without ``replay_root`` this reads the Wayback Machine's ``/web/`` form, absolute,
    scheme-relative or path-relative, with any path before ``/web/`` (an installation
    under ``/wayback``). With it (``https://host/coll`` for a pywb collection, or
    ``https://web.archive.org/web``), a URL under that root is read as
    ``{root}/{timestamp}{modifier}/{original}`` first: pywb has no ``/web/``
    segment. ``modifier`` is ``""`` when absent; ``original`` gets ``http://`` when
    the archive dropped its scheme.

    >>> parse_archive_url("//web.archive.org/web/2011id_/ise.gov/blog?page=1")
    ('2011', 'id_', 'http://ise.gov/blog?page=1')
    >>> parse_archive_url("/eot2016/20161101id_/https://www.ise.gov/",
    ...                   replay_root="https://webarchive.library.unt.edu/eot2016")
    ('20161101', 'id_', 'https://www.ise.gov/')
    >>> parse_archive_url("http://www.ise.gov/blog") is None
    True
    """
    url = url.strip()
    match = None
    if replay_root is not None:
        tail = _tail_under(url, replay_root)
        if tail is not None:
            match = _REPLAY_TAIL.match(tail)
    if match is None:
        match = _REPLAY_URL.match(url)
    if not match:
        return None
    original = _COLLAPSED_SCHEME.sub(r"\1://", match.group("url"))
    if not _HAS_SCHEME.match(original):
        original = "http://" + original.lstrip("/")
    return match.group("ts"), (match.group("mod") or "").lower(), original


def _tail_under(url: str, replay_root: str) -> str | None:
    """What follows ``replay_root/`` in ``url`` (resolved against the root), any
    scheme; None when ``url`` is not under the root."""
    root = replay_root.strip().rstrip("/") + "/"
    absolute = urljoin(root, url)
    _, _, root_rest = root.partition(":")
    _, _, url_rest = absolute.partition(":")
    if not url_rest.startswith(root_rest):
        return None
    return url_rest[len(root_rest) :]


def redirect_target(
    location: str, request_url: str, *, replay_root: str | None = None
) -> tuple[str, str] | None:
    """``(timestamp, original)`` a replay 3xx ``Location`` leads to, else None.

    ``location`` is resolved against ``request_url`` (the replay URL that was fetched),
    so absolute, scheme-relative (``//web.archive.org/web/...``) and path-relative
    (``/web/...``) forms all work; ``replay_root`` is passed to
    :func:`parse_archive_url` for an archive without ``/web/`` (pywb). A ``Location``
    outside the archive is an archived redirect whose target was not rewritten
    (pywb and some Wayback installations do that in ``id_`` mode): it is resolved
    against the *original* URL of the request and paired with the request's
    timestamp, so replaying it lands on the nearest capture.

    >>> redirect_target("/web/20130504110251/http://www.ise.gov/blog/a/b",
    ...                 "https://web.archive.org/web/2013id_/http://www.ise.gov/node/1")
    ('20130504110251', 'http://www.ise.gov/blog/a/b')
    """
    target = parse_archive_url(
        urljoin(request_url, location.strip()), replay_root=replay_root
    )
    if target is not None:
        return target[0], target[2]
    request = parse_archive_url(request_url, replay_root=replay_root)
    if request is None:
        return None
    original = urljoin(request[2], location.strip())
    if urlsplit(original).scheme not in ("http", "https"):
        return None
    return request[0], original


def is_archived_response(headers: Mapping[Any, Any]) -> bool:
    """True when the answer is archived content (it has ``Memento-Datetime``), even an
    archived 404 or 301; False for the archive's own pages.

    ``headers`` may be a plain ``dict`` (any key case) or Scrapy's bytes-keyed
    ``Headers``.
    """
    return header_value(headers, "memento-datetime") is not None


def archive_error_reason(
    status: int, headers: Mapping[Any, Any], body: bytes
) -> str | None:
    """Why a replay answer is the archive's own error rather than a capture, or None.

    * ``archive-error:crawl-time-redirect``: a 200 page "Got an HTTP 302 response at
      crawl time" (a capture of a redirect, served as a page);
    * ``archive-error:not-archived``: 404 (or 410) without ``Memento-Datetime``;
    * ``archive-error:blocked``: 403 (or 451) without ``Memento-Datetime``;
    * ``archive-error:excluded``: a 200 "excluded from the Wayback Machine" page;
    * ``archive-error:http-<status>``: any other 4xx/5xx without ``Memento-Datetime``.

    None for archived content of any status, for 3xx (a redirect to follow with
    :func:`redirect_target`) and for a 200 without ``Memento-Datetime`` that is not a
    known archive page: some Wayback-compatible installations send no memento headers
    at all, and the page object judges the bytes.
    """
    if status == 200 and _CRAWL_TIME_REDIRECT.search(body):
        return "archive-error:crawl-time-redirect"
    if is_archived_response(headers):
        return None
    if status in (404, 410):
        return "archive-error:not-archived"
    if status in (403, 451):
        return "archive-error:blocked"
    if status == 200:
        if _EXCLUDED.search(body):
            return "archive-error:excluded"
        if _NOT_ARCHIVED.search(body):
            return "archive-error:not-archived"
        return None
    if status >= 400:
        return f"archive-error:http-{status}"
    return None


def capture_timestamp_to_datetime(ts: str) -> datetime:
    """A Wayback timestamp (``YYYYMMDDhhmmss``, or a 4-14 digit prefix of one) as an
    aware UTC datetime; missing parts are the earliest value.

    >>> capture_timestamp_to_datetime("20111006123456").isoformat()
    '2011-10-06T12:34:56+00:00'
    >>> capture_timestamp_to_datetime("201110").isoformat()
    '2011-10-01T00:00:00+00:00'
    """
    if not (ts.isdigit() and ts.isascii() and 4 <= len(ts) <= 14):
        raise ValueError(f"not a Wayback timestamp: {ts!r}")
    if len(ts) == 5:  # "20101": the earliest month starting with 1 is 10, with 0 is 01
        ts += "0" if ts[4] == "1" else "1"
    padded = ts + "00000101000000"[len(ts) :]
    return datetime.strptime(padded, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
