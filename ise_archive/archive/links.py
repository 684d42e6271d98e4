"""Whether the archive holds any capture of a post's link (ISE_ARCHIVE_CHECK_LINKS).

``links[].archived_url`` costs no request: the archive redirects it to its nearest
capture, or answers that it has none. With ISE_ARCHIVE_CHECK_LINKS a crawl asks the
CDX server instead, once per distinct link (:func:`link_check_query`: an exact
lookup of at most one row, error pages filtered out), and the record says
``archived: true`` or ``false`` (:func:`with_link_checks`).

This module computes with values; it performs no I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from ise_archive.archive.cdx import CDXQuery
from ise_archive.records import Post

#: A capture of a 4xx or 5xx answer is not the linked page.
LINK_FILTERS: tuple[str, ...] = ("!statuscode:[45]..",)


def link_check_query(url: str) -> CDXQuery:
    """The CDX question "is any capture of ``url`` archived?": one row is enough.

    >>> link_check_query("http://www.dhs.gov/nsi").limit
    1
    """
    return CDXQuery(url=url, match_type="exact", limit=1, filters=LINK_FILTERS)


def checked_links(posts: Iterable[Post]) -> list[str]:
    """The distinct links worth checking, in order of first appearance: those with
    an archived way in (``archived_url``; not ``mailto:``, not partial records)."""
    seen: dict[str, None] = {}
    for post in posts:
        for link in post.links:
            if link.archived_url:
                seen.setdefault(link.url, None)
    return list(seen)


def with_link_checks(post: Post, checks: Mapping[str, bool]) -> Post:
    """``post`` with ``links[].archived`` set for every link ``checks`` answers."""
    if not any(link.url in checks for link in post.links):
        return post
    links = tuple(
        dataclasses.replace(link, archived=checks[link.url])
        if link.url in checks
        else link
        for link in post.links
    )
    return dataclasses.replace(post, links=links)
