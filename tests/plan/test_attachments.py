"""Tests of ise_archive.plan.attachments: prefix queries first, then one fetch per
file content, nothing fetched twice across runs, the size cap from the index."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from ise_archive.plan.attachments import (
    FILE_FILTERS,
    AttachmentPlan,
    FileFetch,
    FileQuery,
    follow_redirect,
)
from ise_archive.records import Capture, CaptureRef, Image, Link, Post
from ise_archive.store.merge import state_key
from ise_archive.store.state import State

A = "http://www.ise.gov/blog/ise-bloggers/welcome-ise-blog"
B = "http://www.ise.gov/blog/joe-laporte/officer-safety"
PDF = "http://www.ise.gov/sites/default/files/ISE_Fact_Sheet.pdf"
PNG = "http://www.ise.gov/sites/default/files/images/blog/photo.png"
SCAN = "http://ise.gov/sites/default/files/scan.pdf"


def _page(url: str, timestamp: str) -> Capture:
    return Capture(timestamp=timestamp, original=url, status="200", digest=timestamp)


def _file(url: str, timestamp: str, digest: str, length: int = 900) -> Capture:
    return Capture(
        timestamp=timestamp,
        original=url,
        status="200",
        digest=digest,
        mimetype="application/pdf",
        length=length,
    )


@pytest.fixture
def state(tmp_path: Path):
    opened = State.open(tmp_path / "state.sqlite3")
    opened.begin_run("run-1", parameters={})
    for url, timestamp, links in (
        (A, "20120101000000", (PDF, SCAN)),
        (B, "20130101000000", (PDF,)),
    ):
        capture = _page(url, timestamp)
        opened.add_captures([capture], lambda c: c.original)
        opened.save_post(
            state_key(capture),
            Post(
                url=url,
                title="T",
                published=date(2011, 1, 1),
                body_markdown="Body.",
                images=(Image(url=PNG),),
                links=tuple(Link(n=i, url=u) for i, u in enumerate(links, 1)),
                capture=CaptureRef(timestamp=timestamp, archive_url="", original=url),
            ),
        )
    yield opened
    opened.close()


def _plan(state: State) -> AttachmentPlan:
    return AttachmentPlan(
        state=state,
        archive_base_url="https://web.archive.org",
        max_bytes=10_000,
        batch=100,
    )


def test_prefix_queries_then_one_fetch_per_file_content(state: State) -> None:
    plan = _plan(state)
    queries = plan.next_work()
    assert [q.query.url for q in queries if isinstance(q, FileQuery)] == [
        "ise.gov/sites/default/files/",
        "www.ise.gov/sites/default/files/",
    ]
    assert all(q.query.filters == FILE_FILTERS for q in queries)
    state.add_file_captures(
        [
            _file(PDF, "20110601000000", "OLD"),
            _file(PDF, "20121201000000", "NEW"),
            _file(PNG, "20100101000000", "IMG"),
            _file(SCAN, "20110101000000", "BIG", length=20_000),
        ]
    )
    fetches = plan.next_work()
    assert sorted(
        (f.capture.original, f.capture.digest)
        for f in fetches
        if isinstance(f, FileFetch)
    ) == [(PDF, "NEW"), (PDF, "OLD"), (PNG, "IMG")]
    assert plan.next_work() == []  # asked once per run
    scan_key = "http://www.ise.gov/sites/default/files/scan.pdf BIG"
    assert state.files() == {scan_key: {"reason": "too-large"}}


def test_a_later_run_fetches_only_what_it_lacks(state: State) -> None:
    state.add_file_captures([_file(PDF, "20110601000000", "OLD")])
    state.set_file(f"{PDF} OLD", {"path": "files/x.pdf", "sha256": "0" * 64})
    plan = _plan(state)
    plan.next_work()  # the prefix queries
    assert plan.next_work() == []
    state.set_file(f"{PDF} OLD", {"reason": "failed:timeout"})
    again = _plan(state)
    again.next_work()
    assert [f.capture.digest for f in again.next_work()] == ["OLD"]


def test_no_attachments_no_request(tmp_path: Path) -> None:
    empty = State.open(tmp_path / "empty.sqlite3")
    empty.begin_run("run-1", parameters={})
    assert _plan(empty).next_work() == []
    empty.close()


EOT = "pywb:https://webarchive.library.unt.edu/eot2016"
REPLAY = "https://web.archive.org/web"


def test_each_archive_gets_the_prefix_queries(state: State) -> None:
    plan = AttachmentPlan(
        state=state,
        archive_base_url="https://web.archive.org",
        max_bytes=10_000,
        batch=100,
        archives=2,
    )
    assert [(q.rank, q.query.url) for q in plan.next_work()] == [
        (0, "ise.gov/sites/default/files/"),
        (0, "www.ise.gov/sites/default/files/"),
        (1, "ise.gov/sites/default/files/"),
        (1, "www.ise.gov/sites/default/files/"),
    ]


def test_a_capture_two_archives_hold_is_fetched_once_then_from_the_next(
    state: State,
) -> None:
    plan = _plan(state)
    plan.next_work()
    held = _file(PDF, "20121201000000", "NEW")
    elsewhere = _file(PDF, "20111201000000", "NEW")  # same bytes, another time
    state.add_file_captures([replace(held, archive=EOT), held])
    state.add_file_captures([replace(elsewhere, archive=EOT)])
    state.add_file_captures([_file(PDF, "20110601000000", "OLD")])
    [pdf] = [f for f in plan.next_work() if f.capture.digest == "NEW"]
    assert pdf.capture == held  # the main archive's copy first
    following = plan.fall_back(pdf)
    assert following is not None
    assert following.capture == replace(held, archive=EOT)  # same capture first
    following = plan.fall_back(following)
    assert following is not None
    assert following.capture == replace(elsewhere, archive=EOT)
    assert plan.fall_back(following) is None  # OLD is another content


def test_archive_redirects_are_followed_up_to_the_hop_limit() -> None:
    listed = _file(PDF, "20121201000000", "NEW")
    renamed = "http://www.ise.gov/sites/default/files/ISE_Fact_Sheet_v2.pdf"
    target = _file(renamed, "20121205000000", "V2")
    index = {renamed: [target]}
    fetch = FileFetch(listed, f"{PDF} NEW")
    nearest = follow_redirect(
        fetch,
        location=f"{REPLAY}/20121205000000id_/{renamed}",
        replay_url=f"{REPLAY}/20121201000000id_/{PDF}",
        replay_root=REPLAY,
        max_hops=3,
        index=index,
    )
    # the capture reached keeps its CDX row (its digest is checked), the content
    # it was fetched for and where the chain started
    assert nearest == FileFetch(target, f"{PDF} NEW", hops=1, chosen=listed)
    unlisted = follow_redirect(
        nearest,  # an archived redirect whose Location was not rewritten (pywb)
        location="/sites/default/files/ISE_Fact_Sheet_v3.pdf",
        replay_url=f"{REPLAY}/20121205000000id_/{renamed}",
        replay_root=REPLAY,
        max_hops=3,
        index=index,
    )
    assert isinstance(unlisted, FileFetch)
    assert (unlisted.capture.timestamp, unlisted.capture.original) == (
        "20121205000000",
        "http://www.ise.gov/sites/default/files/ISE_Fact_Sheet_v3.pdf",
    )
    assert (unlisted.hops, unlisted.chosen) == (2, listed)
    hopped = replace(unlisted, hops=3)
    assert (
        follow_redirect(
            hopped,
            location="/sites/default/files/x.pdf",
            replay_url=f"{REPLAY}/20121205000000id_/{renamed}",
            replay_root=REPLAY,
            max_hops=3,
            index=index,
        )
        == "failed:redirect-loop"
    )
    assert (
        follow_redirect(
            fetch,
            location="",
            replay_url=REPLAY,
            replay_root=REPLAY,
            max_hops=3,
            index=index,
        )
        == "failed:redirect-without-location"
    )
    assert (
        follow_redirect(
            fetch,
            location=f"{REPLAY}/20121205000000id_/http://www.ise.gov/",
            replay_url=REPLAY,
            replay_root=REPLAY,
            max_hops=3,
            index=index,
        )
        == "failed:redirect-to-page"
    )


def test_a_saved_copy_no_longer_on_disk_is_fetched_again(
    state: State, tmp_path: Path
) -> None:
    state.add_file_captures([_file(PDF, "20110601000000", "OLD")])
    state.set_file(f"{PDF} OLD", {"path": "files/x.pdf", "sha256": "0" * 64})

    def plan() -> AttachmentPlan:
        planned = AttachmentPlan(
            state=state,
            archive_base_url="https://web.archive.org",
            max_bytes=10_000,
            batch=100,
            output_dir=tmp_path,
        )
        planned.next_work()  # the prefix queries
        return planned

    # removed when no record used it; a record needs it again
    assert [f.capture.digest for f in plan().next_work()] == ["OLD"]
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "x.pdf").write_bytes(b"x")
    assert plan().next_work() == []
