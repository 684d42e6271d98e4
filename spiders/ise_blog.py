"""``scrapy crawl ise_blog``: find and fetch every archived ise.gov blog post.

The spider decides *what to request*; everything that reads bytes is in the library.
A run goes through phases, each started when the previous one leaves the crawler idle:

1. ``cdx``: prefix queries over the blog's URL space, paged with resume keys in
   bounded date windows; every row is stored in the state database.
2. ``listings``: the newest capture of each archived RSS feed and blog listing page
   (and its pager); post URLs they name that the index lacks are looked up exactly.
3. ``posts``: per post, :func:`ise_archive.plan.selection.plan_group` picks the
   captures to
   fetch (by default the newest good full page; the print page as a fallback); every
   other capture is settled as a duplicate or a reported skip.
4. ``nodes``: ``/node/<nid>`` captures whose alias no fetched post revealed.

Arguments: ``-a versions=all`` (every distinct content version), ``-a from=2011
-a to=2013`` (capture time range, 1-14 digit prefixes), ``-a prefix=URL`` (only posts
under this URL).
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CloseSpider,
    DontCloseSpider,
    DownloadCancelledError,
    IgnoreRequest,
    NotConfigured,
)
from scrapy.http import Response
from twisted.python.failure import Failure

from ise_archive import __version__
from ise_archive.archive.archives import parse_archive
from ise_archive.archive.cdx import CDXQuery, discovery_queries, exact_query
from ise_archive.archive.wayback import (
    archive_error_reason,
    is_archived_response,
    redirect_target,
)
from ise_archive.errors import (
    CDXError,
    ExtractionError,
    PageTooLarge,
    TruncatedCapture,
)
from ise_archive.extract import ExtractOptions, PostPage
from ise_archive.normalize.urls import canonical_post_url, classify_url, node_id
from ise_archive.plan.payloads import WEAK_RECORD
from ise_archive.plan.selection import (
    SelectionPolicy,
    admits_url,
    capture_identity,
    capture_key,
    plan_discovery_pages,
    plan_group,
)
from ise_archive.records import Capture, Post, Skip
from ise_archive.store.state import State

logger = logging.getLogger(__name__)

#: Planning phases, in order; discovery (CDX) runs from ``start()``.
PHASES = ("listings", "posts", "nodes")
_CONNECTION_REFUSED = (
    "DownloadConnectionRefusedError",
    "ConnectionRefusedError",
    "ConnectError",
)
#: Headers of the transfer, not of the archived page: Scrapy has already checked
#: the length, and after decompression ``Content-Length`` is the gzipped size, which
#: exceeds the body for incompressible bytes and read as truncation.
_TRANSFER_HEADERS = frozenset(
    {"content-length", "content-encoding", "transfer-encoding"}
)
# "NotHTML" -> "Not-HTML", "TruncatedCapture" -> "Truncated-Capture"
_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


class IseBlogSpider(Spider):
    name = "ise_blog"

    def __init__(
        self,
        *args: Any,
        versions: str = "latest",
        to: str | None = None,
        prefix: str | None = None,
        **kwargs: Any,
    ) -> None:
        from_ts = kwargs.pop("from", None)
        super().__init__(*args, **kwargs)
        if versions not in ("latest", "all"):
            raise NotConfigured(f"-a versions={versions!r}: use 'latest' or 'all'")
        for label, value in (("from", from_ts), ("to", to)):
            if value is not None and not (value.isdigit() and len(value) <= 14):
                raise NotConfigured(f"-a {label}={value!r}: use 1-14 digits (YYYY...)")
        self.policy = SelectionPolicy(
            versions=versions,  # type: ignore[arg-type]
            from_ts=from_ts,
            to_ts=to,
            url_prefix=canonical_post_url(prefix) or prefix if prefix else None,
        )
        self.phase = "cdx"
        self.blocked = False
        self.state: State
        self.exit_code = 0

    # --- configuration ----------------------------------------------------------------

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        """Turn the ``ISE_ARCHIVE_*`` politeness settings into two download slots."""
        super().update_settings(settings)
        cdx_rpm = _positive_float(settings, "ISE_ARCHIVE_CDX_RPM")
        replay_rps = _positive_float(settings, "ISE_ARCHIVE_REPLAY_RPS")
        slots = {
            "cdx": {
                "concurrency": settings.getint("ISE_ARCHIVE_CDX_CONCURRENCY"),
                "delay": 60.0 / cdx_rpm,
                "jitter": 0,
            },
            "replay": {
                "concurrency": settings.getint("ISE_ARCHIVE_REPLAY_CONCURRENCY"),
                "delay": 1.0 / replay_rps,
                "jitter": 0,
            },
        }
        settings.set("DOWNLOAD_SLOTS", slots, priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> IseBlogSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        s = crawler.settings
        try:
            spider.archive = parse_archive(
                s.get("WAYBACK_BASE_URL"),
                view_root=s.get("ISE_ARCHIVE_ARCHIVE_URL_BASE") or "",
            )
        except ValueError as exc:
            raise NotConfigured(f"WAYBACK_BASE_URL: {exc}") from exc
        spider.base_url = spider.archive.root
        spider.output_dir = Path(s.get("OUTPUT_DIR"))
        state_path = s.get("ISE_ARCHIVE_STATE_PATH") or str(
            spider.output_dir / ".state" / "state.sqlite3"
        )
        # records name the archive by kind and root: pywb and Wayback replay URLs
        # differ (ise_archive.archive.archives)
        view = spider.archive.view_root or spider.archive.root
        spider.archive_url_base = f"{spider.archive.kind}:{view}"
        spider.options = ExtractOptions(
            max_bytes=s.getint("ISE_ARCHIVE_MAX_PAGE_BYTES"),
            archive_base_url=spider.archive_url_base,
        )
        try:
            spider.queries = discovery_queries(
                prefixes=s.getlist("ISE_ARCHIVE_CDX_PREFIXES"),
                from_year=s.getint("ISE_ARCHIVE_FROM_YEAR"),
                to_year=s.getint("ISE_ARCHIVE_TO_YEAR") or datetime.now(UTC).year,
                window_years=s.getint("ISE_ARCHIVE_CDX_WINDOW_YEARS"),
                limit=s.getint("ISE_ARCHIVE_CDX_PAGE_SIZE"),
                filters=s.getlist("ISE_ARCHIVE_CDX_FILTERS"),
                collapse=s.get("ISE_ARCHIVE_CDX_COLLAPSE") or None,
            )
        except ValueError as exc:
            raise NotConfigured(
                f"ISE_ARCHIVE_CDX_* / ISE_ARCHIVE_*_YEAR settings: {exc}"
            ) from exc
        spider.follow_listings = s.getbool("ISE_ARCHIVE_FOLLOW_LISTINGS")
        spider.truncated_retries = s.getint("ISE_ARCHIVE_TRUNCATED_RETRIES")
        spider.plan_batch = max(1, s.getint("ISE_ARCHIVE_PLAN_BATCH"))
        attempts = s.getint("ISE_ARCHIVE_MAX_ATTEMPTS")
        if attempts < 1:
            raise NotConfigured(f"ISE_ARCHIVE_MAX_ATTEMPTS ({attempts!r}) must be >= 1")
        spider.policy = replace(spider.policy, max_attempts=attempts)
        spider.started = datetime.now(UTC)
        # milliseconds: two runs started in the same second stay two runs
        spider.run_id = spider.started.strftime("%Y%m%dT%H%M%S.%f")[:-3] + "Z"
        spider.state = State.open(Path(state_path))
        spider.state.begin_run(spider.run_id, parameters=spider.run_parameters())
        reset = spider.state.reset_inflight()
        if reset:
            logger.info(
                "Resuming: %(n)d unfinished captures will be retried", {"n": reset}
            )
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        return spider

    def run_parameters(self) -> dict[str, Any]:
        """What the manifest and run report record about this run's inputs."""
        return {
            "tool_version": __version__,
            "wayback_base_url": self.base_url,
            "archive_kind": self.archive.kind,
            "versions": self.policy.versions,
            "from": self.policy.from_ts,
            "to": self.policy.to_ts,
            "prefix": self.policy.url_prefix,
            "cdx_prefixes": sorted({q.url for q in self.queries}),
            "cdx_filters": list(self.queries[0].filters) if self.queries else [],
            "cdx_collapse": self.queries[0].collapse if self.queries else None,
        }

    # --- phase 1: the capture index ---------------------------------------------------

    async def start(self) -> AsyncIterator[Request]:
        for query in self.queries:
            yield self.cdx_request(query)

    def cdx_request(self, query: CDXQuery, resume_key: str | None = None) -> Request:
        return Request(
            self.archive.cdx_query_url(query, resume_key),
            callback=self.parse_cdx,
            errback=self.cdx_failed,
            cb_kwargs={"query": query},
            meta={"pool": "cdx", "handle_httpstatus_all": True},
            dont_filter=True,
            priority=10,
        )

    def parse_cdx(self, response: Response, query: CDXQuery) -> Iterator[Request]:
        stats = self.crawler.stats
        if response.status != 200:
            stats.inc_value(f"ise_archive/cdx/failed/http-{response.status}")
            logger.error(
                "CDX query failed with HTTP %(status)d: %(url)s",
                {"status": response.status, "url": response.url},
            )
            return
        try:
            page = self.archive.parse_cdx(response.body)
        except CDXError as exc:
            stats.inc_value("ise_archive/cdx/failed/bad-answer")
            logger.error(
                "Unusable CDX answer from %(url)s: %(exc)s",
                {"url": response.url, "exc": exc},
            )
            return
        new = self.state.add_captures(page.captures, capture_identity)
        stats.inc_value("ise_archive/cdx/pages")
        stats.inc_value("ise_archive/cdx/captures", len(page.captures))
        stats.inc_value("ise_archive/cdx/new", new)
        for capture in page.captures:
            if capture_identity(capture) is None:
                self.settle(
                    capture, f"skip:not-a-post:{classify_url(capture.original)}"
                )
        if page.resume_key and page.captures:
            yield self.cdx_request(query, page.resume_key)

    def cdx_failed(self, failure: Failure) -> None:
        self.crawler.stats.inc_value("ise_archive/cdx/failed/transport")
        if self.check_blocked(failure):
            raise CloseSpider("blocked")
        logger.error("CDX request failed: %(f)s", {"f": failure.getErrorMessage()})

    # --- planning (phases 2-4) ---------------------------------------------------

    def on_idle(self) -> None:
        """Plan the next fetches, earliest phase first; close when none are left.

        Every phase is re-planned on each idle round because a later phase can open
        work for an earlier one (a ``/node/N`` redirect naming a post the index
        lacked adds that post's captures).
        """
        if self.blocked:
            return
        for phase in PHASES:
            requests = list(self.plan_requests(phase))
            if requests:
                if phase != self.phase:
                    self.log_milestone(phase)
                    self.phase = phase
                for request in requests:
                    self.crawler.engine.crawl(request)
                raise DontCloseSpider

    def log_milestone(self, phase: str) -> None:
        """One INFO line as a phase starts: what the run has found and done so far."""
        counts = self.state.counts()
        posts = sum(1 for i in self.state.identities() if _phase_of(i) == "posts")
        stats = self.crawler.stats
        logger.info(
            "Phase: %(phase)s. So far: %(listed)d captures listed (%(new)d new), "
            "%(posts)d post URLs identified, %(fetched)d fetched, "
            "%(records)d extracted, %(dups)d duplicates, %(skipped)d skipped, "
            "%(failed)d failed",
            {
                "phase": phase,
                "listed": stats.get_value("ise_archive/cdx/captures", 0),
                "new": stats.get_value("ise_archive/cdx/new", 0),
                "posts": posts,
                "fetched": stats.get_value("ise_archive/fetch/requests", 0),
                "records": counts["record"],
                "dups": counts["duplicate"],
                "skipped": counts["skip"],
                "failed": counts["failed"],
            },
        )

    def plan_requests(self, phase: str) -> Iterator[Request]:
        if phase == "listings" and not self.follow_listings:
            return
        planned = 0
        for identity in self.state.identities_with_open_work():
            if _phase_of(identity) != phase:
                continue
            captures = self.state.captures_of(identity)
            if phase == "nodes" and self.settle_known_node(identity, captures):
                continue
            outcomes = self.state.outcomes_of(identity)
            if phase == "listings":
                decisions = plan_discovery_pages(captures, outcomes)
            else:
                for key in self.state.weak_records(identity):
                    outcomes[key] = WEAK_RECORD
                decisions = plan_group(captures, outcomes, self.policy)
            for decision in decisions:
                key = capture_key(decision.capture)
                if decision.action == "fetch":
                    self.state.set_outcome(key, "fetching")
                    planned += 1
                    yield self.capture_request(decision.capture)
                elif decision.action == "duplicate":
                    self.settle(decision.capture, "duplicate")
                else:
                    self.settle(decision.capture, _skip(decision.reason))
            if planned >= self.plan_batch:
                return

    def settle_known_node(self, identity: str, captures: list[Capture]) -> bool:
        """``/node/N`` captures of a post fetched under its alias add nothing."""
        alias = self.state.alias(int(identity.split(":", 1)[1]))
        if alias is None:
            return False
        outcomes = self.state.outcomes_of(identity)
        for capture in captures:
            if capture_key(capture) not in outcomes:
                self.settle(capture, "duplicate")
        return True

    def settle(self, capture: Capture, outcome: str) -> None:
        self.state.set_outcome(capture_key(capture), outcome)
        self.count_outcome(outcome)

    def count_outcome(self, outcome: str) -> None:
        stats = self.crawler.stats
        kind, _, reason = outcome.partition(":")
        if kind == "skip":
            stats.inc_value(f"ise_archive/skip/reason_count/{reason}")
        elif kind == "failed":
            stats.inc_value(f"ise_archive/failed/reason_count/{reason}")
        else:
            stats.inc_value(f"ise_archive/capture/{kind}")

    # --- fetching a capture ------------------------------------------------------

    def capture_request(self, capture: Capture, *, hops: int = 0) -> Request:
        return Request(
            self.archive.raw_url(capture.timestamp, capture.original),
            callback=self.parse_capture,
            errback=self.capture_failed,
            cb_kwargs={"capture": capture},
            meta={
                "pool": "replay",
                "capture": capture,
                "hops": hops,
                "dont_redirect": True,
                "handle_httpstatus_all": True,
                # A page over the limit is refused unparsed anyway: stop reading it
                # at the limit (compressed or not) instead of holding it in memory.
                "download_maxsize": self.options.max_bytes,
            },
            dont_filter=True,
        )

    def parse_capture(self, response: Response, capture: Capture) -> Iterator[Any]:
        self.crawler.stats.inc_value("ise_archive/fetch/requests")
        headers = _headers(response)
        archived = is_archived_response(headers)
        if 300 <= response.status < 400:
            yield from self.follow_redirect(response, capture, headers, archived)
            return
        if not archived:
            reason = archive_error_reason(response.status, headers, response.body)
            self.settle(capture, f"failed:{reason or f'http-{response.status}'}")
            return
        if response.status != 200:
            self.settle(capture, f"skip:error-status:{response.status}")
            return
        page = PostPage(
            response.body,
            url=capture.original,
            timestamp=capture.timestamp,
            headers=_page_headers(headers),
            options=self.options,
        )
        try:
            result = page.to_item()
        except TruncatedCapture:
            yield from self.retry_truncated(response, capture)
            return
        except ExtractionError as exc:
            self.settle(capture, f"failed:{_slug(type(exc).__name__)}")
            logger.warning(
                "Could not read %(url)s: %(exc)s", {"url": response.url, "exc": exc}
            )
            return
        if isinstance(result, Post) and not admits_url(self.policy, result.url):
            # a /node/N capture turned out to be a post outside -a prefix
            self.settle(capture, "skip:out-of-prefix")
            return
        yield result
        if isinstance(result, Skip):
            yield from self.follow_discovered(result)

    def follow_redirect(
        self,
        response: Response,
        capture: Capture,
        headers: dict[str, str],
        archived: bool,
    ) -> Iterator[Request]:
        location = headers.get("location", "")
        target = (
            redirect_target(
                location, response.url, replay_root=self.archive.replay_root
            )
            if location
            else None
        )
        if target is None:
            self.settle(capture, "failed:redirect-without-location")
            return
        timestamp, original = target
        if archived:
            # The capture *is* a redirect (/node/N -> alias, ise.gov -> www, http ->
            # https): learn where it points, fetch nothing more for it.
            post_url = canonical_post_url(original)
            nid = node_id(capture.original)
            if post_url and nid is not None:
                self.state.set_alias(nid, post_url)
            target_kind = "post" if post_url else classify_url(original)
            self.settle(capture, f"skip:redirect-to-{target_kind}")
            if post_url and not self.state.captures_of(post_url):
                yield self.cdx_request(exact_query(post_url))
            return
        # The archive's own redirect to the nearest capture: fetch that capture once.
        hops = response.meta.get("hops", 0) + 1
        nearest = Capture(timestamp=timestamp, original=original)
        identity = capture_identity(nearest)
        done = self.state.outcomes_of(identity) if identity else {}
        if done.get(capture_key(nearest)) in ("record", "duplicate", "fetching"):
            self.settle(capture, "duplicate")
        elif hops > 3:
            self.settle(capture, "failed:redirect-loop")
        else:
            self.settle(capture, "duplicate")
            self.state.add_captures([nearest], capture_identity)
            self.state.set_outcome(capture_key(nearest), "fetching")
            yield self.capture_request(nearest, hops=hops)

    def retry_truncated(
        self, response: Response, capture: Capture
    ) -> Iterator[Request]:
        tries = response.meta.get("truncated_tries", 0) + 1
        self.crawler.stats.inc_value("ise_archive/fetch/truncated")
        if tries > self.truncated_retries:
            self.settle(capture, "failed:truncated-capture")
            logger.warning("Capture stays truncated: %(url)s", {"url": response.url})
            return
        # a fresh request: one copied from the response carries Scrapy's internal
        # meta (download_latency...) into the next download
        retry = self.capture_request(capture, hops=response.meta.get("hops", 0))
        retry.meta["truncated_tries"] = tries
        yield retry

    def follow_discovered(self, skip: Skip) -> Iterator[Request]:
        """Look up post URLs named by a feed or listing that the index did not list."""
        if not self.follow_listings:
            return
        urls = list(skip.discovered)
        if skip.next_page:
            urls.append(skip.next_page)
        for url in urls:
            identity = canonical_post_url(url) or url
            if self.state.captures_of(identity):
                continue
            self.crawler.stats.inc_value("ise_archive/discovery/exact_lookups")
            yield self.cdx_request(exact_query(url))

    def capture_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        capture: Capture = request.meta["capture"]
        if self.check_blocked(failure):
            # Not a failure of the capture: it stays "fetching", which the next run
            # resets to open (State.reset_inflight) and fetches again.
            raise CloseSpider("blocked")
        if failure.check(DownloadCancelledError, IgnoreRequest):
            # Scrapy stopped the download at ``download_maxsize`` (IgnoreRequest
            # when the body only outgrew it while being decompressed).
            reason = _slug(PageTooLarge.__name__)
        else:
            reason = _slug(type(failure.value).__name__)
        self.settle(capture, f"failed:{reason}")
        logger.warning(
            "Fetching %(url)s failed: %(err)s",
            {"url": request.url, "err": failure.getErrorMessage()},
        )

    def check_blocked(self, failure: Failure) -> bool:
        """Connection refused means the archive firewalled us: stop, resumably."""
        if type(failure.value).__name__ not in _CONNECTION_REFUSED:
            return False
        if not self.crawler.settings.getbool("ISE_ARCHIVE_STOP_ON_REFUSED"):
            return False
        if not self.blocked:
            self.blocked = True
            self.crawler.stats.set_value("ise_archive/blocked", 1)
            logger.error(
                "The archive refuses connections (%(err)s): it has probably blocked "
                "this IP for an hour. Stopping; the next run resumes where this one "
                "stopped.",
                {"err": failure.getErrorMessage()},
            )
        return True

    def on_closed(self, spider: Spider, reason: str) -> None:
        self.state.close()


