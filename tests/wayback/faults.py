"""Switchable faults of the local Wayback imitation: what the live archive does to us.

A :class:`Faults` object holds fault rules and per-pool rate limiters; the server asks
it, for every request, what to do (:meth:`Faults.decide`). Requests fall into two
pools like at the Internet Archive: ``cdx`` (the CDX API and timemaps, ~30/min per
IP live) and ``replay`` (``/web/...``, a separate, higher limit).

Spec syntax (CLI ``--faults``, ``GET /__faults__?spec=...``, :func:`parse_fault_spec`)::

    rule[;rule...]          rule = kind[@pool][,key=value...]

    kind   429 | 503 | 504 | 500 | 404 | reset | truncate | slow | refuse | dup-gzip
           | corrupt | nearest | ratelimit | short | trickle | missing200
           | html200 | empty200 | resume-repeat | resume-back | chunked
    pool   cdx | replay | all (default all)
    keys   p=0.3 (probability) | every=N | first=N | times=N (at most N injections;
           default 50 for p/every, so a test always terminates) | retry_after=S
           (429 only: send Retry-After) | delay_ms=MS (slow) | block_ms=MS
           (refuse: how long the port stays closed) | seed=N | url=TEXT (only
           requests whose path contains TEXT, e.g. one capture's ``<ts>id_``)
           | query=TEXT (only requests whose query string contains TEXT)
           | retry_date=S (429 only: ``Retry-After`` as an HTTP-date S seconds
           ahead) | chunks=N (trickle: the body in N pieces, delay_ms apart)
    ratelimit keys: rpm=N (tokens per minute), burst=N (bucket size, default rpm),
           retry_after=S, block_after=S (throttled this long without relief: the
           port closes for block_ms, like the archive's firewall)

    e.g. ``429@cdx,every=3,times=4;slow@replay,delay_ms=200,p=0.5;ratelimit@cdx,rpm=20``

``corrupt`` serves the answer with its status, headers and length unchanged but some
of its bytes changed (letters of the middle of the payload change case, before any
transfer gzip), as a faulty replay or transfer would: only a digest check sees it.
``nearest`` answers a replay of a listed capture with a 302 to the nearest *other*
capture of the URL (the live archive does so when a capture its CDX lists cannot
be played as listed).

Faults the live archives inflict that the kinds above lack (added by the blind
fault round): ``short`` sends the first half of the body with a ``Content-Length``
that says so (a cut the transfer cannot see: a proxy or the archive's storage cut
it); ``trickle`` sends the body in ``chunks`` pieces ``delay_ms`` apart (a slow
link that never quite stops); ``missing200`` answers 200 with the archive's "not
archived" page and no ``Memento-Datetime`` (the live replay does so when a backend
loses a WARC); ``html200`` answers 200 ``text/html`` with a maintenance page (a
proxy in front of the CDX server); ``empty200`` answers 200 with an empty body;
``resume-repeat`` answers a CDX page with the resume key the request sent (the
same page for ever), ``resume-back`` with a key before the page's first row (the
page comes again: the key went backwards). ``chunked`` sends the body with
``Transfer-Encoding: chunked`` and no ``Content-Length`` (as servers send a body
whose size they do not announce: only reading it tells how large it is).

Every random choice comes from a ``random.Random`` seeded per rule, and the clock of
the rate limiters is injectable, so a fault run is reproducible.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

POOLS = frozenset({"cdx", "replay", "all"})
STATUS_KINDS = frozenset({"404", "429", "500", "503", "504"})
KINDS = STATUS_KINDS | {
    "reset",
    "truncate",
    "slow",
    "refuse",
    "dup-gzip",
    "corrupt",
    "nearest",
    "short",
    "trickle",
    "missing200",
    "html200",
    "empty200",
    "resume-repeat",
    "resume-back",
    "chunked",
}
DEFAULT_TIMES = 50


class FaultSpecError(ValueError):
    """A fault spec that does not parse."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultRule:
    """Inject ``kind`` into ``pool`` requests: by probability, every Nth or first N."""

    kind: str
    pool: str = "all"
    probability: float | None = None
    every: int | None = None
    first: int | None = None
    times: int | None = None
    retry_after: int | None = None
    delay_ms: int = 0
    block_ms: int = 1000
    seed: int = 0
    url: str = ""
    query: str = ""
    retry_date: int | None = None
    chunks: int = 8

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise FaultSpecError(f"unknown fault kind {self.kind!r}")
        if self.pool not in POOLS:
            raise FaultSpecError(f"unknown pool {self.pool!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimit:
    """A token bucket of ``rpm`` requests per minute for one pool."""

    pool: str
    rpm: float
    burst: float | None = None
    retry_after: int | None = None
    block_after: float | None = None
    block_ms: int = 1000

    def __post_init__(self) -> None:
        if self.pool not in POOLS or self.rpm <= 0:
            raise FaultSpecError(f"bad rate limit {self!r}")


@dataclass(frozen=True, slots=True)
class Decision:
    """What the server does with one request; ``kind`` None means serve it normally."""

    kind: str | None = None
    retry_after: int | None = None
    delay_ms: int = 0
    block_ms: int = 0
    dup_gzip: bool = False
    retry_date: int | None = None
    chunks: int = 8
    gap_ms: int = 0


@dataclass
class _RuleState:
    rule: FaultRule
    rng: random.Random
    seen: int = 0
    fired: int = 0

    def fires(self) -> bool:
        self.seen += 1
        rule = self.rule
        limit = rule.times
        if limit is None and rule.first is None:
            limit = DEFAULT_TIMES
        if limit is not None and self.fired >= limit:
            return False
        if rule.first is not None:
            hit = self.seen <= rule.first
        elif rule.every is not None:
            hit = self.seen % rule.every == 0
        else:
            hit = self.rng.random() < (rule.probability or 0.0)
        self.fired += hit
        return hit


@dataclass
class _Bucket:
    limit: RateLimit
    tokens: float
    updated: float
    throttled_since: float | None = None

    def take(self, now: float) -> bool:
        capacity = self.limit.burst or self.limit.rpm
        self.tokens = min(
            capacity, self.tokens + (now - self.updated) * self.limit.rpm / 60
        )
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            self.throttled_since = None
            return True
        if self.throttled_since is None:
            self.throttled_since = now
        return False


@dataclass
class Faults:
    """The fault rules and rate limiters in force; thread-safe, changeable live."""

    clock: Callable[[], float] = time.monotonic
    _rules: list[_RuleState] = field(default_factory=list)
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules.append(_RuleState(rule, random.Random(rule.seed)))

    def limit(self, limit: RateLimit) -> None:
        """Install (or replace) the rate limiter of ``limit.pool``."""
        with self._lock:
            tokens = limit.burst or limit.rpm
            self._buckets[limit.pool] = _Bucket(limit, tokens, self.clock())

    def configure(self, spec: str) -> None:
        """Add every rule and rate limit of a spec string (see the module doc)."""
        for item in parse_fault_spec(spec):
            if isinstance(item, RateLimit):
                self.limit(item)
            else:
                self.add(item)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._buckets.clear()

    def injected(self) -> dict[str, int]:
        """How many times each rule fired, keyed ``kind@pool#index``."""
        with self._lock:
            return {
                f"{s.rule.kind}@{s.rule.pool}#{i}": s.fired
                for i, s in enumerate(self._rules)
            }

    def decide(self, pool: str, path: str = "", query: str = "") -> Decision:
        """The fate of the next request of ``pool`` (for ``path``, ``query``);
        consumes rate-limit tokens."""
        with self._lock:
            delay = 0
            dup_gzip = False
            for state in self._rules:
                if state.rule.pool not in (pool, "all"):
                    continue
                if state.rule.url not in path or state.rule.query not in query:
                    continue
                if not state.fires():
                    continue
                rule = state.rule
                if rule.kind == "slow":
                    delay += rule.delay_ms
                elif rule.kind == "dup-gzip":
                    dup_gzip = True
                else:
                    return Decision(
                        rule.kind,
                        rule.retry_after,
                        delay,
                        rule.block_ms,
                        dup_gzip,
                        retry_date=rule.retry_date,
                        chunks=rule.chunks,
                        gap_ms=rule.delay_ms if rule.kind == "trickle" else 0,
                    )
            throttled = self._throttle(pool)
            if throttled is not None:
                return throttled
            return Decision(None, None, delay, 0, dup_gzip)

    def _throttle(self, pool: str) -> Decision | None:
        bucket = self._buckets.get(pool) or self._buckets.get("all")
        if bucket is None:
            return None
        now = self.clock()
        if bucket.take(now):
            return None
        limit = bucket.limit
        since = bucket.throttled_since
        blocked = limit.block_after is not None and since is not None
        if blocked and now - since >= limit.block_after:
            bucket.throttled_since = None
            return Decision("refuse", block_ms=limit.block_ms)
        return Decision("429", retry_after=limit.retry_after)


def parse_fault_spec(spec: str) -> list[FaultRule | RateLimit]:
    """Parse ``kind[@pool][,key=value...][;...]`` into rules and rate limits.

    >>> parse_fault_spec("503@replay,first=2")
    [FaultRule(kind='503', pool='replay', probability=None, every=None, first=2, \
times=None, retry_after=None, delay_ms=0, block_ms=1000, seed=0, url='')]
    """
    items: list[FaultRule | RateLimit] = []
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        head, *pairs = [p.strip() for p in part.split(",")]
        kind, _, pool = head.partition("@")
        options: dict[str, str] = {}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep:
                raise FaultSpecError(f"expected key=value in {part!r}, got {pair!r}")
            options[key] = value
        try:
            items.append(_build(kind, pool or "all", options))
        except (TypeError, ValueError) as exc:
            raise FaultSpecError(f"bad fault rule {part!r}: {exc}") from exc
    return items


def _build(kind: str, pool: str, options: dict[str, str]) -> FaultRule | RateLimit:
    def number(name: str, convert: Callable[[str], float] = int) -> float | None:
        value = options.pop(name, None)
        return None if value is None else convert(value)

    if kind == "ratelimit":
        limit = RateLimit(
            pool=pool,
            rpm=number("rpm", float) or 0.0,
            burst=number("burst", float),
            retry_after=number("retry_after"),
            block_after=number("block_after", float),
            block_ms=number("block_ms") or 1000,
        )
        built: FaultRule | RateLimit = limit
    else:
        built = FaultRule(
            kind=kind,
            pool=pool,
            probability=number("p", float),
            every=number("every"),
            first=number("first"),
            times=number("times"),
            retry_after=number("retry_after"),
            delay_ms=number("delay_ms") or 0,
            block_ms=number("block_ms") or 1000,
            seed=number("seed") or 0,
            url=options.pop("url", ""),
            query=options.pop("query", ""),
            retry_date=number("retry_date"),
            chunks=number("chunks") or 8,
        )
    if options:
        raise FaultSpecError(f"unknown keys {sorted(options)}")
    return built


def corrupted(body: bytes) -> bytes:
    """``body`` with the case of the letters in its middle 64 bytes swapped: same
    length, different bytes (the ``corrupt`` fault).

    >>> corrupted(b"<p>" + b"x" * 10 + b"</p>")
    b'<P>XXXXXXXXXX</P>'
    """
    start = max(0, len(body) // 2 - 32)
    window = body[start : start + 64]
    return body[:start] + window.swapcase() + body[start + 64 :]
