from __future__ import annotations

import dataclasses
import hashlib
import subprocess
import sys
import textwrap
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from ise_archive.errors import StateError
from ise_archive.normalize.urls import canonical_post_url, node_id
from ise_archive.records import Capture, Post, Tag, Teaser
from ise_archive.store import state as state_module
from ise_archive.store.merge import merge_post
from ise_archive.store.state import State

BASE = "https://web.archive.org"
EDT = timezone(timedelta(hours=-4))
A = "http://www.ise.gov/blog/ise-bloggers/welcome-ise-blog"
B = "http://www.ise.gov/blog/joe-laporte/officer-safety"
C = "http://www.ise.gov/blog/tamara-wells/niem-30"


def identity(capture: Capture) -> str | None:
    """Stand-in for selection.capture_group: post URL, or node:<nid>."""
    nid = node_id(capture.original)
    return f"node:{nid}" if nid else canonical_post_url(capture.original)


def key(capture: Capture) -> str:
    return f"{capture.timestamp} {capture.original}"


def cap(timestamp: str, original: str, *, digest: str = "", status: str = "200"):
    return Capture(
        timestamp=timestamp,
        original=original,
        urlkey="gov,ise)/" + original.rsplit("/", 1)[-1],
        mimetype="text/html",
        status=status,
        digest=digest or f"D{timestamp}",
        length=1234,
    )


def post(url: str, published, body: str = "Body text.", **changes) -> Post:
    return dataclasses.replace(
        Post(
            url=url,
            title=f"Title of {url.rsplit('/', 1)[-1]}",
            author="ISE Bloggers",
            published=published,
            tags=(Tag(name="ISE", url="http://www.ise.gov/category/free-tags/ise"),),
            body_markdown=body,
            word_count=len(body.split()),
            content_sha256=hashlib.sha256(body.encode()).hexdigest(),
            template="d7_2011",
        ),
        **changes,
    )


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "out" / ".state" / "state.sqlite3"


@pytest.fixture
def state(db_path: Path):
    opened = State.open(db_path)
    opened.begin_run("run-1", parameters={"cdx": "http://localhost"})
    yield opened
    opened.close()


def test_captures_round_trip_by_identity(state: State):
    captures = [
        cap("20120101000000", "https://ise.gov/blog/ise-bloggers/welcome-ise-blog"),
        cap("20110101000000", A),
        cap("20110101000000", B),
    ]
    assert state.add_captures(captures, identity) == 3
    assert state.captures_of(A) == [captures[1], captures[0]]
    assert state.captures_of(B) == [captures[2]]
    assert state.captures_of("http://nowhere") == []


def test_open_work_counts_identities_with_an_unsettled_capture(state: State):
    captures = [
        cap("20110101000000", A),
        cap("20120101000000", A),
        cap("20110101000000", B),
        cap("20110101000000", C),
    ]
    state.add_captures(captures, identity)
    assert state.open_work() == 3
    state.set_outcome(key(captures[2]), "skip:redirect")  # B settled
    state.set_outcome(key(captures[0]), "fetching")  # in flight is still open
    assert state.open_work() == 2


def test_weak_records_are_those_lacking_a_title_date_or_author(state: State):
    full, dateless, nameless = (
        cap("20110101000000", A),
        cap("20120101000000", A),
        cap("20130101000000", A),
    )
    state.add_captures([full, dateless, nameless], identity)
    state.save_post(key(full), post(A, date(2011, 1, 1)))
    state.save_post(key(dateless), post(A, None))
    state.save_post(key(nameless), post(A, date(2011, 1, 1), author=""))
    assert state.weak_records(A) == {key(dateless), key(nameless)}
    assert state.weak_records(B) == set()


def test_add_captures_counts_only_never_seen_captures_across_runs(db_path, state):
    first = [cap("20110101000000", A), cap("20110101000000", A), cap("2012", B)]
    assert state.add_captures(first, identity) == 2  # repeated row counted once
    state.set_outcome(key(first[2]), "skip:redirect")
    state.close()

    again = State.open(db_path)
    again.begin_run("run-2", parameters={})
    second = [*first, cap("20130101000000", A)]
    assert again.add_captures(second, identity) == 1
    assert again.outcomes_of(B) == {key(first[2]): "skip:redirect"}
    assert again.counts() == {
        "captures": 3,
        "record": 0,
        "duplicate": 0,
        "skip": 1,
        "failed": 0,
        "pending": 2,
        "posts": 0,
    }
    again.close()