def _positive_float(settings: Any, name: str) -> float:
    """A rate setting, refused (NotConfigured, naming it) unless a number > 0."""
    raw = settings.get(name)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise NotConfigured(f"{name} ({raw!r}) must be a number > 0") from None
    if not value > 0:  # also refuses NaN
        raise NotConfigured(f"{name} ({raw!r}) must be a number > 0")
    return value


def _phase_of(identity: str) -> str:
    if identity.startswith("node:"):
        return "nodes"
    if canonical_post_url(identity) == identity:
        return "posts"
    return "listings"


def _headers(response: Response) -> dict[str, str]:
    return {
        key.lower(): value for key, value in response.headers.to_unicode_dict().items()
    }


def _page_headers(headers: dict[str, str]) -> dict[str, str]:
    """The headers that describe the archived page (see ``_TRANSFER_HEADERS``)."""
    return {k: v for k, v in headers.items() if k not in _TRANSFER_HEADERS}


def _skip(reason: str) -> str:
    return reason if reason.startswith("skip:") else f"skip:{reason}"


def _slug(name: str) -> str:
    """``TruncatedCapture`` -> ``truncated-capture`` (a stable reason slug).

    >>> _slug("NotHTML"), _slug("PageTooLarge"), _slug("ExtractionError")
    ('not-html', 'page-too-large', 'extraction')
    """
    return _WORD_BOUNDARY.sub("-", name).lower().removesuffix("-error")


def result_key(result: Post | Skip) -> str | None:
    """The state key of the capture a library result came from."""
    if result.capture is None:
        return None
    return f"{result.capture.timestamp} {result.capture.original}"
