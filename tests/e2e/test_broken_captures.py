"""Broken captures in the archive itself (issue 6): each is recognized and reported,
and the post comes from a good older capture.

One post of the dev corpus gets, as its newest captures, every kind of broken
capture the archive holds; a module-scoped crawl of that archive runs side by side
with a clean crawl of the untouched corpus, and the checks compare the two.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ise_archive import settings
from tests.e2e.crawl import (
    dataset_files,
    last_report,
    read_records,
    run_crawl,
    without_warc_locations,
)
from tests.wayback.archive import Archive
from tests.wayback.fixtures import DEV_CORPUS
from tests.wayback.server import WaybackServer

pytestmark = pytest.mark.e2e

POST = "http://www.ise.gov/blog/ise-bloggers/welcome-ise-blog"
HTTPS_POST = POST.replace("http://", "https://")
#: Its newest good capture in the dev corpus (d7-2014 theme).
GOOD = "c0026"
#: A "Page not found" Drupal page served with 200 (another URL's capture).
SOFT_404 = "c0027"
LOOP_NODE = "http://www.ise.gov/node/9999"
LOOP_POST = "http://www.ise.gov/blog/ise-bloggers/loop-post"
#: Records name the public archive, not the test server's port, so runs compare.
PUBLIC_URLS = {"ISE_ARCHIVE_ARCHIVE_URL_BASE": "https://web.archive.org"}

# What web.archive.org shows for a capture of a redirect (view mode).
CRAWL_TIME_REDIRECT = b"""<!DOCTYPE html>
<html><head><title>Wayback Machine</title></head><body>
<div id="error"><p class="code">Got an HTTP 302 response at crawl time</p>
<p class="code shift target">Redirecting to...</p>
<p class="code shift target">http://www.ise.gov/blog</p>
<p class="impatient"><a href="http://www.ise.gov/blog">Impatient?</a></p></div>
</body></html>
"""
NOT_ARCHIVED = b"""<!DOCTYPE html>
<html><head><title>Wayback Machine</title></head><body>
<p>Hrm.</p><p>Wayback Machine doesn't have that page archived.</p>
</body></html>
"""


def _payload(cid: str) -> bytes:
    return (DEV_CORPUS / "captures" / f"{cid}.bin").read_bytes()


def _broken_captures() -> dict[str, tuple[bytes, str]]:
    """timestamp -> (payload, outcome expected), all newer than the good capture."""
    good = _payload(GOOD)
    return {
        "20160101000000": (good[: len(good) // 2], "failed:truncated-capture"),
        "20160201000000": (b"", "failed:not-html"),
        "20160301000000": (CRAWL_TIME_REDIRECT, "skip:archive-error:redirect"),
        "20160401000000": (_payload(SOFT_404), "skip:not-a-post:soft-404"),
        "20160501000000": (random.Random(6).randbytes(30_000), "failed:not-html"),
        "20160601000000": (NOT_ARCHIVED, "skip:archive-error:not-archived"),
    }


def _broken_archive() -> Archive:
    archive = Archive.from_directory(DEV_CORPUS)
    for timestamp, (body, _) in _broken_captures().items():
        archive.add_capture(POST, timestamp, body)
    # a loop between two URL forms of the post: both are redirect variants
    archive.add_capture(POST, "20160701000000", b"", status=301, location=HTTPS_POST)
    archive.add_capture(HTTPS_POST, "20160701000001", b"", status=301, location=POST)
    # a loop between a shortlink and an alias that has no page at all
    archive.add_capture(
        LOOP_NODE, "20160801000000", b"", status=301, location=LOOP_POST
    )
    archive.add_capture(
        LOOP_POST, "20160801000001", b"", status=301, location=LOOP_NODE
    )
    return archive


@dataclass
class Run:
    output_dir: Path
    returncode: int
    stderr: str
    fetches: Counter[str]


def _crawl(archive: Archive, output_dir: Path) -> Run:
    with WaybackServer(archive) as server:
        result = run_crawl(server.base_url, output_dir, **PUBLIC_URLS)
        fetches = Counter(
            r.path for r in server.requests_log if r.path.startswith("/web/")
        )
    return Run(output_dir, result.returncode, result.stderr, fetches)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    root = tmp_path_factory.mktemp("broken")
    with ThreadPoolExecutor(max_workers=2) as pool:
        clean = pool.submit(_crawl, Archive.from_directory(DEV_CORPUS), root / "clean")
        broken = pool.submit(_crawl, _broken_archive(), root / "broken")
        yield {"clean": clean.result(), "broken": broken.result()}


def _record(run: Run, url: str) -> dict[str, Any]:
    return next(r for r in read_records(run.output_dir) if r["url"] == url)


def test_both_crawls_exit_0(runs: dict[str, Run]) -> None:
    assert runs["clean"].returncode == 0, runs["clean"].stderr[-3000:]
    assert runs["broken"].returncode == 0, runs["broken"].stderr[-3000:]


def test_the_post_comes_from_the_good_older_capture(runs: dict[str, Run]) -> None:
    clean = _record(runs["clean"], POST)
    broken = _record(runs["broken"], POST)
    assert broken["capture"]["timestamp"] == "20140302185900"
    assert {k: v for k, v in broken.items() if k != "captures"} == {
        k: v for k, v in clean.items() if k != "captures"
    }


def test_the_posts_files_are_those_of_a_clean_crawl(runs: dict[str, Run]) -> None:
    clean = dataset_files(runs["clean"].output_dir)
    broken = dataset_files(runs["broken"].output_dir)
    assert {p: b for p, b in broken.items() if p.startswith("posts/")} == {
        p: b for p, b in clean.items() if p.startswith("posts/")
    }
    clean_lines = {
        r["url"]: r
        for r in without_warc_locations(read_records(runs["clean"].output_dir))
    }
    broken_lines = {
        r["url"]: r
        for r in without_warc_locations(read_records(runs["broken"].output_dir))
    }
    del clean_lines[POST], broken_lines[POST]
    assert broken_lines == clean_lines


def test_each_broken_capture_is_listed_with_its_outcome(runs: dict[str, Run]) -> None:
    captures = _record(runs["broken"], POST)["captures"]
    outcomes = {
        c["timestamp"]: c["outcome"] for c in captures if c["timestamp"] >= "2016"
    }
    expected = {ts: outcome for ts, (_, outcome) in _broken_captures().items()}
    expected |= {
        "20160701000000": "skip:redirect-variant",
        "20160701000001": "skip:redirect-variant",
    }
    assert outcomes == expected
    assert [c["timestamp"] for c in captures if c["used"]] == ["20140302185900"]


def test_the_run_report_counts_each_reason(runs: dict[str, Run]) -> None:
    clean = last_report(runs["clean"].output_dir)
    broken = last_report(runs["broken"].output_dir)
    assert Counter(broken["failed"]) - Counter(clean["failed"]) == Counter(
        {"not-html": 2, "truncated-capture": 1}
    )
    assert Counter(broken["skipped"]) - Counter(clean["skipped"]) == Counter(
        {
            "archive-error:redirect": 1,
            "archive-error:not-archived": 1,
            "not-a-post:soft-404": 1,
            "redirect-variant": 2,
            "redirect-to-post": 1,
            "redirect-to-node": 1,
        }
    )
    assert Counter(clean["skipped"]) - Counter(broken["skipped"]) == Counter()


def test_the_accounting_adds_up(runs: dict[str, Run]) -> None:
    for run in runs.values():
        report = last_report(run.output_dir)
        assert report["accounting"]["pending"] == 0
        assert sum(report["accounting"].values()) == report["captures_discovered"]
    broken = last_report(runs["broken"].output_dir)
    clean = last_report(runs["clean"].output_dir)
    assert broken["captures_discovered"] == clean["captures_discovered"] + 10
    assert broken["posts_total"] == clean["posts_total"] == 10


def test_each_capture_is_fetched_once_but_the_truncated_one(
    runs: dict[str, Run],
) -> None:
    """The redirect loop is followed once each way; a capture whose document is cut
    is fetched again ISE_ARCHIVE_TRUNCATED_RETRIES (1) time before the next one."""
    fetches = runs["broken"].fetches
    retries = settings.ISE_ARCHIVE_TRUNCATED_RETRIES
    assert {path: n for path, n in fetches.items() if n > 1} == {
        f"/web/20160101000000id_/{POST}": 1 + retries
    }
    assert fetches[f"/web/20160801000000id_/{LOOP_NODE}"] == 1
    assert fetches[f"/web/20160801000001id_/{LOOP_POST}"] == 1