def test_captures_that_are_not_posts_are_skipped_at_once(state: State):
    listing = cap("20110101000000", "http://www.ise.gov/blog?page=2")
    assert state.add_captures([listing, cap("2011", A)], identity) == 2
    assert state.outcome_counts(since_run="run-1") == {"skip:not-a-post-url": 1}
    assert list(state.identities_with_open_work()) == [A]


def test_identities_with_open_work_are_sorted_and_streamed_in_pages(
    state: State, monkeypatch
):
    monkeypatch.setattr(state_module, "_PAGE", 2)
    captures = [cap("2011", u) for u in (C, A, B, "http://www.ise.gov/node/7")]
    state.add_captures(captures, identity)
    open_work = state.identities_with_open_work()
    assert next(open_work) == A
    # writes between pages do not disturb the iteration
    state.set_outcome(key(captures[2]), "fetching")
    state.set_outcome(key(captures[0]), "failed:http-404")
    assert list(open_work) == [B, "node:7"]
    assert list(state.identities_with_open_work()) == [A, B, "node:7"]


def test_set_outcome_rejects_unknown_keys_and_bad_outcomes(state: State):
    state.add_captures([cap("2011", A)], identity)
    with pytest.raises(StateError, match="unknown capture"):
        state.set_outcome("2011 http://elsewhere", "duplicate")
    with pytest.raises(ValueError, match="not a capture outcome"):
        state.set_outcome(f"2011 {A}", "skipped")
    with pytest.raises(ValueError, match="save_post"):
        state.set_outcome(f"2011 {A}", "record")


def test_reset_inflight_reopens_fetching_and_transient_failures(state: State):
    outcomes = {
        "20110101000001": "fetching",
        "20110101000002": "failed:http-503",
        "20110101000003": "failed:truncated",
        "20110101000004": "failed:timeout",
        "20110101000005": "failed:http-429",
        "20110101000006": "failed:http-404",
        "20110101000007": "skip:not-a-post:soft-404",
        "20110101000008": "duplicate",
    }
    captures = [cap(ts, A) for ts in outcomes]
    state.add_captures(captures, identity)
    for capture, outcome in zip(captures, outcomes.values(), strict=True):
        state.set_outcome(key(capture), outcome)
    assert state.reset_inflight() == 5
    assert state.outcomes_of(A) == {
        key(captures[5]): "failed:http-404",
        key(captures[6]): "skip:not-a-post:soft-404",
        key(captures[7]): "duplicate",
    }
    assert state.reset_inflight() == 0


def test_failures_the_archive_may_have_caused_are_rechecked_by_a_few_runs(
    state: State,
):
    """ "Not archived" for a listed capture and a digest mismatch are reopened by
    ``recheck_runs`` runs each, then stay failed; a real 404 never is."""
    outcomes = {
        "20110101000001": "failed:archive-error:not-archived",
        "20110101000002": "failed:digest-mismatch",
        "20110101000003": "failed:http-404",
    }
    captures = [cap(ts, A) for ts in outcomes]
    state.add_captures(captures, identity)
    reopened = []
    for _ in range(4):
        for capture, outcome in zip(captures, outcomes.values(), strict=True):
            state.set_outcome(key(capture), outcome)  # the archive still fails them
        reopened.append(state.reset_inflight(recheck_runs=2))
    assert reopened == [2, 2, 0, 0]
    expected = zip(map(key, captures), outcomes.values(), strict=True)
    assert state.outcomes_of(A) == dict(expected)
    assert state.reset_inflight() == 0  # recheck_runs=0: never


def test_posts_persist_across_close_and_reopen(db_path: Path, state: State):
    c1, c2 = cap("20110101000000", A), cap("20120101000000", A)
    state.add_captures([c1, c2], identity)
    first = post(A, datetime(2010, 6, 14, 9, 0, tzinfo=EDT))
    state.save_post(key(c1), first)
    state.save_post(key(c2), first)  # idempotent per capture, two captures
    state.save_post(key(c2), first)
    state.set_alias(12, A)
    before = list(state.merged_posts(archive_base_url=BASE))
    state.close()

    reopened = State.open(db_path)
    assert list(reopened.merged_posts(archive_base_url=BASE)) == before
    assert before == [merge_post([(c1, first), (c2, first)], [], archive_base_url=BASE)]
    assert (reopened.alias(12), reopened.alias(13)) == (A, None)
    assert reopened.outcomes_of(A) == {key(c1): "record", key(c2): "record"}
    reopened.close()


