"""Faults in transit (issue 6): the dataset comes out the same, or the run says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from ise_archive.archive.cdx import DEFAULT_PREFIXES
from tests.e2e.crawl import (
    dataset_files,
    gold_posts,
    last_report,
    read_records,
    run_crawl,
)
from tests.wayback.archive import Archive
from tests.wayback.fixtures import DEV_CORPUS
from tests.wayback.server import WaybackServer

pytestmark = pytest.mark.e2e

#: Records name the public archive, not the test server's port, so runs compare.
PUBLIC_URLS = {"ISE_ARCHIVE_ARCHIVE_URL_BASE": "https://web.archive.org"}

ALL_FAULTS = ";".join(
    [
        "429@cdx,first=2",
        "429@replay,every=5,retry_after=0",
        "429@replay,every=7",
        "503@all,every=4",
        "reset@replay,every=6",
        "truncate@replay,every=9",
        "slow@replay,every=3,delay_ms=50",
        "dup-gzip@replay,every=2",
        "ratelimit@cdx,rpm=600,burst=3",
    ]
)


def test_all_faults_at_once_give_the_same_dataset_as_a_clean_run(
    tmp_path: Path,
) -> None:
    with WaybackServer(Archive.from_directory(DEV_CORPUS)) as clean_server:
        clean = run_crawl(clean_server.base_url, tmp_path / "clean", **PUBLIC_URLS)
    assert clean.returncode == 0, clean.stderr[-3000:]

    with WaybackServer(Archive.from_directory(DEV_CORPUS)) as server:
        server.faults.configure(ALL_FAULTS)
        faulty = run_crawl(server.base_url, tmp_path / "faulty", **PUBLIC_URLS)
        injected = server.faults.injected()

    assert faulty.returncode == 0, faulty.stderr[-3000:]
    assert sum(injected.values()) > 10, injected
    clean_files = dataset_files(tmp_path / "clean")
    faulty_files = dataset_files(tmp_path / "faulty")
    assert faulty_files["records.jsonl"] == clean_files["records.jsonl"]
    assert sorted(r["url"] for r in read_records(tmp_path / "faulty")) == sorted(
        gold_posts()
    )


def test_connection_refused_stops_resumably_with_exit_2(
    wayback_server: WaybackServer, tmp_path: Path
) -> None:
    output_dir = tmp_path / "out"
    wayback_server.faults.configure("refuse@replay,first=1,block_ms=300")

    blocked = run_crawl(wayback_server.base_url, output_dir)

    assert blocked.returncode == 75, blocked.stderr[-3000:]
    assert last_report(output_dir)["status"] == "blocked"
    wayback_server.faults.clear()
    resumed = run_crawl(wayback_server.base_url, output_dir)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert sorted(r["url"] for r in read_records(output_dir)) == sorted(gold_posts())


def test_a_cdx_outage_fails_the_run_instead_of_reporting_no_change(
    wayback_server: WaybackServer, tmp_path: Path
) -> None:
    output_dir = tmp_path / "out"
    few_windows = {
        "ISE_ARCHIVE_FROM_YEAR": "2010",
        "ISE_ARCHIVE_TO_YEAR": "2017",
        "ISE_ARCHIVE_CDX_WINDOW_YEARS": "8",
    }
    wayback_server.faults.configure("503@cdx,p=1,times=1000")

    outage = run_crawl(wayback_server.base_url, output_dir, **few_windows)

    assert outage.returncode == 1, outage.stderr[-3000:]
    report = last_report(output_dir)
    assert report["status"] == "failed"
    # one window per prefix, each failed after its retries
    assert report["discovery_failed"] == {"http-503": len(DEFAULT_PREFIXES)}
    assert "discovery is incomplete" in report["reasons"][0]
    wayback_server.faults.clear()
    recovered = run_crawl(wayback_server.base_url, output_dir, **few_windows)
    assert recovered.returncode == 0, recovered.stderr[-3000:]
    assert sorted(r["url"] for r in read_records(output_dir)) == sorted(gold_posts())
