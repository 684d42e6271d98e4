"""Payloads: the captures of one group pooled by digest, tried one at a time.

:mod:`ise_archive.plan.selection` judges each capture alone and picks the order to try
things in; this module holds the machinery beneath it. A *payload* is the set of
captures in a group that share a digest (the same archived bytes under any URL
form, plus the revisits pointing at them). From the outcomes reached so far a
payload is ``untried``, ``inflight``, ``good`` or ``bad``; :func:`next_fetch` walks
payloads in order and names the next capture to fetch, and
:func:`final_decisions` gives every other capture its final word once nothing it
depends on is in flight. Like selection, it does no I/O and keeps no state between
calls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ise_archive.records import Capture
from ise_archive.store.merge import state_key

logger = logging.getLogger(__name__)

Action = Literal["fetch", "duplicate", "skip"]

#: Outcomes that selection itself hands out without fetching. A capture holding one
#: of these was *decided*, not tried; every other ``skip:``/``failed:`` outcome of a
#: fetched capture means the fetch did not give a post (``skip:not-a-post:soft-404``,
#: ``failed:truncated``) and the next candidate is tried.
SELECTION_SKIPS: tuple[str, ...] = (
    "skip:superseded",
    "skip:revisit",
    "skip:attempts-exhausted",
    "skip:same-digest-as:",
    "skip:redirect-variant",
)


#: What selection is told (never stored) about a record that lacks a title, date
#: or author: the post gets one more capture to fill them from before it settles.
WEAK_RECORD = "record:weak"


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """What to do with one capture, and why (a short machine-readable slug)."""

    capture: Capture
    action: Action
    reason: str


@dataclass(frozen=True, slots=True)
class FetchPlan:
    """The fetches to start now, and whether the group needs no further fetch."""

    fetches: list[Decision]
    settled: bool


@dataclass(slots=True)
class Payload:
    """One payload: the captures of a group that share a digest (revisits included).

    ``lenient`` payloads (redirects, listings) are settled by any final outcome but
    a failure; page payloads only by ``record``/``duplicate``.
    """

    kind: str
    lenient: bool
    members: list[Capture] = field(default_factory=list)
    #: Non-revisit members in fetch preference: the payload's kind first, then newest.
    fetchable: list[Capture] = field(default_factory=list)

    @property
    def recency(self) -> tuple[str, str]:
        newest = self.members[-1]
        return newest.timestamp, newest.original

    def candidate(self, outcomes: Mapping[str, str]) -> Capture | None:
        """The capture to fetch: the newest undecided non-revisit member (a full page
        before a print copy of the same bytes)."""
        for capture in self.fetchable:
            if state_key(capture) not in outcomes:
                return capture
        return None

    def state(self, outcomes: Mapping[str, str]) -> str:
        """``good``, ``weak`` (a record lacking fields), ``inflight``, ``bad`` or
        ``untried``."""
        seen = {outcomes.get(state_key(c)) for c in self.members}
        seen.discard(None)
        decided = {o for o in seen if o and not o.startswith(SELECTION_SKIPS)}
        if decided & {"record", "duplicate"}:
            return "good"
        if WEAK_RECORD in decided:
            return "weak"
        if "fetching" in decided:
            return "inflight"
        # A replay that came back with an error status is a failed fetch, even for
        # the lenient payloads a page skip settles.
        if any(o.startswith(("failed:", "skip:error-status:")) for o in decided):
            return "bad"
        if decided:  # skip:<page reason> after a fetch
            return "good" if self.lenient else "bad"
        return "untried"

    def witness(self, outcomes: Mapping[str, str], state: str) -> Capture:
        """The member whose fetch gave the payload its state (newest first, a record
        preferred), for ``duplicate-of:``/``skip:same-digest-as:`` reasons."""
        ranked = sorted(
            (c for c in self.members if state_key(c) in outcomes),
            key=lambda c: (
                outcomes[state_key(c)] in ("record", WEAK_RECORD),
                c.timestamp,
            ),
        )
        for capture in reversed(ranked):
            outcome = outcomes[state_key(capture)]
            if not outcome.startswith(SELECTION_SKIPS) and outcome != "fetching":
                return capture
        logger.error("Unit in state %(state)s has no fetched member", {"state": state})
        return self.members[-1]


@dataclass(slots=True)
class PayloadPool:
    """The payloads of a group, with the verdicts of its captures.

    ``ordered`` is every capture of the group (by timestamp, then URL) and
    ``verdicts`` what each was judged alone (``full``, ``print``, ``redirect``,
    ``revisit``, ``page`` or a final ``skip:`` reason).
    """

    ordered: Sequence[Capture]
    verdicts: Mapping[str, str]
    units: dict[str, Payload]
    unit_of: dict[str, Payload]

    @classmethod
    def build(
        cls,
        ordered: Sequence[Capture],
        verdicts: Mapping[str, str],
        *,
        lenient: bool,
        kinds: tuple[str, ...] = ("full", "print"),
    ) -> PayloadPool:
        """Pool the captures whose verdict is one of ``kinds`` by digest; a revisit
        joins the payload of its digest, if the group has one."""
        units: dict[str, Payload] = {}
        unit_of: dict[str, Payload] = {}
        revisits = []
        for capture in ordered:
            key = state_key(capture)
            verdict = verdicts.get(key, "")
            if verdict == "revisit":
                revisits.append(capture)
            elif verdict in kinds:
                # One payload is one unit, whatever URL form or kind carried it.
                unit = units.setdefault(
                    capture.known_digest or key, Payload(kind=verdict, lenient=lenient)
                )
                if kinds.index(verdict) < kinds.index(unit.kind):
                    unit.kind = verdict
                unit.members.append(capture)
                unit_of[key] = unit
        for capture in revisits:
            unit = units.get(capture.known_digest) if capture.known_digest else None
            if unit is not None:
                unit.members.append(capture)
                unit_of[state_key(capture)] = unit
        for unit in units.values():
            unit.members.sort(key=lambda c: (c.timestamp, c.original))
            # a payload several archives hold is fetched from the main one
            # (``Capture.archive`` empty) when it has a copy, else the newest
            unit.fetchable = sorted(
                (c for c in unit.members if not c.is_revisit),
                key=lambda c: (
                    verdicts[state_key(c)] == unit.kind,
                    not c.archive,
                    c.timestamp,
                    c.original,
                ),
                reverse=True,
            )
        return cls(ordered=ordered, verdicts=verdicts, units=units, unit_of=unit_of)

    def by_recency(self, kind: str | None = None) -> list[Payload]:
        chosen = [u for u in self.units.values() if kind is None or u.kind == kind]
        return sorted(chosen, key=lambda u: u.recency, reverse=True)


def next_fetch(
    order: Sequence[Payload],
    outcomes: Mapping[str, str],
    max_attempts: int,
    reason: Callable[[Payload, int], str],
    *,
    units: PayloadPool | None = None,
) -> FetchPlan:
    """Try ``order`` one payload at a time: the next fetch, or whether it is settled.

    ``units`` (default: ``order`` itself) are the payloads whose state counts: a
    good one settles the group, one in flight holds everything back.
    """
    everything = list(units.units.values()) if units else list(order)
    states = [u.state(outcomes) for u in everything]
    if "good" in states:
        return FetchPlan([], settled=True)
    if "inflight" in states:
        return FetchPlan([], settled=False)
    for position, unit in enumerate(order[:max_attempts]):
        if unit.state(outcomes) != "untried":
            continue
        candidate = unit.candidate(outcomes)
        if candidate is not None:
            why = reason(unit, position)
            decision = Decision(capture=candidate, action="fetch", reason=why)
            return FetchPlan([decision], settled=False)
    return FetchPlan([], settled=True)


@dataclass(frozen=True, slots=True)
class _GroupView:
    """What a capture's final decision depends on beyond its own payload."""

    settled: bool
    group_good: bool
    static_redirect: str | None


