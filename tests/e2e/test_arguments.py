"""Spider arguments: ``-a versions=all``, ``-a from= -a to=``, ``-a prefix=``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.crawl import gold_posts, read_records, replay_fetches, run_crawl
from tests.wayback.server import WaybackServer

pytestmark = pytest.mark.e2e


def test_versions_all_fetches_every_distinct_content(
    wayback_server: WaybackServer, tmp_path: Path
) -> None:
    result = run_crawl(wayback_server.base_url, tmp_path / "out", "-a", "versions=all")

    assert result.returncode == 0, result.stderr[-3000:]
    records = read_records(tmp_path / "out")
    assert sorted(r["url"] for r in records) == sorted(gold_posts())
    fetches = replay_fetches(wayback_server.requests_log)
    assert {path: n for path, n in fetches.items() if n > 1} == {}
    for record in records:
        recorded = [c for c in record["captures"] if c["outcome"] == "record"]
        digests = [c["digest"] for c in recorded]
        assert len(digests) == len(set(digests)), record["url"]  # one fetch per payload
        assert len(record["versions"]) <= len(recorded)
    # The dev corpus has several payloads for most posts: all of them are read (the
    # article text is the same in each, so they are one content version).
    recorded = sum(
        1 for r in records for c in r["captures"] if c["outcome"] == "record"
    )
    assert recorded > 2 * len(records)


def test_date_range_keeps_only_captures_made_in_it(
    wayback_server: WaybackServer, tmp_path: Path
) -> None:
    result = run_crawl(
        wayback_server.base_url, tmp_path / "out", "-a", "from=2011", "-a", "to=2011"
    )

    assert result.returncode == 0, result.stderr[-3000:]
    records = read_records(tmp_path / "out")
    assert sorted(r["url"] for r in records) == [
        "http://www.ise.gov/blog/ise-bloggers/social-media-and-law-enforcement-tweeting-front-line",
        "http://www.ise.gov/blog/joe-laporte/officer-safety-indian-country-%E2%80%93-reversing-deadly-trend",
    ]
    for record in records:
        assert record["capture"]["timestamp"].startswith("2011")


def test_prefix_keeps_only_posts_under_it(
    wayback_server: WaybackServer, tmp_path: Path
) -> None:
    prefix = "http://www.ise.gov/blog/kshemendra-paul"
    result = run_crawl(
        wayback_server.base_url, tmp_path / "out", "-a", f"prefix={prefix}"
    )

    assert result.returncode == 0, result.stderr[-3000:]
    urls = sorted(r["url"] for r in read_records(tmp_path / "out"))
    assert urls == sorted(u for u in gold_posts() if u.startswith(prefix + "/"))


def test_a_bad_argument_stops_before_any_request(
    wayback_server: WaybackServer, tmp_path: Path
) -> None:
    result = run_crawl(wayback_server.base_url, tmp_path / "out", "-a", "from=20x1")

    assert result.returncode == 3
    assert "from" in result.stderr
    assert wayback_server.requests_log == []


def test_small_cdx_pages_are_followed_by_resume_key(
    wayback_server: WaybackServer, tmp_path: Path
) -> None:
    result = run_crawl(
        wayback_server.base_url, tmp_path / "out", ISE_ARCHIVE_CDX_PAGE_SIZE="4"
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(r["url"] for r in read_records(tmp_path / "out")) == sorted(
        gold_posts()
    )
    resumed = [r for r in wayback_server.requests_log if "resumeKey=" in r.path]
    assert len(resumed) >= 10
