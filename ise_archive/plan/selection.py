"""Which captures to fetch: grouping captures by post, and one decision per capture.

The CDX index lists every capture of every URL form a post was crawled under. This
module decides, without I/O, which few of them are worth a replay request and gives
every other capture its final word (duplicate or skip, with a reason), so that the
crawl can account for each capture exactly once.

It is called again and again as fetch outcomes arrive: the caller passes what it
knows (``outcomes``: capture key -> outcome reached) and gets decisions for the
captures that have none yet. Nothing here keeps state between calls. See
``docs/discovery.md`` for the policy in prose. Pooling captures into payloads and
walking them in order is :mod:`ise_archive.plan.payloads`; this module judges captures
and chooses the order.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from ise_archive.normalize.urls import (
    canonical_post_url,
    canonical_site_url,
    classify_url,
    node_id,
)
from ise_archive.plan.payloads import (
    SELECTION_SKIPS,
    Decision,
    FetchPlan,
    Payload,
    PayloadPool,
    final_decisions,
    next_fetch,
)
from ise_archive.records import Capture
from ise_archive.store.merge import state_key

logger = logging.getLogger(__name__)

__all__ = [
    "LISTING_SAMPLINGS",
    "SELECTION_SKIPS",
    "Decision",
    "SelectionPolicy",
    "capture_group",
    "plan_discovery_pages",
    "plan_group",
    "state_key",
]

# Mimetype prefixes that are never a page (the CDX filters drop most of them already).
_NOT_PAGE_MIMETYPES = ("image/", "audio/", "video/", "font/", "text/css")
_NOT_PAGE_SUBSTRINGS = ("javascript", "pdf", "octet-stream", "zip")
_POST_KINDS = frozenset({"post", "print", "node"})
_DISCOVERY_KINDS = frozenset({"listing", "feed"})
#: How many captures of each feed and listing page discovery reads: the newest only,
#: the newest of each year or month it was captured in, or every distinct payload.
LISTING_SAMPLINGS = ("newest", "year", "month", "all")


@dataclass(frozen=True, slots=True, kw_only=True)
class SelectionPolicy:
    """What the crawl wants: the newest version of each post, or every version.

    ``from_ts``/``to_ts`` are inclusive 1-14 digit prefixes (spider arguments
    ``-a from=2011 -a to=2013``); ``url_prefix`` keeps only posts whose canonical URL
    starts with it (``-a prefix=http://www.ise.gov/blog/kshemendra-paul``; host,
    scheme and case do not matter). ``max_attempts`` bounds how many captures of one
    post are tried under ``latest`` before it is reported as lost.
    """

    versions: Literal["latest", "all"] = "latest"
    from_ts: str | None = None
    to_ts: str | None = None
    url_prefix: str | None = None
    max_attempts: int = 3

    def __post_init__(self) -> None:
        if self.versions not in ("latest", "all"):
            raise ValueError(
                f"versions must be 'latest' or 'all', not {self.versions!r}"
            )
        for name in ("from_ts", "to_ts"):
            value = getattr(self, name)
            if value is not None and not (value.isdigit() and 1 <= len(value) <= 14):
                raise ValueError(f"{name} must be 1-14 digits, not {value!r}")
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, not {self.max_attempts}")


def capture_group(capture: Capture) -> str | None:
    """The group a capture belongs to.

    * post pages, their print copies and host/scheme/port variants (including the
      301s between them): the canonical post URL;
    * ``/node/N`` and ``/print/node/N``: ``node:N`` (the caller merges the group into
      its post once a fetched page or redirect reveals the alias);
    * listing and feed pages: their canonical URL, the query kept (``?page=2`` is a
      different page);
    * anything else (tags, users, the front page, assets): None.

    >>> capture_group(Capture(timestamp="2015",
    ...     original="https://ise.gov:80/print/blog/Tamara-Wells/niem-30?"))
    'http://www.ise.gov/blog/tamara-wells/niem-30'
    >>> capture_group(Capture(timestamp="2013", original="http://ise.gov/node/1643"))
    'node:1643'
    """
    kind = classify_url(capture.original)
    if kind in ("post", "print"):
        return canonical_post_url(capture.original)
    if kind == "node":
        nid = node_id(capture.original)
        return f"node:{nid}" if nid is not None else None
    if kind in _DISCOVERY_KINDS:
        return _page_url(capture.original)
    return None


def plan_group(
    captures: Sequence[Capture],
    outcomes: Mapping[str, str],
    policy: SelectionPolicy,
) -> list[Decision]:
    """Decisions for the captures of one post that have no outcome yet.

    ``captures`` are all captures of ONE identity (see :func:`capture_group`;
    after an alias is learnt, a post's group plus its ``node:N`` group). ``outcomes``
    maps :func:`state_key` to what was reached: ``"record"``, ``"duplicate"``,
    ``"skip:<reason>"``, ``"failed:<reason>"`` or ``"fetching"``.

    Each capture is first judged alone: not a post URL (``skip:not-a-post:<kind>``),
    outside ``url_prefix`` (``skip:out-of-prefix``) or the date range
    (``skip:out-of-range``), an error status (``skip:error-status:N``), not a page
    (``skip:not-html``), a redirect (``skip:redirect-variant`` when the group has
    pages) or a revisit. These decisions are given at once. The rest are pooled by
    digest into *payloads*; a revisit joins the payload it revisits (same digest),
    or is ``skip:revisit`` if that payload is not in the group. A payload's age is its
    newest capture (a revisit counts), and it is fetched through its newest
    non-revisit capture.

    ``latest`` (default): try payloads one at a time, newest full page first
    (``newest-full-page``), then the next newest (``fallback:older-full-page``), then
    the newest print copy (``fallback:print``), at most ``max_attempts`` in all.
    While one is ``fetching`` nothing that depends on it is decided. A payload that
    ends ``record`` (or ``duplicate``) settles the group: its other captures become
    ``duplicate-of:<key>``, other payloads ``skip:superseded`` (revisits
    ``skip:revisit``). A payload that ends ``failed:*`` or with a page skip moves on
    to the next; its other captures become ``skip:same-digest-as:<key>`` (the same
    bytes would fail the same way). When the attempts run out the rest become
    ``skip:attempts-exhausted``.

    ``all``: every full-page payload is fetched at once (``distinct-version``, the
    newest one ``newest-full-page``); print copies only as a fallback when none of
    them gives a record. Under both policies no two captures with the same digest are
    ever fetched.

    A group with no pages but redirects (``/node/N`` shortlinks, renamed URLs)
    fetches its newest redirect (``redirect:resolve-node`` or ``redirect:resolve``)
    so the caller can learn where it leads; any final outcome but ``failed:*``
    or ``skip:error-status:*`` settles it and the other redirects become
    ``skip:redirect-variant``.

    Outcomes listed in :data:`SELECTION_SKIPS` are read as decided-not-fetched.
    The result is sorted by timestamp then URL; once every ``fetch`` has an
    outcome, repeated calls give every capture exactly one final decision.
    O(n log n).
    """
    ordered = _unique_sorted(captures)
    in_prefix = _group_in_prefix(ordered, policy.url_prefix)
    verdicts = {state_key(c): _verdict(c, policy, in_prefix=in_prefix) for c in ordered}
    pool = PayloadPool.build(ordered, verdicts, lenient=False)
    if pool.units:
        plan = _plan_pages(pool, outcomes, policy)
        return final_decisions(pool, outcomes, plan, "skip:redirect-variant")
    redirects = PayloadPool.build(ordered, verdicts, lenient=True, kinds=("redirect",))
    plan = next_fetch(
        redirects.by_recency(), outcomes, policy.max_attempts, _redirect_reason
    )
    return final_decisions(redirects, outcomes, plan, None)


def plan_discovery_pages(
    captures: Sequence[Capture],
    outcomes: Mapping[str, str],
    *,
    max_attempts: int = 3,
    sampling: str = "newest",
) -> list[Decision]:
    """Decisions for listing and feed captures: the newest good one of each page,
    or of each page in each period of ``sampling``.

    Captures are grouped by :func:`capture_group` (so ``/blog?page=1`` and
    ``/blog?page=2`` are distinct pages, ``http``/``https``/``:80`` spellings are
    not), then cut into periods (:data:`LISTING_SAMPLINGS`). An archived feed only
    lists the posts of its day: a post whose page no archive kept is known from the
    feed captures of its months, not from the newest one. Per period the newest
    status-200 non-revisit payload is fetched (``discovery:newest``); if that fetch
    ends ``failed:*`` the next newest of the period is tried
    (``discovery:fallback``), up to ``max_attempts``. Any other outcome of the fetch
    (a listing page normally ends as ``skip:not-a-post:listing`` carrying the links
    it found) settles the period: same-digest captures become
    ``duplicate-of:<key>``, the rest ``skip:superseded``, redirects
    ``skip:redirect-variant``, errors ``skip:error-status:N``. A payload belongs to
    the period of its newest capture, so no payload is fetched twice. Captures that
    are not listings or feeds are ignored.
    """
    if sampling not in LISTING_SAMPLINGS:
        raise ValueError(
            f"sampling must be one of {LISTING_SAMPLINGS}, not {sampling!r}"
        )
    groups: dict[str, list[Capture]] = {}
    for capture in _unique_sorted(captures):
        if classify_url(capture.original) not in _DISCOVERY_KINDS:
            continue
        identity = capture_group(capture)
        if identity is not None:
            groups.setdefault(identity, []).append(capture)
    decisions: list[Decision] = []
    for page in groups.values():
        verdicts = {state_key(c): _discovery_verdict(c) for c in page}
        for members in _periods(page, verdicts, sampling):
            pool = PayloadPool.build(members, verdicts, lenient=True, kinds=("page",))
            plan = next_fetch(
                pool.by_recency(), outcomes, max_attempts, _discovery_reason
            )
            decisions.extend(
                final_decisions(pool, outcomes, plan, "skip:redirect-variant")
            )
    decisions.sort(key=lambda d: (d.capture.timestamp, d.capture.original))
    return decisions


def _periods(
    page: list[Capture], verdicts: Mapping[str, str], sampling: str
) -> list[list[Capture]]:
    """The captures of one page cut into the periods discovery reads one of.

    A payload (its captures and revisits, by digest) goes whole into the period of
    its newest fetchable capture; any other capture into the period of its own
    timestamp (``all``: into one shared rest, where only static skips happen).
    """
    if sampling == "newest":
        return [page]

    def period(capture: Capture) -> str:
        if sampling == "all":
            return capture.known_digest or state_key(capture)
        return capture.timestamp[: 4 if sampling == "year" else 6]

    of_payload = {
        c.known_digest: period(c)
        for c in page
        if c.known_digest and verdicts[state_key(c)] == "page"
    }
    periods: dict[str, list[Capture]] = {}
    for capture in page:  # in timestamp order, which each period keeps
        digest = capture.known_digest
        name = of_payload.get(digest) if digest else None
        if name is None:
            name = "" if sampling == "all" else period(capture)
        periods.setdefault(name, []).append(capture)
    return list(periods.values())


# -- judging single captures -------------------------------------------------------


def _verdict(capture: Capture, policy: SelectionPolicy, *, in_prefix: bool) -> str:
    """``full``/``print``/``redirect``/``revisit``, or a final ``skip:`` reason."""
    kind = classify_url(capture.original)
    if kind not in _POST_KINDS:
        return f"skip:not-a-post:{kind}"
    if not in_prefix:
        return "skip:out-of-prefix"
    if not _in_range(capture.timestamp, policy.from_ts, policy.to_ts):
        return "skip:out-of-range"
    if capture.is_revisit:
        return "revisit"
    if capture.is_redirect:
        return "redirect"
    if capture.status != "200":
        return f"skip:error-status:{capture.status or 'unknown'}"
    if not _is_page_mimetype(capture.mimetype):
        return "skip:not-html"
    return "print" if _is_print(capture.original) else "full"


def _discovery_verdict(capture: Capture) -> str:
    if capture.is_revisit:
        return "revisit"
    if capture.is_redirect:
        return "redirect"
    if capture.status != "200":
        return f"skip:error-status:{capture.status or 'unknown'}"
    if not _is_page_mimetype(capture.mimetype):
        return "skip:not-html"
    return "page"


def _in_range(timestamp: str, from_ts: str | None, to_ts: str | None) -> bool:
    # Inclusive prefixes, as the CDX server reads from=/to=: to=2013 ends 20131231...
    if from_ts and timestamp[: len(from_ts)] < from_ts:
        return False
    return not (to_ts and timestamp[: len(to_ts)] > to_ts)


def _is_page_mimetype(mimetype: str) -> bool:
    # "unk" and "" are kept: the index does not always know, the page object will.
    lowered = mimetype.lower()
    return not (
        lowered.startswith(_NOT_PAGE_MIMETYPES)
        or any(s in lowered for s in _NOT_PAGE_SUBSTRINGS)
    )


def _is_print(url: str) -> bool:
    return urlsplit(url).path.lower().startswith("/print/")


def admits_url(policy: SelectionPolicy, post_url: str) -> bool:
    """Whether a post URL falls under the policy's ``url_prefix`` (if any).

    Selection cannot judge a ``/node/N`` capture before it is fetched; the crawler
    asks this once the page has told the post's URL.
    """
    if not policy.url_prefix:
        return True
    return post_url.lower().startswith(_prefix_url(policy.url_prefix))


def _group_in_prefix(captures: Sequence[Capture], prefix: str | None) -> bool:
    """Whether the group's post falls under ``prefix``; True when it cannot be told
    yet (a ``node:N`` group must be resolved before its post URL is known)."""
    if not prefix:
        return True
    for capture in captures:
        post_url = canonical_post_url(capture.original)
        if post_url is not None:
            return post_url.lower().startswith(_prefix_url(prefix))
    return True


def _prefix_url(prefix: str) -> str:
    if "://" not in prefix:
        prefix = "http://" + prefix.lstrip("/")
    return canonical_site_url(prefix).lower()


def _page_url(url: str) -> str:
    """Canonical URL of a listing/feed page: Drupal paths are case-insensitive and a
    trailing slash or empty ``?`` names the same page."""
    parts = urlsplit(canonical_site_url(url))
    path = parts.path.lower().rstrip("/") or "/"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def _unique_sorted(captures: Sequence[Capture]) -> list[Capture]:
    unique: dict[str, Capture] = {}
    for capture in captures:
        unique.setdefault(state_key(capture), capture)
    return sorted(unique.values(), key=lambda c: (c.timestamp, c.original))


# -- planning ----------------------------------------------------------------------


def _plan_pages(
    pool: PayloadPool, outcomes: Mapping[str, str], policy: SelectionPolicy
) -> FetchPlan:
    fulls = pool.by_recency("full")
    prints = pool.by_recency("print")
    newest = fulls[0] if fulls else None

    def reason(unit: Payload, _position: int) -> str:
        if unit.kind == "print":
            return "fallback:print"
        return "newest-full-page" if unit is newest else "fallback:older-full-page"

    if policy.versions == "latest":
        k = max(1, policy.max_attempts - 1)
        order = (fulls[:k] + prints[:1] + fulls[k:] + prints[1:])[: policy.max_attempts]
        states = [u.state(outcomes) for u in pool.units.values()]
        if "good" in states:
            return _plan_newer(pool, newest, outcomes)
        plan = next_fetch(order, outcomes, policy.max_attempts, reason, units=pool)
        if "weak" in states and (
            plan.settled or sum(s in ("weak", "bad") for s in states) >= 2
        ):
            # a record lacking fields had its one more look (or there is none)
            return _plan_newer(pool, newest, outcomes)
        return plan
    fetches = []
    for unit in fulls:
        candidate = unit.candidate(outcomes)
        if unit.state(outcomes) == "untried" and candidate is not None:
            why = "newest-full-page" if unit is newest else "distinct-version"
            fetches.append(Decision(capture=candidate, action="fetch", reason=why))
    states = {u.state(outcomes) for u in fulls}
    if fetches or "inflight" in states:
        return FetchPlan(fetches, settled=False)
    if "good" in states:
        return FetchPlan([], settled=True)
    return next_fetch(
        prints[: policy.max_attempts], outcomes, policy.max_attempts, reason
    )


def _plan_newer(
    pool: PayloadPool, newest: Payload | None, outcomes: Mapping[str, str]
) -> FetchPlan:
    """A settled group still fetches a full page newer than its newest good payload.

    This is how an incremental run picks up a capture of a known post made since
    the last run (a new content version); an older payload never reopens a group.
    """
    good = [
        u.recency for u in pool.units.values() if u.state(outcomes) in ("good", "weak")
    ]
    if newest is None or newest.recency <= max(good):
        return FetchPlan([], settled=True)
    state = newest.state(outcomes)
    if state == "inflight":
        return FetchPlan([], settled=False)
    candidate = newest.candidate(outcomes)
    if state == "untried" and candidate is not None:
        decision = Decision(capture=candidate, action="fetch", reason="newer-version")
        return FetchPlan([decision], settled=False)
    return FetchPlan([], settled=True)


def _redirect_reason(unit: Payload, _position: int) -> str:
    kind = classify_url(unit.members[-1].original)
    return "redirect:resolve-node" if kind == "node" else "redirect:resolve"


def _discovery_reason(_unit: Payload, position: int) -> str:
    return "discovery:newest" if position == 0 else "discovery:fallback"
