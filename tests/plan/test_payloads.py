"""Tests for ise_archive.plan.payloads: pooling captures by digest, walking payloads."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ise_archive.plan.payloads import (
    Decision,
    FetchPlan,
    Payload,
    PayloadPool,
    final_decisions,
    next_fetch,
)
from ise_archive.records import Capture

POST = "http://www.ise.gov/blog/ise-bloggers/welcome-ise-blog"
PRINT = "http://www.ise.gov/print/blog/ise-bloggers/welcome-ise-blog"


def cap(ts: str, original: str = POST, digest: str = "", **kw: str) -> Capture:
    return Capture(
        timestamp=ts,
        original=original,
        digest=digest,
        status=kw.get("status", "200"),
        mimetype=kw.get("mimetype", "text/html"),
    )


def key(capture: Capture) -> str:
    return f"{capture.timestamp} {capture.original}"


A1 = cap("20110101000000", digest="A")
A2 = cap("20120101000000", PRINT, digest="A")
B1 = cap("20130101000000", digest="B")
REVISIT_A = cap("20140101000000", digest="A", mimetype="warc/revisit", status="-")
CAPTURES = [A1, A2, B1, REVISIT_A]
VERDICTS = {
    key(A1): "full",
    key(A2): "print",
    key(B1): "full",
    key(REVISIT_A): "revisit",
}


def pool() -> PayloadPool:
    return PayloadPool.build(CAPTURES, VERDICTS, lenient=False)


def test_captures_pool_by_digest_with_their_revisits():
    built = pool()
    assert {d: (u.kind, u.members, u.fetchable) for d, u in built.units.items()} == {
        "A": ("full", [A1, A2, REVISIT_A], [A1, A2]),
        "B": ("full", [B1], [B1]),
    }
    # the revisit makes A the newest payload
    assert [u.members[0] for u in built.by_recency()] == [A1, B1]


def test_captures_without_a_digest_are_each_their_own_payload():
    """A ``-`` (or empty) digest says nothing of the payload: such rows are not
    one payload, and no revisit joins them."""
    dashed = [cap(f"201{i}0101000000", digest=d) for i, d in enumerate("--", 1)]
    revisit = cap("20140101000000", digest="-", mimetype="warc/revisit", status="-")
    captures = [*dashed, cap("20130101000000"), revisit]
    verdicts = {key(c): "full" for c in captures} | {key(revisit): "revisit"}
    built = PayloadPool.build(captures, verdicts, lenient=False)
    assert sorted(u.members[0].timestamp for u in built.units.values()) == [
        "20110101000000",
        "20120101000000",
        "20130101000000",
    ]
    assert all(len(u.members) == 1 for u in built.units.values())
    assert key(revisit) not in built.unit_of


@given(st.lists(st.sampled_from(["-", "", " ", "A", "B", "sha1:C"]), max_size=12))
def test_two_captures_share_a_payload_only_by_a_known_digest(digests):
    captures = [cap(f"2011{i:010d}", digest=d) for i, d in enumerate(digests)]
    built = PayloadPool.build(
        captures, {key(c): "full" for c in captures}, lenient=False
    )
    for a in captures:
        for b in captures:
            shared = built.unit_of[key(a)] is built.unit_of[key(b)]
            same = a is b or (
                a.digest.strip() not in ("", "-") and a.digest == b.digest
            )
            assert shared == same, (a, b)


@pytest.mark.parametrize(
    ("outcomes", "state"),
    [
        ({}, "untried"),
        ({key(A1): "fetching"}, "inflight"),
        ({key(A1): "record"}, "good"),
        ({key(A2): "duplicate"}, "good"),
        ({key(A1): "failed:http-503"}, "bad"),
        ({key(A1): "skip:not-a-post:soft-404"}, "bad"),
        ({key(A1): "skip:superseded"}, "untried"),
    ],
)
def test_payload_state_follows_the_outcomes_of_its_members(outcomes, state):
    assert pool().units["A"].state(outcomes) == state


def test_lenient_payload_is_settled_by_a_page_skip():
    payload = Payload(kind="page", lenient=True, members=[A1], fetchable=[A1])
    assert payload.state({key(A1): "skip:not-a-post:listing"}) == "good"
    assert payload.state({key(A1): "skip:error-status:404"}) == "bad"


def test_next_fetch_walks_payloads_in_order_and_stops_at_a_good_one():
    order = pool().by_recency()

    def why(_unit: Payload, position: int) -> str:
        return f"try-{position}"

    first = next_fetch(order, {}, 3, why)
    after_failure = next_fetch(
        order, {key(A1): "failed:x", key(A2): "failed:x"}, 3, why
    )
    done = next_fetch(order, {key(B1): "record"}, 3, why)
    exhausted = next_fetch(order, {key(A1): "failed:x"}, 1, why)
    assert (first, after_failure, done, exhausted) == (
        FetchPlan([Decision(capture=A1, action="fetch", reason="try-0")], False),
        FetchPlan([Decision(capture=B1, action="fetch", reason="try-1")], False),
        FetchPlan([], True),
        FetchPlan([], True),
    )


def test_final_decisions_name_the_witness_of_each_payload():
    outcomes = {key(A1): "record", key(B1): "failed:http-503"}
    plan = next_fetch(pool().by_recency(), outcomes, 3, lambda _u, _p: "x")
    decisions = final_decisions(pool(), outcomes, plan, "skip:redirect-variant")
    assert decisions == [
        Decision(capture=A2, action="duplicate", reason=f"duplicate-of:{key(A1)}"),
        Decision(
            capture=REVISIT_A, action="duplicate", reason=f"duplicate-of:{key(A1)}"
        ),
    ]


def test_final_decisions_wait_while_a_fetch_is_in_flight():
    outcomes = {key(A1): "fetching"}
    plan = next_fetch(pool().by_recency(), outcomes, 3, lambda _u, _p: "x")
    assert final_decisions(pool(), outcomes, plan, None) == []
