"""End to end: ``scrapy crawl ise_blog`` against the local Wayback imitation (issue 3).

One crawl of the dev corpus is shared by the read-only checks (module-scoped), since
each real crawl takes a few seconds.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ise_archive import settings
from ise_archive.markdown.links import archived_entry
from tests.e2e.crawl import gold_posts, read_records, replay_fetches, run_crawl
from tests.wayback.archive import Archive
from tests.wayback.fixtures import DEV_CORPUS
from tests.wayback.server import WaybackServer

pytestmark = pytest.mark.e2e


@dataclass
class CrawlRun:
    server: WaybackServer
    output_dir: Path
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def clean_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrawlRun]:
    output_dir = tmp_path_factory.mktemp("crawl") / "output"
    with WaybackServer(Archive.from_directory(DEV_CORPUS)) as server:
        result = run_crawl(server.base_url, output_dir)
        yield CrawlRun(
            server, output_dir, result.returncode, result.stdout, result.stderr
        )


def test_crawl_succeeds(clean_crawl: CrawlRun) -> None:
    assert clean_crawl.returncode == 0, clean_crawl.stderr[-3000:]


def test_every_post_comes_out_exactly_once(clean_crawl: CrawlRun) -> None:
    urls = [record["url"] for record in read_records(clean_crawl.output_dir)]
    assert sorted(urls) == sorted(gold_posts())


@pytest.mark.parametrize("url", sorted(gold_posts()))
def test_record_fields_match_the_ground_truth(clean_crawl: CrawlRun, url: str) -> None:
    gold = gold_posts()[url]
    record = next(r for r in read_records(clean_crawl.output_dir) if r["url"] == url)
    assert _comparable(record) == {
        "title": gold["title"],
        "author": gold["author"],
        "published": gold["published"],
        "tags": gold["tags"],
        "tag_urls": gold["tag_urls"],
        "related": gold["related"],
    }


def test_no_capture_is_fetched_twice(clean_crawl: CrawlRun) -> None:
    fetches = replay_fetches(clean_crawl.server.requests_log)
    assert {path: n for path, n in fetches.items() if n > 1} == {}


def test_replay_fetches_per_post_stay_low(clean_crawl: CrawlRun) -> None:
    """Post-page fetches (not listings/feeds) on the default policy: ≤ 1.2 per post."""
    fetches = replay_fetches(clean_crawl.server.requests_log)
    post_fetches = [
        p for p in fetches if "/blog/" in p.split("/", 3)[3] or "/node/" in p
    ]
    post_fetches = [p for p in post_fetches if not p.rstrip("/").endswith("/feed")]
    n_posts = len(gold_posts())
    assert len(post_fetches) <= 1.2 * n_posts + 1  # +1: the /node/N redirect


def test_every_capture_is_accounted_for(clean_crawl: CrawlRun) -> None:
    report = _last_report(clean_crawl.output_dir)
    accounting = report["accounting"]
    assert accounting.get("pending", 0) == 0
    assert sum(accounting.values()) == report["captures_discovered"]
    # Every distinct capture under the discovery prefixes (front, tag and user pages
    # are outside them and never listed).
    prefixes = tuple(
        "gov,ise)" + p.removeprefix("ise.gov")
        for p in settings.ISE_ARCHIVE_CDX_PREFIXES
    )
    listed = {
        (row.timestamp, row.original)
        for row in Archive.from_directory(DEV_CORPUS).rows()
        if row.urlkey.startswith(prefixes)
    }
    assert report["captures_discovered"] == len(listed)


def _last_report(output_dir: Path) -> dict[str, Any]:
    from tests.e2e.crawl import last_report

    return last_report(output_dir)


def _comparable(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": record["title"],
        "author": record["author"],
        "published": record["published"],
        "tags": [t["name"] for t in record["tags"]],
        "tag_urls": [t["url"] for t in record["tags"]],
        "related": record["related"],
    }


def test_the_crawled_dataset_validates(clean_crawl: CrawlRun) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ise_archive", "validate", str(clean_crawl.output_dir)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_crawled_dataset_exports_to_parquet(
    clean_crawl: CrawlRun, tmp_path: Path
) -> None:
    import pyarrow.parquet as pq

    from ise_archive.dataset.export import export_parquet

    target = export_parquet(clean_crawl.output_dir, tmp_path / "records.parquet")
    table = pq.read_table(target)
    every = read_records(clean_crawl.output_dir, completeness=None)
    assert table.column("url").to_pylist() == [r["url"] for r in every]
    assert table.column("completeness").to_pylist() == [
        r["completeness"] for r in every
    ]


def test_markdown_files_have_the_seed_layout(clean_crawl: CrawlRun) -> None:
    path = (
        clean_crawl.output_dir
        / "posts/2011/10/social-media-and-law-enforcement-tweeting-front-line.md"
    )
    text = path.read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == [
        "# Social Media and Law Enforcement: Tweeting from the front line",
        "## Engaging with Minnesota",
        "## Social Media in a Crisis",
        "## Key Lessons",
        "## Reference",
        "## Links",
    ]
    assert "By [ISE Bloggers][1]" in text
    assert "Officer Safety in Indian Country – Reversing a Deadly Trend" in text
    document = text.split("\n---\n", 1)[1]  # after the YAML front matter
    assert " ? " not in document
    assert "(#)" not in document
    # the Links list names each link's archived copy at the capture time; no other
    # archive URL may be left in the document
    record = next(
        r
        for r in read_records(clean_crawl.output_dir)
        if r["url"].endswith("/social-media-and-law-enforcement-tweeting-front-line")
    )
    timestamp = record["capture"]["timestamp"]
    assert all(
        link["archived_url"].endswith(f"/web/{timestamp}/{link['url']}")
        for link in record["links"]
    )
    for link in record["links"]:
        document = document.replace(archived_entry(link["archived_url"]), "", 1)
    assert "/web/" not in document


def test_posts_known_only_from_feeds_get_partial_records(clean_crawl: CrawlRun) -> None:
    """The dev feeds and listings name posts no capture holds (issue 14)."""
    partial = read_records(clean_crawl.output_dir, completeness="partial")
    full_urls = {r["url"] for r in read_records(clean_crawl.output_dir)}
    niem = next(r for r in partial if r["title"] == "NIEM 3.2 and Beyond")
    feed = "https://www.ise.gov/iseblog/feed"
    assert {k: niem[k] for k in ("url", "author", "published", "tags", "sources")} == {
        "url": "http://www.ise.gov/blog/joe-laporte/niem-32-and-beyond",
        "author": "Joe LaPorte",
        "published": "2015-10-06T11:00:00-04:00",
        "tags": [{"name": "NIEM", "url": "http://www.ise.gov/category/free-tags/niem"}],
        "sources": [f"{clean_crawl.server.base_url}/web/20160201120000/{feed}"],
    }
    assert niem["body_markdown"] == (
        "The latest NIEM release brings new domains and smoother tooling.\n"
    )
    assert not {r["url"] for r in partial} & full_urls
    assert all(r["captures"] == [] and r["sources"] for r in partial)
    report = _last_report(clean_crawl.output_dir)
    assert report["posts_partial"] == len(partial) > 0
    card = (clean_crawl.output_dir / "README.md").read_text(encoding="utf-8")
    assert f'(`completeness: "partial"`): {len(partial)}' in card
    markdown = (
        clean_crawl.output_dir / "posts/2015/10/niem-32-and-beyond.md"
    ).read_text(encoding="utf-8")
    assert 'completeness: "partial"' in markdown and "Partial record." in markdown


def test_posts_only_older_feed_captures_name_are_known(clean_crawl: CrawlRun) -> None:
    """Each archived feed lists the posts of its day: the 2011 and 2013 captures of
    /iseblog/feed name posts the 2016 one no longer does, and the default monthly
    sampling reads them (ISE_ARCHIVE_LISTING_SAMPLING)."""
    partial = read_records(clean_crawl.output_dir, completeness="partial")
    by_url = {r["url"]: r for r in partial}
    record = by_url[
        "http://www.ise.gov/blog/joe-laporte/common-terrorism-information-sharing-standards-explained"
    ]
    base = clean_crawl.server.base_url
    assert (
        f"{base}/web/20111012030118/http://www.ise.gov/iseblog/feed"
        in (record["sources"])
    )
    assert all(source.split("/")[4] < "2016" for source in record["sources"])
    fetched = replay_fetches(clean_crawl.server.requests_log)
    feeds = sorted(p.split("/")[2] for p in fetched if p.endswith("/iseblog/feed"))
    assert [t[:6] for t in feeds] == ["201110", "201305", "201602"]
