"""The link-check phase (ISE_ARCHIVE_CHECK_LINKS): one CDX lookup per distinct link.

It runs last, after the attachments, when the records say which links the posts
have: each distinct link not checked by an earlier run is looked up once
(:func:`~ise_archive.archive.links.link_check_query`) in the main archive's ``cdx``
pool, at its polite rate. The answers are kept in the state (``link_checks``), so a
later run asks only about new links. A failed lookup leaves the link unchecked
(``archived`` absent) and is asked again by the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ise_archive.archive.cdx import CDXQuery
from ise_archive.archive.links import checked_links, link_check_query
from ise_archive.store.state import State

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LinkCheck:
    """Ask the CDX server whether any capture of ``url`` exists."""

    url: str
    query: CDXQuery


@dataclass(slots=True, kw_only=True)
class LinkCheckPlan:
    """What the link-check phase asks next (it remembers this run's asks)."""

    state: State
    archive_base_url: str
    batch: int
    _pending: list[str] | None = None
    _asked: set[str] = field(default_factory=set)

    def next_work(self) -> list[LinkCheck]:
        """The next batch of links to look up, else []."""
        if self._pending is None:
            done = self.state.link_checks()
            posts = self.state.post_contents(archive_base_url=self.archive_base_url)
            self._pending = [url for url in checked_links(posts) if url not in done]
            logger.info(
                "Checking %(n)d links in the archive's index (one CDX request each)",
                {"n": len(self._pending)},
            )
        work = []
        while self._pending and len(work) < self.batch:
            url = self._pending.pop(0)
            if url not in self._asked:
                self._asked.add(url)
                work.append(LinkCheck(url, link_check_query(url)))
        return work