def test_merged_posts_gather_other_captures_by_identity_and_node_alias(state):
    page = cap("20110101000000", A, digest="SAME")
    revisit = cap("20120101000000", A, digest="SAME", status="-")
    node = cap("20130101000000", "http://www.ise.gov/node/12", status="301")
    pending = cap("20140101000000", A)
    other = cap("20110101000000", B)
    state.add_captures([page, revisit, node, pending, other], identity)
    saved = post(A, date(2010, 6, 14))
    state.save_post(key(page), saved)
    state.set_outcome(key(revisit), "duplicate")
    state.set_outcome(key(node), "skip:redirect")
    state.set_outcome(key(other), "failed:http-404")
    state.set_alias(12, A)

    assert list(state.merged_posts(archive_base_url=BASE)) == [
        merge_post(
            [(page, saved)],
            [(revisit, "duplicate"), (node, "skip:redirect")],
            archive_base_url=BASE,
        )
    ]


def test_merged_posts_are_ordered_by_published_then_url_and_streamed(
    state: State, monkeypatch
):
    monkeypatch.setattr(state_module, "_PAGE", 2)
    D = "http://www.ise.gov/blog/a/undated"
    published = {
        C: datetime(2013, 11, 20, 10, 0, tzinfo=EDT),
        A: datetime(2010, 6, 14, 9, 0, tzinfo=EDT),
        B: date(2011, 9, 21),
        D: None,
        "http://www.ise.gov/blog/z/same-day": date(2011, 9, 21),
    }
    for n, (url, when) in enumerate(published.items()):
        capture = cap(f"2015010100000{n}", url)
        state.add_captures([capture], identity)
        state.save_post(key(capture), post(url, when))
    stream = state.merged_posts(archive_base_url=BASE)
    first = next(stream)
    assert first.url == A
    state.set_alias(99, A)  # a write mid-stream
    assert [first.url] + [p.url for p in stream] == [
        A,
        B,
        "http://www.ise.gov/blog/z/same-day",
        C,
        D,
    ]


def test_published_sort_key_comes_from_the_capture_the_record_uses(state: State):
    old, new = cap("20110101000000", A), cap("20140101000000", A)
    state.add_captures([old, new, cap("2012", B)], identity)
    state.save_post(key(old), post(A, date(2009, 1, 1)))
    state.save_post("2012 " + B, post(B, date(2010, 1, 1)))
    assert [p.url for p in state.merged_posts(archive_base_url=BASE)] == [A, B]
    # the newer capture of A states a later date: A's record moves after B
    state.save_post(key(new), post(A, date(2011, 1, 1)))
    assert [p.url for p in state.merged_posts(archive_base_url=BASE)] == [B, A]


def test_a_capture_re_extracted_under_another_url_leaves_its_old_post(state):
    c = cap("20110101000000", A)
    state.add_captures([c], identity)
    state.save_post(key(c), post(A, date(2010, 1, 1)))
    state.save_post(key(c), post(B, date(2010, 1, 1)))
    assert [p.url for p in state.merged_posts(archive_base_url=BASE)] == [B]
    state.set_outcome(key(c), "duplicate")
    assert list(state.merged_posts(archive_base_url=BASE)) == []
    assert state.counts()["posts"] == 0


def test_setting_the_same_outcome_again_writes_nothing(state: State):
    c = cap("20110101000000", A)
    state.add_captures([c], identity)
    state.set_outcome(key(c), "skip:not-a-post:listing")
    state.begin_run("run-2", parameters={})
    changes = state._db.total_changes
    state.set_outcome(key(c), "skip:not-a-post:listing")
    assert state._db.total_changes == changes
    assert state.outcome_counts(since_run="run-2") == {}


def test_outcome_counts_since_a_run(db_path: Path, state: State):
    c1, c2, c3 = cap("2011", A), cap("2012", A), cap("2013", A)
    state.add_captures([c1, c2, c3], identity)
    state.save_post(key(c1), post(A, date(2010, 1, 1)))
    state.set_outcome(key(c2), "failed:http-503")
    state.end_run("run-1", {"status": "partial"})
    state.begin_run("run-2", parameters={})
    assert state.reset_inflight() == 1
    state.set_outcome(key(c2), "duplicate")
    state.set_outcome(key(c3), "skip:not-a-post:soft-404")
    assert state.outcome_counts(since_run="run-2") == {
        "duplicate": 1,
        "skip:not-a-post:soft-404": 1,
    }
    assert state.outcome_counts(since_run="run-1") == {
        "duplicate": 1,
        "record": 1,
        "skip:not-a-post:soft-404": 1,
    }
    assert state.outcome_counts() == state.outcome_counts(since_run="run-1")


