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
from collections.abc import Iterator
from dataclasses import dataclass, field

from ise_archive.archive.cdx import CDXQuery
from ise_archive.attachments.captures import TOO_LARGE, file_index, plan_fetches
from ise_archive.attachments.discovery import (
    AttachmentRef,
    discovery_prefixes,
    post_attachments,
)
from ise_archive.records import Capture
from ise_archive.store.state import State

logger = logging.getLogger(__name__)

#: Attachment rows worth keeping: archived payloads (200) and revisits of them; the
#: site's redirects and errors are not the file.
FILE_FILTERS: tuple[str, ...] = ("!statuscode:[345]..",)


@dataclass(frozen=True, slots=True)
class FileQuery:
    """List the captures under this URL prefix (CDX ``matchType=prefix``)."""

    query: CDXQuery


@dataclass(frozen=True, slots=True)
class FileFetch:
    """Fetch this attachment capture raw."""

    capture: Capture
    key: str


@dataclass(slots=True, kw_only=True)
class AttachmentPlan:
    """What the attachments phase asks next (mutable: it remembers this run's asks).

    ``archive_base_url`` names the archive for merging records (as the dataset
    writer does); ``max_bytes`` is the size cap; ``batch`` bounds one round.
    """

    state: State
    archive_base_url: str
    max_bytes: int
    batch: int
    _wanted: list[tuple[str | None, AttachmentRef]] | None = None
    _queried: bool = False
    _asked: set[str] = field(default_factory=set)

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
                FileQuery(CDXQuery(url=prefix, filters=FILE_FILTERS))
                for prefix in prefixes
            ]
        return list(self._fetches())

    def _fetches(self) -> Iterator[FileFetch]:
        index = file_index(self.state.file_captures())
        done = self.state.files()
        planned = 0
        for key, capture in plan_fetches(self._wanted or [], index).items():
            if key in self._asked or _settled(done.get(key)):
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
                for post in self.state.dataset_posts(
                    archive_base_url=self.archive_base_url
                )
                for ref in post_attachments(post)
            ]
        return self._wanted


def _settled(result: dict | None) -> bool:
    """A content saved, or refused for good, needs no fetch; a failed fetch is
    tried again by the next run."""
    if result is None:
        return False
    return "path" in result or not str(result.get("reason", "")).startswith("failed:")
