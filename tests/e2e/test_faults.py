"""Faults in transit (issue 6): the dataset comes out the same, or the run says why."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from ise_archive.archive.cdx import DEFAULT_PORT_FORMS, DEFAULT_PREFIXES
from tests.e2e.crawl import (
    dataset_files,
    gold_posts,
    last_report,
    read_records,
    run_crawl,
    without_warc_locations,
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
    assert without_warc_locations(
        read_records(tmp_path / "faulty")
    ) == without_warc_locations(read_records(tmp_path / "clean"))
    assert {p: b for p, b in faulty_files.items() if p.startswith("posts/")} == {
        p: b for p, b in clean_files.items() if p.startswith("posts/")
    }
    assert sorted(r["url"] for r in read_records(tmp_path / "faulty")) == sorted(
        gold_posts()
    )


def test_connection_refused_stops_resumably_with_exit_75(
    wayback_server: WaybackServer, tmp_path: Path
) -> None:
    output_dir = tmp_path / "out"
    wayback_server.faults.configure("refuse@replay,first=1,block_ms=300")

    blocked = run_crawl(wayback_server.base_url, output_dir)

    assert blocked.returncode == 75, blocked.stderr[-3000:]
    assert last_report(output_dir)["status"] == "blocked"
    assert _errors(blocked.stderr) == [
        f"cannot reach {wayback_server.base_url}: connection refused."
    ]
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
    # one window per prefix and one per prefix and port form, each failed after
    # its retries
    assert report["discovery_failed"] == {
        "http-503": len(DEFAULT_PREFIXES) * (1 + len(DEFAULT_PORT_FORMS))
    }
    assert "discovery is incomplete" in report["reasons"][0]
    wayback_server.faults.clear()
    recovered = run_crawl(wayback_server.base_url, output_dir, **few_windows)
    assert recovered.returncode == 0, recovered.stderr[-3000:]
    assert sorted(r["url"] for r in read_records(output_dir)) == sorted(gold_posts())


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("ise-archive-test.invalid", "host name does not resolve"),
        ("127.0.0.1:{closed_port}", "connection refused"),
    ],
)
def test_an_unreachable_archive_is_said_in_one_line_and_exits_75(
    tmp_path: Path, host: str, reason: str
) -> None:
    """Issue 10: no network, a typo in the host or a closed port: said, not hung."""
    output_dir = tmp_path / "out"
    with socket.socket() as sock:  # a port that was free a moment ago: closed
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    base_url = "http://" + host.format(closed_port=closed_port)

    result = run_crawl(base_url, output_dir, timeout=120)

    assert result.returncode == 75, result.stderr[-3000:]
    assert _errors(result.stderr) == [f"cannot reach {base_url}: {reason}."]
    assert "Traceback" not in result.stderr
    report = last_report(output_dir)
    assert (report["status"], report["reasons"]) == (
        "blocked",
        [f"cannot reach {base_url}: {reason}"],
    )
    assert (output_dir / ".state" / "state.sqlite3").is_file()


def _errors(stderr: str) -> list[str]:
    """The ERROR lines of a crawl's log, up to the first full stop of each."""
    return [
        line.split("ERROR: ", 1)[1].split(". ", 1)[0] + "."
        for line in stderr.splitlines()
        if "] ERROR: " in line
    ]


def test_after_429s_every_pool_is_back_at_its_configured_rate(
    wayback_server: WaybackServer, tmp_path: Path
) -> None:
    """Issue 10: 429s (no Retry-After) slow a pool for a while, not for the run."""
    output_dir = tmp_path / "out"
    wayback_server.faults.configure(
        "429@cdx,every=2,times=2;429@replay,every=2,times=2"
    )

    result = run_crawl(
        wayback_server.base_url,
        output_dir,
        ISE_ARCHIVE_CDX_RPM="60000",  # 1 ms apart: a halved rate shows in the delay
        ISE_ARCHIVE_REPLAY_RPS="1000",
    )

    assert result.returncode == 0, result.stderr[-3000:]
    report = last_report(output_dir)
    assert report["responses_429"] == {"cdx": 2, "replay": 2}
    assert report["pool_delays_s"] == {"cdx": 0.001, "replay": 0.001}
    slowed = [line for line in result.stderr.splitlines() if "429 from the" in line]
    assert len(slowed) == 4
    assert any("(50% of its rate)" in line for line in slowed)
    assert sorted(r["url"] for r in read_records(output_dir)) == sorted(gold_posts())
