"""End to end: one crawl, two archives (issue 14).

The main archive is the project's Wayback imitation holding the dev corpus *minus*
some posts (every capture under their URLs held back); the second is a real pywb
collection (``eot2016``) holding those posts and one more that both archives hold.
In the main archive the newest page of that shared post is broken (cut in half), so
its fetch fails there and falls back to pywb. ``-s ISE_ARCHIVE_MORE_ARCHIVES`` names
the collection; the crawl must give every post once, with the gold fields, fetch no
payload from both archives but the broken one, name in each capture the archive
that served it, and still write the partial records only feeds remember.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest

from ise_archive.normalize.urls import canonical_post_url
from tests.e2e.crawl import (
    expected_gold_fields,
    gold_fields,
    gold_posts,
    last_report,
    read_records,
    run_crawl,
)
from tests.pywb.fixtures import serve_rows
from tests.pywb.server import PywbServer
from tests.wayback.archive import Archive, CaptureRow, DirectoryStore
from tests.wayback.fixtures import DEV_CORPUS
from tests.wayback.server import WaybackServer

pytestmark = pytest.mark.e2e

COLLECTION = "eot2016"


def _post_of(row: CaptureRow) -> str | None:
    return canonical_post_url(row.original)


GOLD = sorted(gold_posts())
HELD_BACK = frozenset(GOLD[0::3])  # in pywb only
SHARED = GOLD[1]  # in both; its newest page is broken in the main archive


@dataclass
class TwoArchiveRun:
    main: WaybackServer
    pywb: PywbServer
    output_dir: Path
    returncode: int
    stderr: str
    pywb_requests: list[tuple[str, int]]
    broken: CaptureRow


def _newest_page(rows: list[CaptureRow], url: str) -> CaptureRow:
    pages = [
        r
        for r in rows
        if _post_of(r) == url and r.statuscode == "200" and "/print/" not in r.original
    ]
    return max(pages, key=lambda r: r.timestamp)


@pytest.fixture(scope="module")
def two_archives(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[TwoArchiveRun]:
    dev = Archive.from_directory(DEV_CORPUS)
    rows = dev.rows()
    broken = _newest_page(rows, SHARED)
    main = Archive(store=DirectoryStore(DEV_CORPUS))
    main.extend(r for r in rows if _post_of(r) not in HELD_BACK and r is not broken)
    payload = dev.payload(broken)
    main.add_capture(
        broken.original,
        broken.timestamp,
        payload[: len(payload) // 2],
        headers=dict(broken.headers),
    )
    main.refresh_page_index()
    in_pywb = [r for r in rows if _post_of(r) in HELD_BACK or _post_of(r) == SHARED]
    home = tmp_path_factory.mktemp("two-archives")
    with (
        WaybackServer(main) as wayback,
        serve_rows(home / "pywb", COLLECTION, dev, in_pywb) as pywb,
    ):
        mark = pywb.log_mark()
        result = run_crawl(
            wayback.base_url,
            home / "output",
            ISE_ARCHIVE_MORE_ARCHIVES=pywb.root,
        )
        yield TwoArchiveRun(
            wayback,
            pywb,
            home / "output",
            result.returncode,
            result.stderr,
            pywb.requests(mark),
            broken,
        )


def _main_fetches(run: TwoArchiveRun) -> set[tuple[str, str]]:
    fetched = set()
    for record in run.main.requests_log:
        if record.pool == "replay" and record.path.startswith("/web/"):
            stamp, _, original = record.path[len("/web/") :].partition("id_/")
            fetched.add((stamp, unquote(original)))
    return fetched


def _pywb_fetches(run: TwoArchiveRun) -> set[tuple[str, str]]:
    prefix = f"/{COLLECTION}/"
    fetched = set()
    for path, _ in run.pywb_requests:
        if path.startswith(prefix) and "id_/" in path:
            stamp, _, original = path[len(prefix) :].partition("id_/")
            fetched.add((stamp, unquote(original)))
    return fetched


def test_crawl_succeeds(two_archives: TwoArchiveRun) -> None:
    assert two_archives.returncode == 0, two_archives.stderr[-3000:]


def test_every_post_once_with_the_gold_fields(two_archives: TwoArchiveRun) -> None:
    records = read_records(two_archives.output_dir)
    assert sorted(r["url"] for r in records) == GOLD
    gold = gold_posts()
    for record in records:
        assert gold_fields(record) == expected_gold_fields(gold[record["url"]])


def test_no_payload_is_fetched_from_both_but_the_broken_one(
    two_archives: TwoArchiveRun,
) -> None:
    broken = (two_archives.broken.timestamp, two_archives.broken.original)
    both = _main_fetches(two_archives) & _pywb_fetches(two_archives)
    assert both == {broken}
    pywb_urls = {canonical_post_url(url) for _, url in _pywb_fetches(two_archives)}
    assert pywb_urls - {None} == HELD_BACK | {SHARED}


def test_each_capture_names_the_archive_that_served_it(
    two_archives: TwoArchiveRun,
) -> None:
    main_name = "127.0.0.1-" + two_archives.main.base_url.rsplit(":", 1)[1]
    pywb_root = two_archives.pywb.root
    for record in read_records(two_archives.output_dir):
        used = next(c for c in record["captures"] if c["used"])
        # /node/<nid> redirects are not under the post's URL: the main archive
        # keeps them
        names = {
            c["archive"]
            for c in record["captures"]
            if canonical_post_url(c["original"]) == record["url"]
        }
        if record["url"] in HELD_BACK:
            assert names == {COLLECTION}
        elif record["url"] == SHARED:
            assert used["timestamp"] == two_archives.broken.timestamp
            assert used["archive"] == COLLECTION
            assert names == {COLLECTION, main_name}
        else:
            assert names == {main_name}
        assert record["capture"]["archive_url"] == used["archive_url"]
        if used["archive"] == COLLECTION:
            assert used["archive_url"] == (
                f"{pywb_root}/{used['timestamp']}/{used['original']}"
            )


def test_partial_records_and_the_report_still_come(
    two_archives: TwoArchiveRun,
) -> None:
    partial = read_records(two_archives.output_dir, completeness="partial")
    assert "NIEM 3.2 and Beyond" in {r["title"] for r in partial}
    report = last_report(two_archives.output_dir)
    assert report["posts_partial"] == len(partial)
    assert report["parameters"]["more_archives"] == [f"pywb:{two_archives.pywb.root}"]
    pools = report["requests_by_pool"]
    assert pools.get(f"cdx@{COLLECTION}") and pools.get(f"replay@{COLLECTION}")
    assert json.dumps(pools)  # the pools of both archives are reported