def final_decisions(
    pool: PayloadPool,
    outcomes: Mapping[str, str],
    plan: FetchPlan,
    static_redirect: str | None,
) -> list[Decision]:
    """``plan``'s fetches plus every decision that no longer depends on a pending
    fetch, sorted by timestamp then URL.

    ``static_redirect`` is the reason given at once to redirects outside any
    payload (``skip:redirect-variant`` in a group that has pages), or None.
    """
    decisions = list(plan.fetches)
    fetching = {state_key(d.capture) for d in plan.fetches}
    # Each payload's state and witness once: O(n) per call, however big it is.
    # A weak record's payload is good once the group is settled; until then its
    # other captures wait (a "duplicate" outcome would make the payload good).
    weak_as = "good" if plan.settled else "inflight"
    states = {
        id(u): weak_as if (state := u.state(outcomes)) == "weak" else state
        for u in pool.units.values()
    }
    witnesses = {
        id(u): state_key(u.witness(outcomes, states[id(u)]))
        for u in pool.units.values()
        if states[id(u)] in ("good", "bad")
    }
    view = _GroupView(plan.settled, "good" in states.values(), static_redirect)
    for capture in pool.ordered:
        key = state_key(capture)
        if key in outcomes or key in fetching:
            continue
        unit = pool.unit_of.get(key)
        reason = _final_reason(
            capture,
            pool.verdicts[key],
            unit,
            (states[id(unit)], witnesses.get(id(unit), "")) if unit else ("", ""),
            view,
        )
        if reason is None:
            continue
        action: Action = "duplicate" if reason.startswith("duplicate-of:") else "skip"
        decisions.append(Decision(capture=capture, action=action, reason=reason))
    decisions.sort(key=lambda d: (d.capture.timestamp, d.capture.original))
    return decisions


def _final_reason(
    capture: Capture,
    verdict: str,
    unit: Payload | None,
    unit_state: tuple[str, str],
    view: _GroupView,
) -> str | None:
    """The final decision for one undecided capture, or None while it must wait.
    ``unit_state`` is its payload's (state, witness key)."""
    if verdict.startswith("skip:"):
        return verdict
    if unit is None:
        if verdict == "redirect" and view.static_redirect:
            return view.static_redirect
        if verdict == "revisit":
            return "skip:revisit"
        return "skip:superseded" if view.settled else None
    state, witness = unit_state
    if state == "good":
        if unit.kind == "redirect":
            return "skip:redirect-variant"
        return f"duplicate-of:{witness}"
    if state == "bad":
        return f"skip:same-digest-as:{witness}"
    if state == "inflight" or not view.settled:
        return None
    if capture.is_revisit:
        return "skip:revisit"
    if not view.group_good:
        return "skip:attempts-exhausted"
    return "skip:redirect-variant" if unit.kind == "redirect" else "skip:superseded"
