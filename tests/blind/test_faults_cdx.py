"""Blind fault round: the capture index (CDX) misbehaving as the live one does.

Discovery decides what a run can ever know, so a CDX fault must never cost a post
in silence: docs/operations.md says a CDX request that failed for good makes the run
``failed`` (exit 1, ``discovery_failed`` by reason, the manifest's
``crawl.complete`` false), and docs/discovery.md says what answers are read how.
Paging is forced by a small server row cap (``max_rows``), as the live server's
own cap or ``limit=`` would.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from tests.blind.conftest import cli
from tests.blind.fault_crawls import (
    FaultRun,
    Posts,
    assert_accounting_adds_up,
    assert_complete,
    assert_next_run_completes,
    assert_no_traceback,
    assert_not_silently_short,
    clean,
    clean_run,
    dataset_posts,
    dev_archive,
    fault_crawl,
)
from tests.wayback.archive import Archive

__all__ = ["clean", "clean_run"]

#: rows per CDX answer: the blog prefix (about 40 rows) takes several pages
PAGE = 7


@pytest.fixture(scope="module")
def paged_run(tmp_path_factory: pytest.TempPathFactory) -> FaultRun:
    """A crawl without faults whose CDX answers come in pages of PAGE rows: the
    control of the resume-key cases (they compare with it, so that they measure
    their fault, not the paging)."""
    run = fault_crawl(tmp_path_factory.mktemp("paged") / "out", max_rows=PAGE)
    assert run.exit_code == 0, run.shown()
    return run


def test_paging_alone_changes_nothing(
    paged_run: FaultRun, clean: Posts, clean_run: FaultRun
) -> None:
    """The same archive, its answers cut into pages of 7 rows and continued by
    resume key as docs/discovery.md describes: the same captures, the same posts.
    (The dev corpus has a post whose urlkey holds a %-escape,
    ``officer-safety-indian-country-%e2%80%93-...``; the imitation, like the
    live server, decodes the key it is sent as its search key.)"""
    discovered = paged_run.report["captures_discovered"]
    assert discovered == clean_run.report["captures_discovered"], paged_run.shown()
    assert_complete(paged_run, clean)


def test_cdx_answers_that_fail_once_are_asked_again(
    tmp_path: Path, clean: Posts, clean_run: FaultRun
) -> None:
    """A 429, a reset, a close before the declared length and a trickle, each
    twice among the CDX answers: asked again, the listing is whole."""
    spec = (
        "429@cdx,every=4,times=2;reset@cdx,every=5,times=2;"
        "truncate@cdx,every=6,times=2;trickle@cdx,every=7,times=2,chunks=3,delay_ms=100"
    )
    run = fault_crawl(tmp_path / "out", spec)
    assert_complete(run, clean)
    assert run.report["captures_discovered"] == clean_run.report["captures_discovered"]
    assert sum(run.injected.values()) == 8, run.shown()


def test_a_burst_of_503s_on_the_index(tmp_path: Path, clean: Posts) -> None:
    """Six 503s in a row at the start of discovery: retried, or reported as
    ``discovery_failed`` (exit 1); the next run completes the dataset."""
    run = fault_crawl(tmp_path / "out", "503@cdx,first=6")
    assert run.exit_code in (0, 1), run.shown()
    if run.exit_code == 1:
        assert run.report["discovery_failed"], run.shown()
    assert_accounting_adds_up(run)
    assert_not_silently_short(run, clean)
    assert_next_run_completes(run, clean)


#: the three kinds of 200 that are no CDX answer, each on the next resume request
NOT_ANSWERS = ";".join(
    f"{kind}@cdx,query=resumeKey,first=1" for kind in ("html200", "empty200", "short")
)


def test_a_200_that_is_not_a_cdx_answer_once(
    tmp_path: Path, paged_run: FaultRun
) -> None:
    """The first resume page comes back 200 with a maintenance page (a proxy in
    front of the index); asked again, with nothing at all; asked again, cut in
    half with a Content-Length that agrees; although the page before promised more
    rows (its resume key). docs/discovery.md: a bad answer is asked again as a
    5xx is, so the listing completes. (One crawl for the three kinds: rules fire
    in order, each on the next resume request.)"""
    run = fault_crawl(tmp_path / "out", NOT_ANSWERS, max_rows=PAGE)
    assert run.injected == {
        "html200@cdx#0": 1,
        "empty200@cdx#1": 1,
        "short@cdx#2": 1,
    }, run.shown()
    assert_complete(run, dataset_posts(paged_run.out))
    discovered = paged_run.report["captures_discovered"]
    assert run.report["captures_discovered"] == discovered, run.shown()


def test_an_index_window_that_only_answers_a_maintenance_page(
    tmp_path: Path, clean: Posts
) -> None:
    """docs/discovery.md: an HTML page served with 200 raises CDXError. Every
    answer for the /node/ prefix is one: a CDX request failed for good, so the
    run is ``failed`` with exit 1, ``discovery_failed`` says ``bad-answer``, the
    manifest says the crawl is incomplete, and validate --strict fails on it."""
    spec = "html200@cdx,query=url=ise.gov/node/,every=1,times=1000"
    run = fault_crawl(tmp_path / "out", spec)
    assert_no_traceback(run)
    assert run.exit_code == 1, run.shown()
    assert run.report["status"] == "failed", run.shown()
    assert list(run.report["discovery_failed"]) == ["bad-answer"], run.shown()
    assert_accounting_adds_up(run)
    manifest = json.loads((run.out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["crawl"]["complete"] is False, run.shown()
    assert cli("validate", run.out).returncode == 0
    assert cli("validate", "--strict", run.out).returncode == 1


def test_a_port_form_the_index_answers_404_for(tmp_path: Path, clean: Posts) -> None:
    """An index that 404s the port-form prefixes (``https://ise.gov:80/blog``...),
    as a pywb collection does for a host form it never saw: four CDX requests
    failed for good (``http-404``), exit 1, yet every post of the other prefixes
    is written."""
    run = fault_crawl(tmp_path / "out", "404@cdx,query=:80/,every=1,times=1000")
    assert_no_traceback(run)
    assert run.exit_code == 1, run.shown()
    assert run.report["discovery_failed"] == {"http-404": 4}, run.shown()
    assert_accounting_adds_up(run)
    assert dataset_posts(run.out) == clean, run.shown()


def test_a_resume_key_that_repeats(tmp_path: Path, paged_run: FaultRun) -> None:
    """The first resume page answers with the very key it was asked with (the
    same page again). The docs say paging stops on a repeated key; the rows
    after it were never listed, so the run must not end 0 without them."""
    run = fault_crawl(
        tmp_path / "out", "resume-repeat@cdx,query=resumeKey,first=1", max_rows=PAGE
    )
    assert run.seconds < 30, run.shown()
    assert run.exit_code in (0, 1), run.shown()
    assert_accounting_adds_up(run)
    assert_not_silently_short(run, dataset_posts(paged_run.out))
    if run.exit_code == 1:
        assert run.report["discovery_failed"], run.shown()


def test_a_resume_key_that_goes_backwards(tmp_path: Path, paged_run: FaultRun) -> None:
    """Two resume pages answer with a key before their own first row, so the
    same rows come again on the next page: no capture is counted twice, none
    is lost, and the run ends."""
    run = fault_crawl(
        tmp_path / "out", "resume-back@cdx,query=resumeKey,first=2", max_rows=PAGE
    )
    assert run.seconds < 30, run.shown()
    assert_complete(run, dataset_posts(paged_run.out))
    discovered = paged_run.report["captures_discovered"]
    assert run.report["captures_discovered"] == discovered, run.shown()


def odd_rows() -> Archive:
    """The dev corpus as the live index sometimes lists it: every row twice (the
    same capture in two CDX shards), and ``-`` as the digest of every 200 row no
    revisit points at (the live index has rows without a digest)."""
    archive = dev_archive()
    revisited = {row.digest for row in archive.rows() if row.is_revisit}
    rows = [
        dataclasses.replace(row, digest="-")
        if row.statuscode == "200" and row.digest not in revisited
        else row
        for row in archive.rows()
    ]
    odd = Archive(store=archive.store)
    odd.extend(row for row in rows for _ in range(2))
    return odd


@pytest.fixture(scope="module")
def odd_rows_run(tmp_path_factory: pytest.TempPathFactory) -> FaultRun:
    """One crawl of :func:`odd_rows` for the two cases below (suite time): each
    fault is in the rows' content and neither hides the other."""
    return fault_crawl(tmp_path_factory.mktemp("odd") / "out", archive=odd_rows())


def test_every_row_listed_twice(
    odd_rows_run: FaultRun, clean: Posts, clean_run: FaultRun
) -> None:
    """Repeated rows (docs/discovery.md: a row repeated within one page is kept
    once): each capture is known once, the posts are those of the clean crawl."""
    run = odd_rows_run
    assert_complete(run, clean)
    assert run.report["captures_discovered"] == clean_run.report["captures_discovered"]


def test_rows_without_a_digest(
    odd_rows_run: FaultRun, clean: Posts, clean_run: FaultRun
) -> None:
    """docs/evidence.md: a capture whose row has no digest is kept, with
    ``verified: false``. Rows with ``-`` are not one payload (no more duplicates
    than with the digests known): every post is read from the capture the clean
    crawl reads."""
    run = odd_rows_run
    assert_complete(run, clean)
    duplicates = run.report["accounting"]["duplicate"]
    assert duplicates <= clean_run.report["accounting"]["duplicate"], run.shown()
    lines = (run.out / "records.jsonl").read_text(encoding="utf-8").splitlines()
    used = [
        capture
        for record in map(json.loads, lines)
        if record["completeness"] == "full"
        for capture in record["captures"]
        if capture["used"]
    ]
    undigested = [c for c in used if c["digest"] in ("-", "", None)]
    assert undigested, run.shown()
    assert all(c["verified"] is False for c in undigested), run.shown()
