"""The spider's two kinds of request, each in the rate pool of its archive, and the
answer to a capture request as the library reads it (:func:`capture_answer`).

A CDX page goes to the ``cdx`` pool of the archive asked (``cdx@<name>`` for an
archive of ``ISE_ARCHIVE_MORE_ARCHIVES``), a capture fetch to the ``replay`` pool of
the archive it is fetched from (:attr:`~ise_archive.records.Capture.archive`);
:class:`~ise_archive.archive.archives.ArchiveSet` says which and builds the URLs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scrapy import Request
from scrapy.http import Response

from ise_archive.archive.archives import ArchiveSet
from ise_archive.archive.cdx import CDXQuery
from ise_archive.plan.work import Answer
from ise_archive.records import Capture

Callback = Callable[..., Any]


def cdx_request(
    archives: ArchiveSet,
    query: CDXQuery,
    sent: tuple[str, ...] = (),
    *,
    rank: int,
    again: int = 0,
    callbacks: tuple[Callback, Callback],
) -> Request:
    """One page of ``query`` from the archive of ``rank`` (``callbacks``: the
    answer's callback and errback): the first without a key, else the page of the
    last of the resume keys its chain ``sent`` (carried in ``meta["cdx_sent"]``,
    with ``meta["cdx_again"]``: :func:`ise_archive.archive.paging.next_page`)."""
    return Request(
        archives[rank].cdx_query_url(query, sent[-1] if sent else None),
        callback=callbacks[0],
        errback=callbacks[1],
        cb_kwargs={"query": query, "rank": rank},
        meta={
            "pool": archives.pool("cdx", rank),
            "handle_httpstatus_all": True,
            "cdx_sent": sent,
            "cdx_again": again,
        },
        dont_filter=True,
        priority=10,
    )


def capture_request(
    archives: ArchiveSet,
    capture: Capture,
    *,
    hops: int,
    max_bytes: int,
    callbacks: tuple[Callback, Callback],
) -> Request:
    """Fetch a capture raw (``id_``) from the archive it is fetched from."""
    rank = archives.rank_of(capture)
    return Request(
        archives[rank].raw_url(capture.timestamp, capture.original),
        callback=callbacks[0],
        errback=callbacks[1],
        cb_kwargs={"capture": capture},
        meta={
            "pool": archives.pool("replay", rank),
            "capture": capture,
            "hops": hops,
            "dont_redirect": True,
            "handle_httpstatus_all": True,
            # A page over the limit is refused unparsed anyway: stop reading it at
            # the limit (compressed or not) instead of holding it in memory.
            "download_maxsize": max_bytes,
        },
        dont_filter=True,
    )


def capture_answer(
    response: Response, archives: ArchiveSet, capture: Capture
) -> Answer:
    """The archive's answer to a capture request, as the library reads it: with
    the redirects followed and the refetches made for it so far (request meta)."""
    rank = archives.rank_of(capture)
    return Answer(
        status=response.status,
        headers={k.lower(): v for k, v in response.headers.to_unicode_dict().items()},
        body=response.body,
        replay_url=response.url,
        hops=response.meta.get("hops", 0),
        truncated_tries=response.meta.get("truncated_tries", 0),
        not_archived_tries=response.meta.get("not_archived_tries", 0),
        archive=archives[rank].spec() if rank else "",
    )
