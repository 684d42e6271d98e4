"""The crawl's work plan: which capture to fetch next, and what an answer means.

The spider only turns these decisions into requests. A run goes through phases,
each started when the previous one leaves the crawler idle:

1. ``cdx``: prefix queries over the blog's URL space (run by the spider at start);
2. ``listings``: the archived RSS feeds and blog listing pages (and their pager), the
   newest capture of each month they were captured in by default
   (``ISE_ARCHIVE_LISTING_SAMPLING``); post URLs they name that the index lacks are
   looked up exactly;
3. ``posts``: per post, :func:`~ise_archive.plan.selection.plan_group` picks the
   captures to fetch (by default the newest good full page, the print page as a
   fallback); every other capture is settled as a duplicate or a reported skip;
4. ``nodes``: ``/node/<nid>`` captures whose alias no fetched post revealed;
5. ``attachments``: the posts' images and files (:mod:`ise_archive.plan.attachments`):
   a few CDX prefix queries, then one raw fetch per distinct file content;
6. ``links`` (ISE_ARCHIVE_CHECK_LINKS only): one CDX lookup per distinct link
   (:mod:`ise_archive.plan.links`).

Every phase is re-planned on each idle round because a later phase can open work
for an earlier one (a ``/node/N`` redirect naming a post the index lacked adds that
post's captures). Besides planning, :class:`WorkPlan` decides what an archived
redirect teaches and how often a truncated document is fetched again: policy that
needs the state but no crawler.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ise_archive.archive.archives import parse_archive
from ise_archive.archive.wayback import (
    archive_error_reason,
    is_archived_response,
    redirect_target,
)
from ise_archive.errors import ExtractionError, TruncatedCapture
from ise_archive.extract import ExtractOptions, PostPage
from ise_archive.normalize.urls import canonical_post_url, classify_url, node_id
from ise_archive.plan.attachments import AttachmentPlan
from ise_archive.plan.links import LinkCheckPlan
from ise_archive.plan.payloads import WEAK_RECORD
from ise_archive.plan.selection import (
    SelectionPolicy,
    admits_url,
    capture_group,
    plan_discovery_pages,
    plan_group,
)
from ise_archive.records import Capture, Post, Skip
from ise_archive.store.merge import state_key
from ise_archive.store.state import State
from ise_archive.warc.replay import page_extraction_key

logger = logging.getLogger(__name__)

#: Planning phases, in order; discovery (CDX) runs before them.
PHASES = ("listings", "posts", "nodes")
#: The archive's nearest-capture redirects followed for one capture: the Wayback
#: Machine answers an ``id_`` URL with at most one or two before the capture.
MAX_REDIRECT_HOPS = 3
#: The outcome of a ``/node/N`` capture of a post already read under its alias.
NODE_ALIAS_KNOWN = "skip:node-alias-known"
#: How often a capture the archive answers "not archived" is fetched again within
#: the run: its index listed it, so the answer is more often a passing fault (a
#: storage node down) than the capture's fate; later runs recheck it too
#: (ise_archive.outcomes.RECHECKED_FAILURES), as they do a digest mismatch.
NOT_ARCHIVED_REFETCHES = 1
NOT_ARCHIVED = "archive-error:not-archived"
#: Outcomes after which a capture needs no fetch of its own.
_SETTLED_OR_UNDERWAY = frozenset({"record", "duplicate", "fetching"})


def phase_of(group: str) -> str:
    """The phase that plans a capture group (see :func:`capture_group`).

    >>> phase_of("node:1643"), phase_of("http://www.ise.gov/blog/a/b")
    ('nodes', 'posts')
    >>> phase_of("http://www.ise.gov/blog?page=2")
    'listings'
    """
    if group.startswith("node:"):
        return "nodes"
    if canonical_post_url(group) == group:
        return "posts"
    return "listings"


@dataclass(frozen=True, slots=True)
class Fetch:
    """Fetch this capture (``hops``: archive redirects followed to reach it)."""

    capture: Capture
    hops: int = 0


@dataclass(frozen=True, slots=True)
class LookUp:
    """Ask the CDX server for the captures of this exact URL."""

    url: str


@dataclass(frozen=True, slots=True)
class Retry:
    """Fetch the same capture again (``tries`` times so far for the same cause):
    its document came back cut short (``why`` ``truncated``), or the archive said
    it does not hold it (``not_archived``). The spider counts it under
    ``ise_archive/fetch/<why>`` and hands ``tries`` back as ``<why>_tries``."""

    capture: Capture
    tries: int
    why: str = "truncated"


#: What reading one answer can lead to: a result to store, or more requests.
Followup = Post | Skip | Fetch | LookUp | Retry

#: Headers of the transfer, not of the archived page: the downloader has already
#: checked the length, and after decompression ``Content-Length`` is the gzipped
#: size, which exceeds the body for incompressible bytes and read as truncation.
_TRANSFER_HEADERS = frozenset(
    {"content-length", "content-encoding", "transfer-encoding"}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """The archive's answer to a capture request (headers with lower-case names)."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    replay_url: str
    hops: int = 0
    truncated_tries: int = 0
    not_archived_tries: int = 0
    #: The archive that answered, when it is not the main one: its spec
    #: (:attr:`Capture.archive`), for its replay URLs and the record's provenance.
    archive: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkPlan:
    """Plans fetches from the state and settles every capture it will not fetch.

    ``on_outcome`` is told each outcome as it is settled (the crawler counts them);
    ``max_hops`` bounds the archive's nearest-capture redirects followed for one
    capture; ``replay_root`` is where the archive's replay URLs hang;
    ``truncated_retries`` is how often a capture whose document came back cut
    short is fetched again. ``read_ahead`` holds pages already read by
    ``ise-archive rebuild``'s process pool, by
    :func:`~ise_archive.warc.replay.page_extraction_key` (their Post, Skip or
    ExtractionError): a page is taken from it only for exactly the same input.
    """

    state: State
    policy: SelectionPolicy
    batch: int
    follow_listings: bool
    #: Which captures of each feed and listing page to read (LISTING_SAMPLINGS).
    listing_sampling: str = "newest"
    max_hops: int = MAX_REDIRECT_HOPS
    replay_root: str
    truncated_retries: int
    on_outcome: Callable[[str], None]
    read_ahead: Mapping[str, Any] = field(default_factory=dict)
    #: The attachments phase, after every other (None: attachments are off).
    attachments: AttachmentPlan | None = None
    #: The link-check phase, last (None: ISE_ARCHIVE_CHECK_LINKS is off).
    links: LinkCheckPlan | None = None

    def next_phase(self) -> tuple[str, list[Any]] | None:
        """The earliest phase with work, and its next batch of requests
        (:class:`Fetch`, :class:`FileQuery`, :class:`FileFetch`, :class:`LinkCheck`).
        """
        for phase in PHASES:
            with self.state.batch():  # the round's outcomes: one commit
                fetches = list(self._plan(phase))
            if fetches:
                return phase, fetches
        for name, later in (("attachments", self.attachments), ("links", self.links)):
            work = later.next_work() if later is not None else []
            if work:
                return name, work
        return None

    def post_groups(self) -> int:
        """How many posts the state knows (for milestone lines)."""
        return sum(1 for group in self.state.identities() if phase_of(group) == "posts")

    def listed(self, captures: list[Capture], *, rank: int = 0) -> int:
        """Store what a CDX page listed; captures of no post group (tags, users,
        assets) are settled as skips at once. Returns how many were new.

        ``rank`` is the listing archive's place (0 the main archive, then the
        others in ``ISE_ARCHIVE_MORE_ARCHIVES`` order): a capture several archives
        hold is fetched from the best-ranked one, the others are its fallbacks.
        """
        with self.state.batch():
            new = self.state.add_captures(captures, capture_group, rank=rank)
            for capture in captures:
                if capture_group(capture) is None:
                    kind = classify_url(capture.original)
                    self.settle(capture, f"skip:not-a-post:{kind}")
        return new

    def settle(self, capture: Capture, outcome: str) -> None:
        """Give a capture its outcome. A failed fetch of a capture that another
        archive also holds is not an outcome yet: the capture is opened again,
        to be fetched from that archive (gap filling across archives)."""
        key = state_key(capture)
        if outcome.startswith("failed:"):
            following = self.state.fall_back(key)
            if following is not None:
                logger.info(
                    "%(key)s %(outcome)s: trying the next archive that holds it",
                    {"key": key, "outcome": outcome},
                )
                return
        self.state.set_outcome(key, outcome)
        self.on_outcome(outcome)

    def set_aside(self, capture: Capture) -> None:
        """The archive a capture was to be fetched from cannot be used for the rest
        of the run (down, or asking us to come back later): no outcome of the
        capture's. It is opened again for the next archive that holds it, else it
        stays ``fetching`` (pending: the next run reopens it), and selection waits
        for it rather than settling its post with an older capture."""
        if self.state.fall_back(state_key(capture)) is None:
            logger.info(
                "%(key)s is left for the next run: its archive is out of reach",
                {"key": state_key(capture)},
            )

    def _plan(self, phase: str) -> Iterator[Fetch]:
        if phase == "listings" and not self.follow_listings:
            return
        planned = 0
        for group in self.state.identities_with_open_work():
            if phase_of(group) != phase:
                continue
            captures = self.state.captures_of(group)
            if phase == "nodes" and self._settle_known_node(group, captures):
                continue
            outcomes = self.state.outcomes_of(group)
            if phase == "listings":
                decisions = plan_discovery_pages(
                    captures, outcomes, sampling=self.listing_sampling
                )
            else:
                for key in self.state.weak_records(group):
                    outcomes[key] = WEAK_RECORD
                decisions = plan_group(captures, outcomes, self.policy)
            for decision in decisions:
                if decision.action == "fetch":
                    self.state.set_outcome(state_key(decision.capture), "fetching")
                    planned += 1
                    yield Fetch(decision.capture)
                elif decision.action == "duplicate":
                    self.settle(decision.capture, "duplicate")
                else:
                    self.settle(decision.capture, _skip(decision.reason))
            if planned >= self.batch:
                return

    def _settle_known_node(self, group: str, captures: list[Capture]) -> bool:
        """``/node/N`` captures of a post fetched under its alias add nothing: a
        skip, not a ``duplicate`` (their bytes differ from what was read: another
        address, another theme's chrome)."""
        alias = self.state.alias(int(group.split(":", 1)[1]))
        if alias is None:
            return False
        outcomes = self.state.outcomes_of(group)
        for capture in captures:
            if state_key(capture) not in outcomes:
                self.settle(capture, NODE_ALIAS_KNOWN)
        return True

    # --- what an answer means ----------------------------------------------------

    def read_page(
        self, capture: Capture, answer: Answer, options: ExtractOptions
    ) -> Post | Skip:
        """The page's Post or Skip (or its ExtractionError), read now or ahead."""
        headers = {
            k: v for k, v in answer.headers.items() if k not in _TRANSFER_HEADERS
        }
        if self.read_ahead:
            key = page_extraction_key(
                answer.body,
                original=capture.original,
                timestamp=capture.timestamp,
                headers=headers,
                options=options,
            )
            found = self.read_ahead.get(key)
            if isinstance(found, ExtractionError):
                raise found
            if found is not None:
                return found
        page = PostPage(
            answer.body,
            url=capture.original,
            timestamp=capture.timestamp,
            headers=headers,
            options=options,
        )
        return page.to_item()

    def read_answer(
        self, capture: Capture, answer: Answer, options: ExtractOptions
    ) -> Iterator[Followup]:
        """Read one answer: the post or skip it holds, or what to request next.

        Every path settles the capture or leads to a request that will.
        """
        headers = answer.headers
        archived = is_archived_response(headers)
        if 300 <= answer.status < 400:
            yield from self.redirect(
                capture,
                headers.get("location", ""),
                answer.replay_url,
                archived=archived,
                hops=answer.hops,
                replay_root=(
                    parse_archive(answer.archive).replay_root
                    if answer.archive
                    else self.replay_root
                ),
            )
            return
        if not archived:
            reason = archive_error_reason(answer.status, headers, answer.body)
            tries = answer.not_archived_tries + 1
            if reason == NOT_ARCHIVED and tries <= NOT_ARCHIVED_REFETCHES:
                logger.info(
                    "The archive says it does not hold %(url)s, which its index "
                    "lists: fetching it again",
                    {"url": answer.replay_url},
                )
                yield Retry(capture, tries, why="not_archived")
                return
            self.settle(capture, f"failed:{reason or f'http-{answer.status}'}")
            return
        if answer.status != 200:
            self.settle(capture, f"skip:error-status:{answer.status}")
            return
        if answer.archive:  # provenance under the archive that served the bytes
            options = replace(options, archive_base_url=answer.archive)
        try:
            result = self.read_page(capture, answer, options)
        except TruncatedCapture:
            tries = answer.truncated_tries + 1
            if self.truncated(capture, tries=tries):
                yield Retry(capture, tries)
            else:
                logger.warning(
                    "Capture stays truncated: %(url)s", {"url": answer.replay_url}
                )
            return
        except ExtractionError as exc:
            self.settle(capture, f"failed:{exc.reason}")
            logger.warning(
                "Could not read %(url)s: %(exc)s",
                {"url": answer.replay_url, "exc": exc},
            )
            return
        if isinstance(result, Post) and not admits_url(self.policy, result.url):
            # a /node/N capture turned out to be a post outside -a prefix
            self.settle(capture, "skip:out-of-prefix")
            return
        yield result
        if isinstance(result, Skip):
            urls = list(result.discovered)
            if result.next_page:
                urls.append(result.next_page)
            yield from self.unlisted_urls(urls)

    def redirect(
        self,
        capture: Capture,
        location: str,
        replay_url: str,
        *,
        archived: bool,
        hops: int,
        replay_root: str = "",
    ) -> Iterator[Fetch | LookUp]:
        """A 3xx answer to ``replay_url``: what the capture is, and what to fetch.

        ``archived`` (the answer has ``Memento-Datetime``) means the capture itself
        is a redirect; otherwise it is the archive's redirect to its nearest
        capture, ``hops`` of them so far for this capture.
        """
        root = replay_root or self.replay_root
        target = (
            redirect_target(location, replay_url, replay_root=root)
            if location
            else None
        )
        if target is None:
            self.settle(capture, "failed:redirect-without-location")
            return
        timestamp, original = target
        if archived:
            yield from self.archived_redirect(capture, original)
        else:
            nearest = Capture(
                timestamp=timestamp, original=original, archive=capture.archive
            )
            yield from self.nearest_capture(capture, nearest, hops=hops + 1)

    def archived_redirect(self, capture: Capture, target: str) -> Iterator[LookUp]:
        """The capture *is* a redirect (``/node/N`` -> alias, ``ise.gov`` -> www,
        http -> https): learn where it points, fetch nothing more for it."""
        post_url = canonical_post_url(target)
        nid = node_id(capture.original)
        if post_url and nid is not None:
            self.state.set_alias(nid, post_url)
        target_kind = "post" if post_url else classify_url(target)
        self.settle(capture, f"skip:redirect-to-{target_kind}")
        if post_url and not self.state.captures_of(post_url):
            yield LookUp(post_url)

    def nearest_capture(
        self, capture: Capture, nearest: Capture, *, hops: int
    ) -> Iterator[Fetch]:
        """The archive's own redirect to its nearest capture: fetch that one once.

        ``hops`` counts this redirect; past ``max_hops`` the capture fails as a
        loop (the archive can bounce between two timestamps for ever).
        """
        group = capture_group(nearest)
        done = self.state.outcomes_of(group) if group else {}
        if done.get(state_key(nearest)) in _SETTLED_OR_UNDERWAY:
            self.settle(capture, "duplicate")
        elif hops > self.max_hops:
            self.settle(capture, "failed:redirect-loop")
        else:
            self.settle(capture, "duplicate")
            self.state.add_captures([nearest], capture_group)
            self.state.set_outcome(state_key(nearest), "fetching")
            yield Fetch(nearest, hops=hops)

    def truncated(self, capture: Capture, *, tries: int) -> bool:
        """Whether a document cut short (``tries`` times now) is fetched again.

        A cut *transfer* is caught by the downloader and retried like any
        transport error, so a document still cut after a complete transfer was
        almost always truncated in the archive itself: a bounded number of tries,
        then the capture fails and the post's next capture is tried.
        """
        if tries > self.truncated_retries:
            self.settle(capture, "failed:truncated-capture")
            return False
        return True

    def unlisted_urls(self, urls: list[str]) -> Iterator[LookUp]:
        """Post URLs a feed or listing names that the index has no capture of."""
        if not self.follow_listings:
            return
        for url in urls:
            if not self.state.captures_of(canonical_post_url(url) or url):
                yield LookUp(url)


def _skip(reason: str) -> str:
    return reason if reason.startswith("skip:") else f"skip:{reason}"