def test_crash_without_close_loses_no_committed_write(db_path: Path, state: State):
    c1, c2 = cap("20110101000000", A), cap("20120101000000", A)
    state.add_captures([c1, c2], identity)
    state.save_post(key(c1), post(A, date(2010, 1, 1)))
    state.set_outcome(key(c2), "fetching")
    # the first connection is never closed: a second one sees every write
    second = State.open(db_path)
    assert second.outcomes_of(A) == {key(c1): "record", key(c2): "fetching"}
    assert second.reset_inflight() == 1
    assert [p.url for p in second.merged_posts(archive_base_url=BASE)] == [A]
    second.close()


def test_sigkill_mid_run_keeps_every_committed_write(db_path: Path):
    script = textwrap.dedent(
        f"""
        import os, signal
        from datetime import date
        from pathlib import Path
        from ise_archive.records import Capture, Post
        from ise_archive.store.state import State
        s = State.open(Path({str(db_path)!r}))
        s.begin_run("killed", parameters={{}})
        caps = [Capture(timestamp=f"2011010100000{{i}}", original={A!r})
                for i in range(3)]
        s.add_captures(caps, lambda c: c.original)
        s.save_post(f"{{caps[0].timestamp}} {A}",
                    Post(url={A!r}, title="T", published=date(2010, 1, 1),
                         body_markdown="b"))
        s.set_outcome(f"{{caps[1].timestamp}} {A}", "fetching")
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], check=False, timeout=60)
    assert done.returncode == -9
    resumed = State.open(db_path)
    resumed.begin_run("resumed", parameters={})
    assert resumed.reset_inflight() == 1
    assert list(resumed.identities_with_open_work()) == [A]
    assert resumed.counts() == {
        "captures": 3,
        "record": 1,
        "duplicate": 0,
        "skip": 0,
        "failed": 0,
        "pending": 2,
        "posts": 1,
    }
    resumed.close()


def test_a_batch_commits_its_writes_together_or_not_at_all(db_path, state):
    c1, c2 = cap("20110101000000", A), cap("20120101000000", A)
    state.add_captures([c1, c2], identity)
    other = State.open(db_path)  # another connection sees only what is committed
    with state.batch():
        state.save_post(key(c1), post(A, date(2010, 1, 1)))
        state.set_alias(1519, A)
        assert other.outcomes_of(A) == {}  # not yet: the batch commits at its end
    assert other.outcomes_of(A) == {key(c1): "record"}
    assert other.alias(1519) == A
    with pytest.raises(RuntimeError), state.batch():
        state.set_outcome(key(c2), "duplicate")
        state.set_alias(1643, B)
        raise RuntimeError("a bug half-way through an answer")
    assert other.outcomes_of(A) == {key(c1): "record"}
    assert other.alias(1643) is None
    assert state.outcomes_of(A) == {key(c1): "record"}
    other.close()


def test_post_contents_are_the_dataset_posts_without_their_provenance(state):
    # two captures of A (the newer one, used, lacks tags: filled from the older),
    # a duplicate, another post, and a post known only from a feed teaser
    older = cap("20110101000000", A, digest="SAME")
    newer = cap("20120101000000", A)
    again = cap("20130101000000", A, digest="SAME")
    other = cap("20110101000000", B)
    state.add_captures([older, newer, again, other], identity)
    state.save_post(key(older), post(A, date(2010, 6, 14), body="Old body."))
    state.save_post(key(newer), post(A, date(2012, 1, 1), body="New", tags=()))
    state.set_outcome(key(again), "duplicate")
    state.save_post(key(other), post(B, date(2011, 9, 21)))
    state.add_teasers([Teaser(url=C, title="Only in the feed", body_html="<p>x</p>")])

    contents = list(state.post_contents(archive_base_url=BASE))
    records = list(state.dataset_posts(archive_base_url=BASE))
    assert [p.url for p in records] == [B, A, C]
    assert contents == [
        dataclasses.replace(p, captures=(), versions=())
        if p.completeness == "full"
        else p
        for p in records
    ]
    assert contents[1].body_markdown == "New"
    assert [t.name for t in contents[1].tags] == ["ISE"]
