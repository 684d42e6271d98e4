"""End to end: one crawl, two archives (issue 14).

The main archive holds the dev corpus *minus* some posts (every capture under their
URLs held back); the other holds those posts and one more that both archives hold.
In the main archive the newest page of that shared post is broken (cut in half), so
its fetch fails there and falls back to the other. Both orders are crawled: the
project's Wayback imitation as the main archive with a real pywb collection
(``eot2016``) in ``ISE_ARCHIVE_MORE_ARCHIVES``, and the other way round. The crawl
must give every post once, with the gold fields, fetch no payload from both
archives but the broken one, name in each capture the archive that served it, and
still write the partial records only feeds remember.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

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
GOLD = sorted(gold_posts())
HELD_BACK = frozenset(GOLD[0::3])  # in the other archive only
SHARED = GOLD[1]  # in both; its newest page is broken in the main archive


def _post_of(row: CaptureRow) -> str | None:
    return canonical_post_url(row.original)


@dataclass
class Served:
    """One archive of the crawl: the imitation or a real pywb."""

    server: WaybackServer | PywbServer
    mark: int = 0

    @property
    def is_pywb(self) -> bool:
        return isinstance(self.server, PywbServer)

    @property
    def root(self) -> str:
        server = self.server
        return server.root if isinstance(server, PywbServer) else server.base_url

    @property
    def name(self) -> str:
        """What records call it (ise_archive.archive.archives.archive_name)."""
        return COLLECTION if self.is_pywb else "127.0.0.1-" + self.root.split(":")[-1]

    def spec(self) -> str:
        return f"{'pywb' if self.is_pywb else 'wayback'}:{self.root}"

    def replay_root(self) -> str:
        return self.root if self.is_pywb else f"{self.root}/web"

    def fetched(self) -> set[tuple[str, str]]:
        """``(timestamp, original)`` of every raw replay request it answered."""
        server = self.server
        if isinstance(server, PywbServer):
            paths = [path for path, _ in server.requests(self.mark)]
        else:
            paths = [r.path for r in server.requests_log if r.pool == "replay"]
        prefix = urlsplit(self.replay_root()).path + "/"
        fetched = set()
        for path in paths:
            if path.startswith(prefix) and "id_/" in path:
                stamp, _, original = path[len(prefix) :].partition("id_/")
                fetched.add((stamp, unquote(original)))
        return fetched


@dataclass
class TwoArchiveRun:
    main: Served
    other: Served
    output_dir: Path
    returncode: int
    stderr: str
    broken: CaptureRow


def _newest_page(rows: list[CaptureRow], url: str) -> CaptureRow:
    pages = [
        r
        for r in rows
        if _post_of(r) == url and r.statuscode == "200" and "/print/" not in r.original
    ]
    return max(pages, key=lambda r: r.timestamp)


def _serve(kind: str, archive: Archive, home: Path, stack: ExitStack) -> Served:
    if kind == "pywb":
        pywb = serve_rows(home / "pywb", COLLECTION, archive, archive.rows())
        stack.enter_context(pywb)
        return Served(pywb, pywb.log_mark())
    return Served(stack.enter_context(WaybackServer(archive)))


@pytest.fixture(scope="module", params=["wayback", "pywb"], ids=lambda k: f"main-{k}")
def two_archives(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TwoArchiveRun]:
    """The main archive (of kind ``request.param``) lacks the held-back posts and
    has the shared post's newest page broken; the other archive (the other kind)
    holds the held-back posts and the shared one."""
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
    other = Archive(store=DirectoryStore(DEV_CORPUS))
    other.extend(r for r in rows if _post_of(r) in HELD_BACK or _post_of(r) == SHARED)
    home = tmp_path_factory.mktemp(f"two-archives-{request.param}")
    other_kind = "wayback" if request.param == "pywb" else "pywb"
    with ExitStack() as stack:
        main_served = _serve(request.param, main, home, stack)
        other_served = _serve(other_kind, other, home, stack)
        result = run_crawl(
            main_served.spec(),
            home / "output",
            ISE_ARCHIVE_MORE_ARCHIVES=other_served.spec(),
        )
        yield TwoArchiveRun(
            main_served,
            other_served,
            home / "output",
            result.returncode,
            result.stderr,
            broken,
        )


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
    from_other = two_archives.other.fetched()
    assert two_archives.main.fetched() & from_other == {broken}
    other_urls = {canonical_post_url(url) for _, url in from_other}
    assert other_urls - {None} == HELD_BACK | {SHARED}


def test_each_capture_names_the_archive_that_served_it(
    two_archives: TwoArchiveRun,
) -> None:
    main, other = two_archives.main, two_archives.other
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
            assert names == {other.name}
        elif record["url"] == SHARED:
            assert used["timestamp"] == two_archives.broken.timestamp
            assert used["archive"] == other.name
            assert names == {other.name, main.name}
        else:
            assert names == {main.name}
        assert record["capture"]["archive_url"] == used["archive_url"]
        served = other if used["archive"] == other.name else main
        assert used["archive_url"] == (
            f"{served.replay_root()}/{used['timestamp']}/{used['original']}"
        )


def test_partial_records_and_the_report_still_come(
    two_archives: TwoArchiveRun,
) -> None:
    partial = read_records(two_archives.output_dir, completeness="partial")
    assert "NIEM 3.2 and Beyond" in {r["title"] for r in partial}
    report = last_report(two_archives.output_dir)
    assert report["posts_partial"] == len(partial)
    assert report["parameters"]["more_archives"] == [two_archives.other.spec()]
    pools = report["requests_by_pool"]
    name = two_archives.other.name
    assert pools["cdx"] and pools["replay"]
    assert pools[f"cdx@{name}"] and pools[f"replay@{name}"]
