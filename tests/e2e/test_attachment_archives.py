"""End to end: attachments the main archive redirects, fails, or lacks.

The dev corpus and the attachment fixtures (``tests/fixtures/attachments``) in the
main archive (the Wayback imitation), and a second imitation in
``ISE_ARCHIVE_MORE_ARCHIVES`` holding two files:

* the annual report's capture chosen for its post (2014-09-01) is one the main
  archive will not play as listed (the ``nearest`` fault): it redirects to its
  nearest other capture, an archived 301 of the site to a renamed file, whose
  replay redirects to that file's nearest capture: three hops, followed;
* the Tribal fact sheet is archived only in the second archive;
* the report's cover image is in both, at the same time and content, but the main
  archive serves it changed (``corrupt``): the digest check refuses it and the second
  archive's copy is fetched instead.

Then ``rebuild`` must give the same dataset offline from the WARC files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from ise_archive.cli import main as cli
from ise_archive.warc.reader import read_record
from tests.e2e.crawl import dataset_files, read_records, run_crawl
from tests.wayback.archive import Archive
from tests.wayback.fixtures import DEV_CORPUS
from tests.wayback.server import WaybackServer

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "attachments"
FILES = "http://www.ise.gov/sites/default/files"
REPORT_POST = (
    "http://www.ise.gov/blog/kshemendra-paul/inside-2013-annual-report-congress"
)
TRIBAL_POST = (
    "http://www.ise.gov/blog/joe-laporte/"
    "officer-safety-indian-country-%E2%80%93-reversing-deadly-trend"
)
REPORT = f"{FILES}/ISE_Annual_Report_to_Congress_2013.pdf"
RENAMED = f"{FILES}/ISE_AR_2013_final.pdf"
SHEET = f"{FILES}/Tribal_Officer_Safety_Fact_Sheet.pdf"
SHEET_ARCHIVED = (
    "http://ise.gov/sites/default/files/Tribal_Officer_Safety_Fact_Sheet.pdf"
)
COVER = f"{FILES}/images/blog/ise-annual-report-2013-cover.png"
RENAMED_BYTES = b"%PDF-1.4\n% ISE Annual Report to Congress 2013, final edition\n"


@dataclass
class TwoArchives:
    main: WaybackServer
    other: WaybackServer
    output_dir: Path
    returncode: int
    stderr: str

    def record(self, url: str) -> dict[str, Any]:
        return next(r for r in read_records(self.output_dir) if r["url"] == url)

    def attachment(self, post: str, url: str) -> dict[str, Any]:
        return next(a for a in self.record(post)["attachments"] if a["url"] == url)


def _fixture(original: str) -> dict[str, Any]:
    rows = json.loads((FIXTURES / "index.json").read_text(encoding="utf-8"))
    return next(r for r in rows if r["original"] == original)


def _add(archive: Archive, row: dict[str, Any]) -> None:
    archive.add_capture(
        row["original"],
        row["timestamp"],
        (FIXTURES / "payloads" / row["payload"]).read_bytes(),
        mimetype=row["mimetype"],
    )


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoArchives]:
    main = Archive.from_directory(DEV_CORPUS)
    for row in json.loads((FIXTURES / "index.json").read_text(encoding="utf-8")):
        if row["original"] != SHEET_ARCHIVED:
            _add(main, row)
    main.add_capture(
        REPORT,
        "20140915000000",
        b"",
        status=301,
        mimetype="text/html",
        location="/sites/default/files/ISE_AR_2013_final.pdf",
    )
    main.add_capture(
        RENAMED, "20140920000000", RENAMED_BYTES, mimetype="application/pdf"
    )
    main.refresh_page_index()
    other = Archive()
    _add(other, _fixture(SHEET_ARCHIVED))
    _add(other, _fixture(COVER))
    other.refresh_page_index()
    output_dir = tmp_path_factory.mktemp("two-archives") / "output"
    with WaybackServer(main) as main_server, WaybackServer(other) as other_server:
        main_server.faults.configure(
            f"nearest@replay,p=1,url=20140901000000id_/{REPORT};"
            "corrupt@replay,p=1,url=ise-annual-report-2013-cover.png"
        )
        result = run_crawl(
            main_server.base_url,
            output_dir,
            ISE_ARCHIVE_MORE_ARCHIVES=f"wayback:{other_server.base_url}",
        )
        yield TwoArchives(
            main_server, other_server, output_dir, result.returncode, result.stderr
        )


def _file_fetches(server: WaybackServer) -> list[str]:
    return [
        unquote(r.path)
        for r in server.requests_log
        if r.pool == "replay" and "/files/" in r.path
    ]


def test_the_crawl_succeeds(crawl: TwoArchives) -> None:
    assert crawl.returncode == 0, crawl.stderr[-3000:]


def test_archive_redirects_are_followed_to_the_capture_actually_saved(
    crawl: TwoArchives,
) -> None:
    report = crawl.attachment(REPORT_POST, REPORT)
    assert report["timestamp"] == "20140920000000"
    assert report["archive_url"] == (
        f"{crawl.main.base_url}/web/20140920000000/{RENAMED}"
    )
    assert report["sha256"] == hashlib.sha256(RENAMED_BYTES).hexdigest()
    saved = (crawl.output_dir / report["path"]).read_bytes()
    assert saved == RENAMED_BYTES
    stored = read_record(
        crawl.output_dir / "warc", report["warc"]["filename"], report["warc"]["offset"]
    )
    assert (stored.target_uri, stored.timestamp, stored.verified) == (
        RENAMED,
        "20140920000000",
        True,
    )
    chain = [p for p in _file_fetches(crawl.main) if "Annual_Report" in p or "AR_" in p]
    assert [p.split("/web/", 1)[1] for p in chain] == [
        f"20140901000000id_/{REPORT}",  # 302: the nearest other capture
        f"20140915000000id_/{REPORT}",  # archived 301 to the renamed file
        f"20140915000000id_/{RENAMED}",  # 302: its nearest capture
        f"20140920000000id_/{RENAMED}",
    ]


def test_files_are_listed_in_both_archives_by_prefix(crawl: TwoArchives) -> None:
    for server in (crawl.main, crawl.other):
        queries = [
            unquote(r.path)
            for r in server.requests_log
            if r.pool == "cdx" and "default/files" in unquote(r.path)
        ]
        assert len(queries) == 2, server.base_url


def test_a_file_only_the_other_archive_holds_is_fetched_there(
    crawl: TwoArchives,
) -> None:
    sheet = crawl.attachment(TRIBAL_POST, SHEET)
    assert sheet["sha256"] == _fixture(SHEET_ARCHIVED)["sha256"]
    assert sheet["archive_url"] == (
        f"{crawl.other.base_url}/web/20111001000000/{SHEET_ARCHIVED}"
    )
    assert not any("Fact_Sheet" in p for p in _file_fetches(crawl.main))


def test_a_file_the_main_archive_serves_changed_comes_from_the_other(
    crawl: TwoArchives,
) -> None:
    cover = crawl.attachment(REPORT_POST, COVER)
    assert cover["sha256"] == _fixture(COVER)["sha256"]
    assert cover["archive_url"].startswith(crawl.other.base_url)
    fetched = [
        (server is crawl.main, path)
        for server in (crawl.main, crawl.other)
        for path in _file_fetches(server)
        if "ise-annual-report-2013-cover" in path
    ]
    assert [main for main, _ in fetched] == [True, False]  # once from each


def test_rebuild_gives_the_same_dataset_offline(
    crawl: TwoArchives, tmp_path: Path
) -> None:
    requests = len(crawl.main.requests_log) + len(crawl.other.requests_log)
    out = tmp_path / "rebuilt"
    assert cli(["rebuild", str(crawl.output_dir), "--out", str(out)]) == 0
    assert len(crawl.main.requests_log) + len(crawl.other.requests_log) == requests
    before, after = dataset_files(crawl.output_dir), dataset_files(out)
    assert sorted(after) == sorted(before)
    for name in before:
        assert after[name] == before[name], name
