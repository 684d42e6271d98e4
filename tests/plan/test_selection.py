"""Tests for ise_archive.plan.selection: grouping captures, deciding what to fetch."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ise_archive.plan.payloads import WEAK_RECORD
from ise_archive.plan.selection import (
    Decision,
    SelectionPolicy,
    capture_group,
    plan_discovery_pages,
    plan_group,
    state_key,
)
from ise_archive.records import Capture

INDEX = Path(__file__).parents[1] / "fixtures" / "dev" / "index.jsonl"
ROWS = {r["cid"]: r for r in map(json.loads, INDEX.read_text().splitlines())}
CAPTURES = {
    cid: Capture(
        timestamp=r["timestamp"],
        original=r["original"],
        urlkey=r["urlkey"],
        mimetype=r["mimetype"],
        status=r["statuscode"],
        digest=r["digest"],
        length=int(r["length"]),
    )
    for cid, r in ROWS.items()
}
CID = {state_key(c): cid for cid, c in CAPTURES.items()}

SOCIAL = [f"c00{n}" for n in range(15, 23)] + ["c0063"]
LATEST = SelectionPolicy()
ALL = SelectionPolicy(versions="all")


def caps(*cids: str) -> list[Capture]:
    return [CAPTURES[c] for c in cids]


def key(cid: str) -> str:
    return state_key(CAPTURES[cid])


def table(decisions: Sequence[Decision]) -> list[tuple[str, str, str]]:
    """Decisions as (cid, action, reason) with capture keys in reasons as cids."""
    rows = []
    for d in decisions:
        reason = d.reason
        for capture_id, capture in CAPTURES.items():
            reason = reason.replace(state_key(capture), capture_id)
        rows.append((CID[state_key(d.capture)], d.action, reason))
    return rows


def outcome_of(decision: Decision) -> str:
    if decision.action == "duplicate":
        return "duplicate"
    return decision.reason


# -- identity ----------------------------------------------------------------------


def _expected_identity(row: dict) -> str | None:
    if "/node/" in row["original"]:
        return "node:" + row["original"].rsplit("/", 1)[1]
    if row["post_id"]:
        return "http://www.ise.gov/blog/" + row["post_id"]
    if row["variant"] == "redirect" or row["kind"] == "not_found":
        return "http://www.ise.gov" + row["urlkey"].split(")", 1)[1]
    if row["kind"] in ("listing", "feed"):
        return "http://www.ise.gov" + row["urlkey"].split(")", 1)[1]
    return None


@pytest.mark.parametrize("cid", sorted(ROWS))
def test_capture_identity_of_every_dev_row(cid):
    assert capture_group(CAPTURES[cid]) == _expected_identity(ROWS[cid])


def test_social_media_rows_are_one_group():
    identities = {capture_group(c) for c in caps(*SOCIAL)}
    assert identities == {
        "http://www.ise.gov/blog/ise-bloggers/"
        "social-media-and-law-enforcement-tweeting-front-line"
    }


def test_revisit_c0019_shares_its_digest_with_the_earlier_c0018():
    revisit, original = CAPTURES["c0019"], CAPTURES["c0018"]
    assert (revisit.is_revisit, original.is_revisit) == (True, False)
    assert revisit.digest == original.digest


# -- plan_group on the social-media post -------------------------------------------


def test_latest_fetches_the_newest_full_page_and_decides_redirects_at_once():
    assert table(plan_group(caps(*SOCIAL), {}, LATEST)) == [
        ("c0017", "skip", "skip:redirect-variant"),
        ("c0021", "skip", "skip:redirect-variant"),
        ("c0022", "fetch", "newest-full-page"),
    ]


def test_latest_decides_nothing_more_while_the_fetch_is_in_flight():
    outcomes = {key("c0017"): "skip:redirect-variant", key("c0022"): "fetching"}
    outcomes[key("c0021")] = "skip:redirect-variant"
    assert plan_group(caps(*SOCIAL), outcomes, LATEST) == []


def test_latest_settles_the_group_once_the_fetch_is_a_record():
    outcomes = {
        key("c0017"): "skip:redirect-variant",
        key("c0021"): "skip:redirect-variant",
        key("c0022"): "record",
    }
    assert table(plan_group(caps(*SOCIAL), outcomes, LATEST)) == [
        ("c0015", "skip", "skip:superseded"),
        ("c0016", "skip", "skip:superseded"),
        ("c0063", "skip", "skip:superseded"),
        ("c0018", "skip", "skip:superseded"),
        ("c0019", "skip", "skip:revisit"),
        ("c0020", "skip", "skip:superseded"),
    ]


def test_latest_falls_back_to_an_older_full_page_then_to_print():
    group = caps(*SOCIAL)
    outcomes = {key("c0022"): "failed:truncated"}
    assert table(plan_group(group, outcomes, LATEST)) == [
        ("c0017", "skip", "skip:redirect-variant"),
        ("c0020", "fetch", "fallback:older-full-page"),
        ("c0021", "skip", "skip:redirect-variant"),
    ]
    outcomes[key("c0020")] = "skip:not-a-post:soft-404"
    assert table(plan_group(group, outcomes, LATEST)) == [
        ("c0063", "fetch", "fallback:print"),
        ("c0017", "skip", "skip:redirect-variant"),
        ("c0021", "skip", "skip:redirect-variant"),
    ]
    outcomes[key("c0063")] = "failed:http-500"
    for d in plan_group(group, outcomes, LATEST):
        outcomes[state_key(d.capture)] = outcome_of(d)
    assert {CID[k]: v for k, v in outcomes.items()} == {
        "c0015": "skip:attempts-exhausted",
        "c0016": "skip:attempts-exhausted",
        "c0017": "skip:redirect-variant",
        "c0018": "skip:attempts-exhausted",
        "c0019": "skip:revisit",
        "c0020": "skip:not-a-post:soft-404",
        "c0021": "skip:redirect-variant",
        "c0022": "failed:truncated",
        "c0063": "failed:http-500",
    }


def test_a_record_lacking_fields_gets_one_more_capture_then_settles():
    """The newest page in a template read only in part (no date, no author) is kept,
    and the next capture is fetched to fill the gaps; then the group settles."""
    group = caps(*SOCIAL)
    outcomes = {
        key("c0017"): "skip:redirect-variant",
        key("c0021"): "skip:redirect-variant",
        key("c0022"): WEAK_RECORD,
    }
    assert table(plan_group(group, outcomes, LATEST)) == [
        ("c0020", "fetch", "fallback:older-full-page"),
    ]
    outcomes[key("c0020")] = WEAK_RECORD  # the older page lacks them too: stop
    assert table(plan_group(group, outcomes, LATEST)) == [
        ("c0015", "skip", "skip:superseded"),
        ("c0016", "skip", "skip:superseded"),
        ("c0063", "skip", "skip:superseded"),
        ("c0018", "skip", "skip:superseded"),
        ("c0019", "skip", "skip:revisit"),
    ]
    outcomes[key("c0020")] = "record"
    assert [row[1] for row in table(plan_group(group, outcomes, LATEST))] == [
        "skip"
    ] * 5


def test_a_weak_record_alone_settles_its_group_with_its_duplicates():
    # c0018 and its revisit c0019 share one payload; nothing else to look at
    group = caps("c0018", "c0019")
    assert table(plan_group(group, {key("c0018"): WEAK_RECORD}, LATEST)) == [
        ("c0019", "duplicate", "duplicate-of:c0018"),
    ]


def test_all_fetches_one_capture_per_digest_and_resolves_the_revisit():
    group = caps(*SOCIAL)
    assert table(plan_group(group, {}, ALL)) == [
        ("c0016", "fetch", "distinct-version"),
        ("c0017", "skip", "skip:redirect-variant"),
        ("c0018", "fetch", "distinct-version"),
        ("c0020", "fetch", "distinct-version"),
        ("c0021", "skip", "skip:redirect-variant"),
        ("c0022", "fetch", "newest-full-page"),
    ]
    outcomes = {key(c): "record" for c in ("c0016", "c0018", "c0020", "c0022")}
    assert table(plan_group(group, outcomes, ALL)) == [
        ("c0015", "duplicate", "duplicate-of:c0016"),
        ("c0063", "skip", "skip:superseded"),
        ("c0017", "skip", "skip:redirect-variant"),
        ("c0019", "duplicate", "duplicate-of:c0018"),
        ("c0021", "skip", "skip:redirect-variant"),
    ]


def test_all_marks_siblings_of_a_failed_payload_without_refetching():
    group = caps(*SOCIAL)
    outcomes = {key(c): "record" for c in ("c0018", "c0020", "c0022")}
    outcomes[key("c0016")] = "failed:truncated"
    decided = dict(
        (cid, reason) for cid, _, reason in table(plan_group(group, outcomes, ALL))
    )
    assert decided["c0015"] == "skip:same-digest-as:c0016"


def test_date_range_keeps_only_captures_inside_it():
    policy = SelectionPolicy(from_ts="2012", to_ts="2013")
    assert table(plan_group(caps(*SOCIAL), {}, policy)) == [
        ("c0015", "skip", "skip:out-of-range"),
        ("c0016", "skip", "skip:out-of-range"),
        ("c0063", "skip", "skip:out-of-range"),
        ("c0017", "skip", "skip:redirect-variant"),
        ("c0018", "fetch", "newest-full-page"),
        ("c0020", "skip", "skip:out-of-range"),
        ("c0021", "skip", "skip:out-of-range"),
        ("c0022", "skip", "skip:out-of-range"),
    ]
    outcomes = {key("c0018"): "record"}
    assert table(plan_group(caps("c0018", "c0019"), outcomes, policy)) == [
        ("c0019", "duplicate", "duplicate-of:c0018"),
    ]


@pytest.mark.parametrize(
    "prefix",
    [
        "http://www.ise.gov/blog/kshemendra-paul",
        "https://ise.gov/blog/Kshemendra-Paul",
        "ise.gov/blog/kshemendra-paul",
    ],
)
def test_url_prefix_selects_posts_by_canonical_url(prefix):
    policy = SelectionPolicy(url_prefix=prefix)
    assert {d.reason for d in plan_group(caps(*SOCIAL), {}, policy)} == {
        "skip:out-of-prefix"
    }
    assert table(plan_group(caps("c0036", "c0037", "c0066"), {}, policy)) == [
        ("c0037", "fetch", "newest-full-page"),
    ]


def test_print_page_alone_is_fetched_as_the_fallback():
    assert table(plan_group(caps("c0064"), {}, LATEST)) == [
        ("c0064", "fetch", "fallback:print"),
    ]


def test_errors_and_soft_404_url():
    assert table(plan_group(caps("c0011"), {}, LATEST)) == [
        ("c0011", "skip", "skip:error-status:404"),
    ]
    outcomes = {key("c0027"): "skip:not-a-post:soft-404"}
    assert plan_group(caps("c0027"), outcomes, LATEST) == []


def test_node_redirect_is_fetched_to_learn_the_alias():
    assert table(plan_group(caps("c0060"), {}, LATEST)) == [
        ("c0060", "fetch", "redirect:resolve-node"),
    ]
    assert plan_group(caps("c0060"), {key("c0060"): "skip:redirect"}, LATEST) == []


def test_node_group_merged_into_its_post_after_the_alias_is_known():
    group = caps("c0046", "c0047", "c0061")
    outcomes = {key("c0047"): "record"}
    assert table(plan_group(group, outcomes, LATEST)) == [
        ("c0046", "skip", "skip:superseded"),
        ("c0061", "skip", "skip:superseded"),
    ]


def _redirect(ts: str, original: str, digest: str) -> Capture:
    return Capture(
        timestamp=ts, original=original, mimetype="unk", status="302", digest=digest
    )


def test_redirect_only_group_tries_the_next_redirect_after_a_failure():
    group = [
        _redirect("20130101000000", "http://www.ise.gov/node/7", "AAA"),
        _redirect("20140101000000", "http://ise.gov/node/7", "AAA"),
        _redirect("20150101000000", "https://www.ise.gov/node/7", "BBB"),
    ]
    first = plan_group(group, {}, LATEST)
    assert [(d.capture, d.action, d.reason) for d in first] == [
        (group[2], "fetch", "redirect:resolve-node"),
    ]
    outcomes = {state_key(group[2]): "failed:timeout"}
    second = plan_group(group, outcomes, LATEST)
    assert [(d.capture, d.action, d.reason) for d in second] == [
        (group[1], "fetch", "redirect:resolve-node"),
    ]
    outcomes[state_key(group[1])] = "skip:redirect"
    third = plan_group(group, outcomes, LATEST)
    assert [(d.capture, d.action, d.reason) for d in third] == [
        (group[0], "skip", "skip:redirect-variant"),
    ]


def test_decisions_do_not_depend_on_input_order():
    group = caps(*SOCIAL)
    assert plan_group(group[::-1], {}, ALL) == plan_group(group, {}, ALL)
    assert plan_group(group + group, {}, ALL) == plan_group(group, {}, ALL)


@pytest.mark.parametrize(
    "kwargs",
    [{"versions": "some"}, {"from_ts": "2011-01"}, {"to_ts": ""}, {"max_attempts": 0}],
)
def test_bad_policies_are_refused(kwargs):
    with pytest.raises(ValueError):
        SelectionPolicy(**kwargs)


# -- discovery pages ---------------------------------------------------------------


def test_discovery_fetches_the_newest_capture_of_each_page():
    assert table(plan_discovery_pages(list(CAPTURES.values()), {})) == [
        ("c0051", "fetch", "discovery:newest"),
        ("c0007", "fetch", "discovery:newest"),
        ("c0052", "fetch", "discovery:newest"),
        ("c0006", "fetch", "discovery:newest"),
        ("c0032", "fetch", "discovery:newest"),
        ("c0053", "fetch", "discovery:newest"),
        ("c0059", "fetch", "discovery:newest"),
    ]


def test_discovery_falls_back_on_failure_and_resolves_revisits():
    feed = caps("c0056", "c0057", "c0058", "c0059")
    outcomes = {key("c0059"): "failed:http-503"}
    assert table(plan_discovery_pages(feed, outcomes)) == [
        ("c0058", "fetch", "discovery:fallback"),
    ]
    outcomes[key("c0058")] = "skip:not-a-post:feed"
    assert table(plan_discovery_pages(feed, outcomes)) == [
        ("c0056", "skip", "skip:superseded"),
        ("c0057", "skip", "skip:revisit"),
    ]


def test_discovery_reads_each_month_a_page_was_captured_in():
    """Each feed capture lists the posts of its day: 2011, 2013 and 2016 each name
    posts the others do not. The second October 2011 capture is a revisit of the
    first (same bytes): one fetch covers both."""
    feed = caps("c0056", "c0057", "c0058", "c0059")
    assert table(plan_discovery_pages(feed, {}, sampling="month")) == [
        ("c0056", "fetch", "discovery:newest"),
        ("c0058", "fetch", "discovery:newest"),
        ("c0059", "fetch", "discovery:newest"),
    ]
    outcomes = {key(c): "skip:not-a-post:feed" for c in ("c0056", "c0058", "c0059")}
    assert table(plan_discovery_pages(feed, outcomes, sampling="month")) == [
        ("c0057", "duplicate", "duplicate-of:c0056"),
    ]


def test_discovery_by_year_takes_the_newest_of_each_year():
    listing = caps("c0003", "c0004", "c0005", "c0006")  # /blog 2010, 2011, 2012, 2013
    by_year = plan_discovery_pages(listing, {}, sampling="year")
    assert [row[0] for row in table(by_year)] == ["c0003", "c0004", "c0005", "c0006"]
    same_year = [
        dataclasses.replace(c, timestamp="2012" + c.timestamp[4:]) for c in listing
    ]
    assert len(plan_discovery_pages(same_year, {}, sampling="year")) == 1


def test_discovery_falls_back_within_the_month():
    """A failed fetch is replaced by an older capture of the same month, never by
    one of another month (that month has its own fetch)."""
    newer, older = CAPTURES["c0058"], CAPTURES["c0059"]
    same_month = [
        dataclasses.replace(older, timestamp="20130501000000"),
        newer,  # 20130512
    ]
    outcomes = {state_key(newer): "failed:http-503"}
    decisions = plan_discovery_pages(same_month, outcomes, sampling="month")
    assert [(d.capture.timestamp, d.reason) for d in decisions] == [
        ("20130501000000", "discovery:fallback")
    ]


def test_discovery_all_reads_every_distinct_payload_once():
    feed = caps("c0056", "c0057", "c0058", "c0059")
    fetched = [d.capture for d in plan_discovery_pages(feed, {}, sampling="all")]
    assert sorted(c.digest for c in fetched) == sorted({c.digest for c in feed})


def test_an_unknown_sampling_is_refused():
    with pytest.raises(ValueError, match="sampling"):
        plan_discovery_pages([], {}, sampling="weekly")


# -- accounting property -------------------------------------------------------------

_URLS = [
    "http://www.ise.gov/blog/a/post",
    "http://ise.gov/blog/a/post",
    "https://www.ise.gov:80/blog/A/post?",
    "http://www.ise.gov/print/blog/a/post",
    "http://www.ise.gov/node/9",
    "http://www.ise.gov/category/free-tags/x",
]
_FETCH_OUTCOMES = ["record", "failed:truncated", "skip:not-a-post:soft-404"]


@st.composite
def capture_lists(draw: Callable) -> list[Capture]:
    n = draw(st.integers(min_value=0, max_value=12))
    captures = []
    for _ in range(n):
        status = draw(st.sampled_from(["200", "200", "200", "301", "302", "404", "-"]))
        captures.append(
            Capture(
                timestamp=f"201{draw(st.integers(0, 5))}0101000000",
                original=draw(st.sampled_from(_URLS)),
                mimetype="warc/revisit"
                if status == "-"
                else draw(
                    st.sampled_from(["text/html", "text/html", "unk", "image/png"])
                ),
                status=status,
                digest=draw(st.sampled_from(["A", "B", "C", "D", ""])),
            )
        )
    return captures


def _run(
    plan: Callable[[dict[str, str]], list[Decision]],
    captures: Sequence[Capture],
    fetch_results: st.DataObject,
) -> tuple[dict[str, str], list[Capture]]:
    """Apply decisions until none are left; fetches finish one at a time, in an
    order and with outcomes hypothesis picks."""
    outcomes: dict[str, str] = {}
    fetched: list[Capture] = []
    pending: list[Capture] = []
    for _ in range(10 * len(captures) + 5):
        decisions = plan(outcomes)
        for d in decisions:
            k = state_key(d.capture)
            assert k not in outcomes, f"decided twice: {d}"
            if d.action == "fetch":
                outcomes[k] = "fetching"
                fetched.append(d.capture)
                pending.append(d.capture)
            else:
                outcomes[k] = outcome_of(d)
        if not pending:
            if not decisions:
                break
            continue
        done = pending.pop(fetch_results.draw(st.integers(0, len(pending) - 1)))
        outcomes[state_key(done)] = fetch_results.draw(st.sampled_from(_FETCH_OUTCOMES))
    else:
        raise AssertionError("selection did not terminate")
    return outcomes, fetched


@settings(max_examples=300, deadline=None)
@given(
    captures=capture_lists(),
    versions=st.sampled_from(["latest", "all"]),
    from_ts=st.sampled_from([None, "2012"]),
    data=st.data(),
)
def test_every_capture_gets_exactly_one_final_outcome(
    captures, versions, from_ts, data
):
    policy = SelectionPolicy(versions=versions, from_ts=from_ts)
    outcomes, fetched = _run(lambda o: plan_group(captures, o, policy), captures, data)
    assert set(outcomes) == {state_key(c) for c in captures}
    assert "fetching" not in outcomes.values()
    digests = [c.digest for c in fetched if c.digest]
    assert len(digests) == len(set(digests)), "same payload fetched twice"
    if versions == "latest":
        assert len(fetched) <= policy.max_attempts
        assert list(outcomes.values()).count("record") <= 1


@settings(max_examples=150, deadline=None)
@given(
    captures=st.lists(
        st.builds(
            Capture,
            timestamp=st.sampled_from(["20110101000000", "20120101000000", "2013"]),
            original=st.sampled_from(
                [
                    "http://www.ise.gov/blog",
                    "https://ise.gov/blog?page=1",
                    "http://www.ise.gov/iseblog/feed",
                    "http://www.ise.gov/BLOG/",
                ]
            ),
            status=st.sampled_from(["200", "200", "301", "-", "404"]),
            digest=st.sampled_from(["A", "B", ""]),
        ),
        max_size=10,
    ),
    sampling=st.sampled_from(["newest", "year", "month", "all"]),
    data=st.data(),
)
def test_discovery_accounts_for_every_listing_capture(captures, sampling, data):
    outcomes, fetched = _run(
        lambda o: plan_discovery_pages(captures, o, sampling=sampling), captures, data
    )
    assert set(outcomes) == {state_key(c) for c in captures}
    assert "fetching" not in outcomes.values()
    payloads = [(capture_group(c), c.digest) for c in fetched if c.digest]
    assert len(payloads) == len(set(payloads)), "same page payload fetched twice"


def test_a_payload_in_two_archives_is_fetched_from_the_main_one():
    """The same bytes under a newer timestamp in another archive (an End of Term
    copy of a Wayback capture) are not fetched: the main archive's copy is."""
    newest = CAPTURES["c0022"]
    elsewhere = dataclasses.replace(
        newest,
        timestamp="20160101000000",
        archive="pywb:https://webarchive.library.unt.edu/eot2016",
    )
    decisions = plan_group([*caps(*SOCIAL), elsewhere], {}, LATEST)
    fetched = [d.capture for d in decisions if d.action == "fetch"]
    assert fetched == [newest]
    only_elsewhere = [c for c in caps(*SOCIAL) if c.digest != newest.digest]
    decisions = plan_group([*only_elsewhere, elsewhere], {}, LATEST)
    assert [d.capture for d in decisions if d.action == "fetch"] == [elsewhere]
