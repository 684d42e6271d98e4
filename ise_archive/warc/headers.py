"""The original server's answer, recovered from what an archive replays.

In raw (``id_``) mode the Wayback Machine replays the original headers prefixed with
``X-Archive-Orig-`` (and adds its own: ``Memento-Datetime``, ``Link``, transfer
headers); pywb replays them as they were. A WARC ``response`` record must say what
the *original* server sent, so the archive's own headers go, and so do the hop-by-hop
and transfer headers: the stored payload is the decoded entity, whose true length
is written as ``Content-Length``.

This module does not read or write files.
"""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus

#: The replay header prefix under which the Wayback Machine keeps original headers.
ORIG_PREFIX = "x-archive-orig-"

#: Hop-by-hop headers (RFC 9110 7.6.1) and the transfer's framing and coding: they
#: describe one transfer, not the archived entity.
DROPPED = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "content-encoding",
    }
)

#: Headers an archive adds about its copy, never sent by the original server.
ARCHIVE_OWN = frozenset({"memento-datetime", "link", "server-timing", "set-cookie"})
ARCHIVE_OWN_PREFIXES = ("x-archive-", "x-ts", "x-app-server", "x-location")


def original_headers(served: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The original headers among ``served`` (name, value) pairs, in their order.

    >>> original_headers([("Content-Type", "text/html"), ("Memento-Datetime", "x"),
    ...     ("X-Archive-Orig-Content-Type", "text/html; charset=utf-8"),
    ...     ("X-Archive-Orig-Connection", "close"),
    ...     ("X-Archive-Orig-Server", "Apache")])
    [('Content-Type', 'text/html; charset=utf-8'), ('Server', 'Apache')]
    >>> original_headers([("Content-Type", "text/html"), ("Content-Length", "5")])
    [('Content-Type', 'text/html')]
    """
    pairs = list(served)
    prefixed = [
        (name[len(ORIG_PREFIX) :], value)
        for name, value in pairs
        if name.lower().startswith(ORIG_PREFIX)
    ]
    if prefixed:
        return [(n, v) for n, v in prefixed if n.lower() not in DROPPED]
    return [
        (name, value)
        for name, value in pairs
        if (lowered := name.lower()) not in DROPPED
        and lowered not in ARCHIVE_OWN
        and not lowered.startswith(ARCHIVE_OWN_PREFIXES)
    ]


def status_line(status: int) -> str:
    """``200 OK``: the status line (without protocol) a WARC record stores.

    >>> status_line(301), status_line(599)
    ('301 Moved Permanently', '599 Unknown')
    """
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    return f"{status} {phrase}"


def header_pairs(
    headers: Iterable[tuple[bytes, Iterable[bytes]]],
) -> list[tuple[str, str]]:
    """Every ``(name, value)`` of a multi-valued byte header map (Scrapy's
    ``Headers.items()``), as text: latin-1, the bytes HTTP allows, round-trips.

    >>> header_pairs([(b"Set-Cookie", [b"a=1", b"b=2"])])
    [('Set-Cookie', 'a=1'), ('Set-Cookie', 'b=2')]
    """
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers
        for value in values
    ]
