"""Spider arguments: ``-a versions=all``, ``-a from= -a to=``, ``-a prefix=``."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

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


def test_exact_lookups_ask_only_the_years_discovery_covers(
    wayback_server: WaybackServer, tmp_path: Path
) -> None:
    """Issue 10: with only the feeds under a prefix, the posts they name are looked
    up exactly, each lookup bounded by ISE_ARCHIVE_FROM_YEAR/TO_YEAR as the prefix
    queries are, so no capture from outside those years comes back."""
    result = run_crawl(
        wayback_server.base_url,
        tmp_path / "out",
        ISE_ARCHIVE_CDX_PREFIXES="ise.gov/iseblog",
        ISE_ARCHIVE_FROM_YEAR="2010",
        ISE_ARCHIVE_TO_YEAR="2013",
    )

    assert result.returncode == 0, result.stderr[-3000:]
    asked = [
        parse_qs(urlsplit(record.path).query)
        for record in wayback_server.requests_log
        if record.pool == "cdx"
    ]
    windows = Counter(
        (q["matchType"][0], q.get("from", ["-"])[0], q.get("to", ["-"])[0])
        for q in asked
    )
    lookups = windows[("exact", "2010", "2013")]
    # one per post URL the feeds of the years asked name (monthly sampling reads
    # the 2011 and the 2013 capture of /iseblog/feed: 10 distinct posts each)
    assert lookups == 20
    assert windows == {
        ("prefix", "2010", "2011"): 1,
        ("prefix", "2012", "2013"): 1,
        ("prefix", "2010", "2013"): 2,  # the port forms
        ("exact", "2010", "2013"): lookups,
        ("prefix", "-", "-"): 2,  # the posts' files: any capture time will do
    }
    records = read_records(tmp_path / "out", completeness=None)
    times = {c["timestamp"][:4] for r in records for c in r["captures"]}
    assert records and times <= {"2010", "2011", "2012", "2013"}
