"""The attachments phase: find the posts' images and files in the archive, fetch
each distinct file content once.

It runs after the posts (the merged records say which files each post uses and
when it was captured) in two steps, each started when the crawler goes idle:

1. :class:`FileQuery`: one CDX prefix query per file directory
   (:func:`~ise_archive.attachments.discovery.discovery_prefixes`), with filters of
   its own (:data:`FILE_FILTERS`: the discovery filters keep HTML pages only and
   would drop every image and PDF). No post with attachments, no query.
2. :class:`FileFetch`: per post and attachment, the capture at or before the post's
   capture (else the nearest), one fetch per file content (URL + digest) however
   many posts use it; contents fetched (or refused as too large) by an earlier run
   are not fetched again. A capture the index says is larger than the cap is
   refused without a request.

A file no archive lists is not an error: the record reports it missing. The class
keeps what this run already asked, so an idle round never repeats a request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ise_archive.archive.cdx import CDXQuery
from ise_archive.archive.wayback import redirect_target
from ise_archive.attachments.captures import (
    TOO_LARGE,
    fetch_key,
    file_index,
    plan_fetches,
)
from ise_archive.attachments.discovery import (
    AttachmentRef,
    attachment_key,
    discovery_prefixes,
    is_site_file,
    post_attachments,
)
from ise_archive.normalize.urls import SITE_HOSTS
from ise_archive.records import Capture
from ise_archive.store.state import State

logger = logging.getLogger(__name__)

#: Attachment rows worth keeping: archived payloads (200) and revisits of them; the
#: site's redirects and errors are not the file.
FILE_FILTERS: tuple[str, ...] = ("!statuscode:[345]..",)


@dataclass(frozen=True, slots=True)
class FileQuery:
    """List the captures under this URL prefix (CDX ``matchType=prefix``) in the
    archive of ``rank`` (0: the main one; then ``ISE_ARCHIVE_MORE_ARCHIVES``)."""

    query: CDXQuery
    rank: int = 0


@dataclass(frozen=True, slots=True)
class FileFetch:
    """Fetch this attachment capture raw (``key``: the content it is fetched for;
    ``hops``: archive redirects followed to reach ``capture`` from ``chosen``)."""

    capture: Capture
    key: str
    hops: int = 0
    chosen: Capture | None = None


@dataclass(slots=True, kw_only=True)
class AttachmentPlan:
    """What the attachments phase asks next (mutable: it remembers this run's asks).

    ``archive_base_url`` names the archive for merging records (as the dataset
    writer does); ``max_bytes`` is the size cap; ``batch`` bounds one round;
    ``archives`` is how many archives are asked (each gets the same prefix
    queries, and a file any of them holds is fetched from one).
    """

    state: State
    archive_base_url: str
    max_bytes: int
    batch: int
    archives: int = 1
    #: Where ``files/`` is: a saved copy no longer on disk (removed when no record
    #: used it) is fetched again when a record needs it.
    output_dir: Path | None = None
    _wanted: list[tuple[str | None, AttachmentRef]] | None = None
    _queried: bool = False
    _asked: set[str] = field(default_factory=set)
    #: per fetch key, the captures whose fetch failed this run (holders tried)
    _tried: dict[str, set[tuple[str, str, str]]] = field(default_factory=dict)

    def next_work(self) -> list[FileQuery] | list[FileFetch]:
        """The next CDX prefix queries, else the next file fetches, else []."""
        wanted = self._posts_attachments()
        if not wanted:
            return []
        if not self._queried:
            self._queried = True
            prefixes = discovery_prefixes(ref.url for _, ref in wanted)
            logger.info(
                "Looking up %(n)d attachments under %(p)d URL prefixes",
                {"n": len({ref.key for _, ref in wanted}), "p": len(prefixes)},
            )
            return [
                FileQuery(CDXQuery(url=prefix, filters=FILE_FILTERS), rank)
                for rank in range(self.archives)
                for prefix in prefixes
            ]
        return list(self._fetches())

    def fall_back(self, failed: FileFetch) -> FileFetch | None:
        """The next holder of a content whose fetch failed: the same file and
        payload digest (:func:`fetch_key`) listed by another archive (the same
        capture first), or at another time; None when every holder was tried.

        Captures of one content are interchangeable (same bytes), so a file one
        archive cannot serve is taken from the next before it is reported missing.
        """
        tried = self._tried.setdefault(failed.key, set())
        tried.add(_holder(failed.capture))
        if failed.chosen is not None:  # before the archive redirected the fetch
            tried.add(_holder(failed.chosen))
        file_url = failed.key.rsplit(" ", 1)[0]
        holders = [
            c
            for c in file_index(self.state.file_captures()).get(file_url, ())
            if fetch_key(c) == failed.key and _holder(c) not in tried
        ]
        if not holders:
            return None
        first = failed.capture.timestamp
        holders.sort(key=lambda c: (c.timestamp != first, c.timestamp, c.archive))
        return FileFetch(holders[0], failed.key)

    def _fetches(self) -> Iterator[FileFetch]:
        index = file_index(self.state.file_captures())
        done = self.state.files()
        planned = 0
        for key, capture in plan_fetches(self._wanted or [], index).items():
            if key in self._asked or _settled(done.get(key), self.output_dir):
                continue
            self._asked.add(key)
            if capture.length is not None and capture.length > self.max_bytes:
                # the index's record length is at least the payload's size
                self.state.set_file(key, {"reason": TOO_LARGE})
                continue
            planned += 1
            yield FileFetch(capture, key)
            if planned >= self.batch:
                return

    def _posts_attachments(self) -> list[tuple[str | None, AttachmentRef]]:
        if self._wanted is None:
            self._wanted = [
                (post.capture.timestamp if post.capture else None, ref)
                for post in self.state.post_contents(
                    archive_base_url=self.archive_base_url
                )
                for ref in post_attachments(post)
            ]
        return self._wanted


def follow_redirect(
    fetch: FileFetch,
    *,
    location: str,
    replay_url: str,
    replay_root: str,
    max_hops: int,
    index: Mapping[str, Sequence[Capture]],
) -> FileFetch | str:
    """Where a 3xx answer to a file fetch leads: the next fetch, else why not.

    The archive's own redirect (to its nearest capture of the file: the capture
    listed cannot be replayed as listed) and an archived redirect (the capture is
    the site's redirect to another file URL: its ``Location`` points into the
    archive at the same time, whose next answer is a redirect to the nearest
    capture) are followed alike, at most ``max_hops`` times for one content, as the
    pages' are (:class:`~ise_archive.plan.work.WorkPlan`). The capture reached
    takes its CDX row from ``index`` (``file_index`` of the listings) when it is
    listed, so its digest is still checked; the result is stored under the
    content it was fetched for (``fetch.key``). A site *page* is not a file: a
    redirect to one ends ``failed:redirect-to-page``.
    """
    target = (
        redirect_target(location, replay_url, replay_root=replay_root)
        if location
        else None
    )
    if target is None:
        return "failed:redirect-without-location"
    if fetch.hops >= max_hops:
        return "failed:redirect-loop"
    timestamp, original = target
    if _is_site_page(original):
        return "failed:redirect-to-page"
    listed = {
        (c.timestamp, c.original, c.archive): c
        for c in index.get(attachment_key(original), ())
    }
    archive = fetch.capture.archive
    nearest = listed.get((timestamp, original, archive)) or Capture(
        timestamp=timestamp, original=original, archive=archive
    )
    chosen = fetch.chosen or fetch.capture
    return FileFetch(nearest, fetch.key, hops=fetch.hops + 1, chosen=chosen)


def _is_site_page(url: str) -> bool:
    """A URL on ise.gov itself that is not a file (a redirect to the home page)."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return host in SITE_HOSTS and not is_site_file(url)


def _holder(capture: Capture) -> tuple[str, str, str]:
    return (capture.timestamp, capture.original, capture.archive)


def _settled(result: dict | None, output_dir: Path | None = None) -> bool:
    """A content saved (and still on disk), or refused for good, needs no fetch; a
    failed fetch is tried again by the next run."""
    if result is None:
        return False
    if "path" in result:
        return output_dir is None or (output_dir / result["path"]).is_file()
    return not str(result.get("reason", "")).startswith("failed:")
