"""Request rates that slow down on 429s and climb back afterwards.

Each request pool (``cdx``, ``replay``, and ``cdx@<name>``/``replay@<name>`` for
other archives) has a configured delay between requests. The archive's answers move
it:

* a **429** divides the pool's rate by ``backoff`` (its delay grows, up to one
  request a minute, ``slowest``) and pauses the pool (``Retry-After``, else the
  configured pause; a ``Retry-After`` over ``ISE_ARCHIVE_RETRY_AFTER_MAX`` is no
  pause but "come back later", :func:`come_back_reason`: the crawl stops, or sets
  another archive aside, spiders/outages.py); once per limit met: 429s to
  requests already in flight when the pool slowed down do not slow it again
  (:meth:`PoolRate.on_429`);
* a **5xx or transport error** pauses the pool ``error_base * 2**(n-1)`` seconds
  (``n`` = the pool's errors in a row, at most ``error_max``) without slowing it:
  one unlucky answer costs one short pause, an outage a growing one;
* every **success** raises the rate by ``recovery`` of itself (20 %: a halved pool
  is back at its configured rate after 4 answers) and ends the error streak; never
  faster than configured.

A **pause** is the time the pool stays silent: its next request goes when the pause
ends or one delay after its last request, whichever is later
(:func:`last_request_holding`), not after the pause *and* a delay.

Before this, each 429 halved the rate for good: four 429s left the CDX pool at a
sixteenth of its rate for the rest of a run of hours (issue 10). The increase is a
share of the current rate, not of the configured one, so a pool configured far above
what the server allows settles at the server's rate instead of bursting back to the
configured one on every answer. Pauses are durations the caller applies from its own
clock, so nothing here reads the time and no pause compounds.

Where a 429 cost its time (``benchmarks/crawl.py --faults``: replay at 1.5/s, 429 on
5 % and 503 on 2 % of requests, the 429 pause shortened to 1 s): the pause stacked
with the doubled delay (2.3 s of silence instead of 1.3 s), each step of the
recovery came one request late (Scrapy plans a slot's next request when it sends
one: ``spiders/slots.py`` now plans it again when the delay shortens), and 429s
that came close together halved an already halved rate while recovery took 4
answers. With the first two fixed, the replay rate over an N = 400 run went from
74 % of the configured one to 83 % (89 % with ``recovery`` 0.3, which was not kept:
a pool configured far above a server's limit then met more 429s on its way down);
docs/benchmarks.md has the N = 2,000 figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class PacingPolicy:
    """How answers move a pool's rate (the ``ISE_ARCHIVE_*`` politeness settings)."""

    pause_429: float = 60.0
    backoff: float = 2.0
    recovery: float = 0.2
    error_base: float = 2.0
    error_max: float = 120.0
    slowest: float = 60.0

    def __post_init__(self) -> None:
        for name in ("pause_429", "error_base", "error_max", "slowest"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0, not {getattr(self, name)!r}")
        if not self.backoff >= 1:
            raise ValueError(f"backoff must be >= 1, not {self.backoff!r}")
        if not 0 < self.recovery <= 1:
            raise ValueError(f"recovery must be in (0, 1], not {self.recovery!r}")


@dataclass(frozen=True, slots=True)
class PoolRate:
    """One pool's pace: its configured delay, its current one, its error streak.

    >>> rate = PoolRate.configured_at(3.0).on_429(PacingPolicy())
    >>> rate.delay, rate.share
    (6.0, 0.5)
    >>> for _ in range(8):
    ...     rate = rate.on_success(PacingPolicy())
    >>> rate.delay, rate.share
    (3.0, 1.0)
    """

    configured: float
    delay: float
    errors: int = 0
    #: When the last 429 slowed the pool (the caller's clock), None before any.
    slowed_at: float | None = None

    @classmethod
    def configured_at(cls, delay: float) -> PoolRate:
        if not delay >= 0:
            raise ValueError(f"a pool's delay must be >= 0, not {delay!r}")
        return cls(configured=delay, delay=delay)

    @property
    def share(self) -> float:
        """The current rate as a share of the configured one (1.0 = full speed)."""
        return self.configured / self.delay if self.delay > 0 else 1.0

    @property
    def per_minute(self) -> float | None:
        """Requests per minute the pool is allowed now; None when it has no delay."""
        return 60.0 / self.delay if self.delay > 0 else None

    def described(self) -> str:
        """The pace in words, for the log and the progress view.

        >>> PoolRate(configured=1.0, delay=2.0).described()
        '30.0/min (50% of its rate)'
        """
        if self.per_minute is None:
            return "no delay"
        return f"{self.per_minute:.1f}/min ({self.share:.0%} of its rate)"

    def on_429(
        self,
        policy: PacingPolicy,
        *,
        sent_at: float | None = None,
        now: float | None = None,
    ) -> PoolRate:
        """Multiplicative decrease: the delay grows ``backoff`` times, capped.

        Capped at one request per ``policy.slowest`` seconds (or the configured
        delay, if slower), so a pool always asks again soon enough to see a limit
        end. Once per limit met: a 429 to a request ``sent_at`` before the last
        decrease answers a pace already judged too fast (requests in flight when
        the first 429 came, with more than one connection per pool), so it does
        not slow the pool again; a 429 to a request sent since does, so a
        sustained storm still halves the rate answer after answer.

        >>> rate = PoolRate.configured_at(1.0).on_429(PacingPolicy(), now=10.0)
        >>> rate.on_429(PacingPolicy(), sent_at=9.5, now=10.1).delay  # in flight
        2.0
        >>> rate.on_429(PacingPolicy(), sent_at=12.0, now=12.1).delay  # sent since
        4.0
        """
        last = self.slowed_at
        if sent_at is not None and last is not None and sent_at < last:
            return self
        slowest = max(policy.slowest, self.configured)
        return replace(
            self, delay=min(slowest, self.delay * policy.backoff), slowed_at=now
        )

    def on_error(self) -> PoolRate:
        """One more 5xx or transport error in a row (see :meth:`error_pause`)."""
        return replace(self, errors=self.errors + 1)

    def error_pause(self, policy: PacingPolicy) -> float:
        """The pause after the current error streak: doubling from ``error_base``.

        >>> policy = PacingPolicy(error_base=2.0, error_max=7.0)
        >>> rate = PoolRate.configured_at(1.0)
        >>> pauses = []
        >>> for _ in range(4):
        ...     rate = rate.on_error()
        ...     pauses.append(rate.error_pause(policy))
        >>> pauses
        [2.0, 4.0, 7.0, 7.0]
        """
        if self.errors == 0:
            return 0.0
        # min() before the power: a streak of thousands must not overflow a float
        return min(policy.error_max, policy.error_base * 2 ** min(self.errors - 1, 64))

    def on_success(self, policy: PacingPolicy) -> PoolRate:
        """The rate grows by ``recovery`` of itself, up to the configured rate."""
        return replace(
            self,
            delay=max(self.configured, self.delay / (1 + policy.recovery)),
            errors=0,
        )


def last_request_holding(
    lastseen: float, *, paused_until: float, delay: float, now: float
) -> float:
    """The time a download slot must hold as its last request so that its next one
    waits for both its ``delay`` and the pool's pause.

    A slot sends its next request ``delay`` after its last one (``lastseen``), so
    holding ``paused_until - delay`` makes the next request go when the pause
    ends, or one delay after the last request if that is later: a pause is the
    time the pool stays silent, not that time plus a delay. Before this, a 429 held
    the pool its pause *and then* its doubled delay (60 s + 1.3 s at the defaults;
    with the pause shortened to 1 s, 2.3 s instead of 1.3 s: the largest single
    cost of a 429 in ``benchmarks/crawl.py --faults``). A ``lastseen`` later than
    ``now`` is an earlier hold, not a request, and counts as ``now``: applied
    again whenever the delay changes, a pause keeps its end.

    >>> last_request_holding(100.0, paused_until=160.0, delay=1.5, now=100.2)
    158.5
    >>> last_request_holding(100.0, paused_until=100.5, delay=1.5, now=100.2)
    100.0
    >>> last_request_holding(158.5, paused_until=160.0, delay=3.0, now=100.3)
    157.0
    """
    return max(min(lastseen, now), paused_until - delay)


def politeness_floor_s(
    requests: Mapping[str, int], delays: Mapping[str, float]
) -> float:
    """The least time ``requests`` (per pool) take at the pools' configured delays.

    Summed over the pools, not the longest: discovery (CDX) and fetching (replay)
    are phases that follow each other.

    >>> politeness_floor_s({"cdx": 24, "replay": 150}, {"cdx": 3.0, "replay": 2 / 3})
    172.0
    """
    return sum(n * delays.get(pool, 0.0) for pool, n in requests.items())


def retry_after_seconds(raw: bytes | None, *, now: datetime) -> float | None:
    """A ``Retry-After`` header's wait in seconds, given in seconds or as an
    HTTP-date (RFC 9110 allows both; the Internet Archive sends none); None when
    absent or unreadable (the configured pause applies).

    >>> now = datetime(2015, 10, 21, 7, 0, tzinfo=UTC)
    >>> retry_after_seconds(b"7", now=now)
    7.0
    >>> retry_after_seconds(b"Wed, 21 Oct 2015 07:28:00 GMT", now=now)
    1680.0
    >>> retry_after_seconds(b"soon", now=now) is None
    True
    """
    if not raw:
        return None
    try:
        text = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": UTC, as HTTP-dates always are
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def come_back_reason(seconds: float, *, now: datetime, limit: float) -> str:
    """Why a run stops on a ``Retry-After`` longer than ``limit``: when to come back.

    A wait beyond a few minutes is the archive saying "come back later" (the
    Internet Archive's firewall lasts about an hour): a run that held its pool that
    long would look hung, and one that asked again sooner would ignore the archive.

    >>> come_back_reason(3600, now=datetime(2026, 12, 3, 21, 30, tzinfo=UTC),
    ...                  limit=300)  # doctest: +NORMALIZE_WHITESPACE
    'it asks for no request before 2026-12-03 22:30 UTC (Retry-After: 3600 s, more
    than ISE_ARCHIVE_RETRY_AFTER_MAX, 300 s)'
    """
    until = (now + timedelta(seconds=seconds)).astimezone(UTC)
    return (
        f"it asks for no request before {until:%Y-%m-%d %H:%M} UTC (Retry-After: "
        f"{seconds:.0f} s, more than ISE_ARCHIVE_RETRY_AFTER_MAX, {limit:.0f} s)"
    )


@dataclass
class Pacer:
    """Every pool's pace in one crawl, moved by the answers the pool gets.

    Returns what to do, a pool's new pace and how long to pause it; the caller (the
    Scrapy middleware) applies both to the pool's download slot.

    >>> pacer = Pacer(PacingPolicy(pause_429=60.0))
    >>> pacer.add("cdx", 3.0)
    >>> pacer.throttled("cdx", retry_after=None, now=100.0)
    (PoolRate(configured=3.0, delay=6.0, errors=0, slowed_at=100.0), 60.0)
    >>> pacer.failed("cdx")[1]
    2.0
    >>> pacer.answered("cdx").delay
    5.0
    """

    policy: PacingPolicy
    rates: dict[str, PoolRate] = field(default_factory=dict)

    def add(self, pool: str, delay: float) -> None:
        """Start pacing ``pool`` at its configured ``delay`` (once; later calls keep
        its current pace)."""
        if pool not in self.rates:
            self.rates[pool] = PoolRate.configured_at(delay)

    def throttled(
        self,
        pool: str,
        retry_after: float | None,
        *,
        sent_at: float | None = None,
        now: float | None = None,
    ) -> tuple[PoolRate, float]:
        """A 429: the pool slows down (see :meth:`PoolRate.on_429`) and pauses
        ``Retry-After`` or the default."""
        rate = self.rates[pool].on_429(self.policy, sent_at=sent_at, now=now)
        self.rates[pool] = rate
        return rate, retry_after if retry_after is not None else self.policy.pause_429

    def failed(self, pool: str) -> tuple[PoolRate, float]:
        """A 5xx or transport error: the pool pauses by its errors in a row."""
        rate = self.rates[pool] = self.rates[pool].on_error()
        return rate, rate.error_pause(self.policy)

    def answered(self, pool: str) -> PoolRate:
        """Any other answer: the pool's rate climbs back a step."""
        rate = self.rates[pool] = self.rates[pool].on_success(self.policy)
        return rate
