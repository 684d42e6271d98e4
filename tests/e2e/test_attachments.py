"""End to end: a real ``scrapy crawl`` rescues the dev posts' images and files.

The dev corpus plus the attachment fixtures (``tests/fixtures/attachments``): files
with several versions over time, one archived only under ``ise.gov``, one shared by
two posts, one too large for the cap, and files never archived.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from ise_archive.dataset.validation import validate_dataset
from tests.e2e.crawl import read_records, run_crawl
from tests.wayback.archive import Archive
from tests.wayback.fixtures import DEV_CORPUS
from tests.wayback.server import WaybackServer

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "attachments"
FILES = "http://www.ise.gov/sites/default/files"
TRIBAL = (
    "http://www.ise.gov/blog/joe-laporte/"
    "officer-safety-indian-country-%E2%80%93-reversing-deadly-trend"
)
FOLLOW_UP = "http://www.ise.gov/blog/joe-laporte/officer-safety-follow-up"
REPORT = "http://www.ise.gov/blog/kshemendra-paul/inside-2013-annual-report-congress"
CAP = 64 * 1024
_LOCAL_LINK = re.compile(r"(?:\]\(|^\[\d+\]: )(\.\./[^)\s\"]+)", re.MULTILINE)


@dataclass
class AttachmentCrawl:
    server: WaybackServer
    output_dir: Path
    returncode: int
    stderr: str
    fixtures: list[dict[str, Any]]


def _follow_up_post() -> bytes:
    """A second post using the same photo and fact sheet: the Tribal post's page
    under another URL, title and node."""
    page = (DEV_CORPUS / "captures" / "c0031.bin").read_bytes()
    page = page.replace(
        b"officer-safety-indian-country-%E2%80%93-reversing-deadly-trend",
        b"officer-safety-follow-up",
    )
    page = page.replace(
        "Officer Safety in Indian Country – Reversing a Deadly Trend".encode(),
        b"Officer Safety: A Follow-up",
    )
    return page.replace(b"node/1382", b"node/1999")


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AttachmentCrawl]:
    archive = Archive.from_directory(DEV_CORPUS)
    fixtures = json.loads((FIXTURES / "index.json").read_text(encoding="utf-8"))
    for row in fixtures:
        archive.add_capture(
            row["original"],
            row["timestamp"],
            (FIXTURES / "payloads" / row["payload"]).read_bytes(),
            mimetype=row["mimetype"],
        )
    archive.add_capture(FOLLOW_UP, "20140401000000", _follow_up_post())
    archive.refresh_page_index()
    output_dir = tmp_path_factory.mktemp("attachments") / "output"
    with WaybackServer(archive) as server:
        result = run_crawl(
            server.base_url, output_dir, ISE_ARCHIVE_MAX_ATTACHMENT_BYTES=str(CAP)
        )
        yield AttachmentCrawl(
            server, output_dir, result.returncode, result.stderr, fixtures
        )


def _record(crawl: AttachmentCrawl, url: str) -> dict[str, Any]:
    return next(r for r in read_records(crawl.output_dir) if r["url"] == url)


def _attachment(record: dict[str, Any], url: str) -> dict[str, Any]:
    return next(a for a in record["attachments"] if a["url"] == url)


def _fixture_sha(crawl: AttachmentCrawl, payload: str) -> str:
    return next(r["sha256"] for r in crawl.fixtures if r["payload"] == payload)


def test_crawl_succeeds_with_missing_files(crawl: AttachmentCrawl) -> None:
    assert crawl.returncode == 0, crawl.stderr[-3000:]


def test_the_version_at_or_before_the_post_capture_is_rescued(
    crawl: AttachmentCrawl,
) -> None:
    record = _record(crawl, REPORT)
    assert record["capture"]["timestamp"] == "20150815224401"
    report = _attachment(record, f"{FILES}/ISE_Annual_Report_to_Congress_2013.pdf")
    assert report["timestamp"] == "20140901000000"
    assert report["sha256"] == _fixture_sha(crawl, "annual-report-2013-v2.pdf")
    assert report["mimetype"] == "application/pdf"
    assert report["path"].startswith(
        "files/www.ise.gov/sites/default/files/ise-annual-report-to-congress-2013-"
    )
    saved = (crawl.output_dir / report["path"]).read_bytes()
    assert hashlib.sha256(saved).hexdigest() == report["sha256"]
    assert len(saved) == report["size"]
    cover = record["images"][0]
    assert cover["path"] == _attachment(record, cover["url"])["path"]


def test_a_file_archived_only_without_www_is_found(crawl: AttachmentCrawl) -> None:
    sheet = _attachment(
        _record(crawl, TRIBAL), f"{FILES}/Tribal_Officer_Safety_Fact_Sheet.pdf"
    )
    assert sheet["sha256"] == _fixture_sha(crawl, "tribal-fact-sheet.pdf")
    assert sheet["archive_url"].endswith(
        "/20111001000000/http://ise.gov/sites/default/files/"
        "Tribal_Officer_Safety_Fact_Sheet.pdf"
    )


def test_never_archived_and_too_large_are_reported_missing(
    crawl: AttachmentCrawl,
) -> None:
    niem = _record(
        crawl,
        "http://www.ise.gov/blog/tamara-wells/niem-30-here-what%E2%80%99s-new-implementers",
    )
    assert _attachment(niem, f"{FILES}/NIEM_Primer_for_Executives.pdf") == {
        "url": f"{FILES}/NIEM_Primer_for_Executives.pdf",
        "kind": "file",
        "missing": True,
        "reason": "too-large",
    }
    assert _attachment(niem, f"{FILES}/images/blog/niem-logo.png") == {
        "url": f"{FILES}/images/blog/niem-logo.png",
        "kind": "image",
        "missing": True,
        "reason": "not-archived",
    }


def test_a_shared_file_is_fetched_once_for_both_posts(crawl: AttachmentCrawl) -> None:
    photo = f"{FILES}/images/blog/tribal-officer-training.jpg"
    first = _attachment(_record(crawl, TRIBAL), photo)
    second = _attachment(_record(crawl, FOLLOW_UP), photo)
    assert first == second
    assert first["sha256"] == _fixture_sha(crawl, "tribal-officer-training.jpg")


def test_each_distinct_file_is_fetched_once(crawl: AttachmentCrawl) -> None:
    fetched = Counter(
        r.path
        for r in crawl.server.requests_log
        if r.pool == "replay" and "/sites/default/files/" in r.path
    )
    assert sorted(fetched.values()) == [1] * len(fetched)
    # the cover, 2014 report, fact sheet, photo; the scan is refused from the index
    assert len(fetched) == 4
    assert not any("NIEM_Primer" in path for path in fetched)


def test_every_local_markdown_link_opens_a_file_of_the_right_sha256(
    crawl: AttachmentCrawl,
) -> None:
    rescued = {
        a["path"]: a["sha256"]
        for r in read_records(crawl.output_dir)
        for a in r["attachments"]
        if not a.get("missing")
    }
    opened = set()
    for document in sorted((crawl.output_dir / "posts").rglob("*.md")):
        text = document.read_text(encoding="utf-8")
        for target in _LOCAL_LINK.findall(text):
            path = (document.parent / target).resolve()
            relative = path.relative_to(crawl.output_dir.resolve()).as_posix()
            assert hashlib.sha256(path.read_bytes()).hexdigest() == rescued[relative]
            opened.add(relative)
    assert opened == set(rescued)


def test_the_manifest_lists_every_rescued_file(crawl: AttachmentCrawl) -> None:
    manifest = json.loads((crawl.output_dir / "manifest.json").read_text())
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    for record in read_records(crawl.output_dir):
        for attachment in record["attachments"]:
            if not attachment.get("missing"):
                assert listed[attachment["path"]] == attachment["sha256"]


def test_files_are_discovered_by_a_few_prefix_queries(crawl: AttachmentCrawl) -> None:
    queries = [
        unquote(r.path)
        for r in crawl.server.requests_log
        if r.pool == "cdx" and "default/files" in unquote(r.path)
    ]
    # one per site host spelling over the one file directory, not one per file
    assert len(queries) == 2
    assert all("matchType=prefix" in q for q in queries)


def test_validate_checks_files_and_local_links(
    crawl: AttachmentCrawl, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(crawl.output_dir, copy)
    assert validate_dataset(copy) == []
    record = _record(crawl, REPORT)
    report = _attachment(record, f"{FILES}/ISE_Annual_Report_to_Congress_2013.pdf")
    (copy / report["path"]).write_bytes(b"%PDF-1.4 tampered")
    cover = record["images"][0]["path"]
    (copy / cover).unlink()
    problems = {(p.path, p.message) for p in validate_dataset(copy)}
    assert any(
        path == report["path"]
        and message.startswith("does not match the sha256 records.jsonl:")
        for path, message in problems
    )
    assert any(
        path.endswith("inside-2013-annual-report-congress.md")
        and message.startswith("links to ../../../" + cover)
        for path, message in problems
    )


def test_a_rerun_fetches_no_file_again(crawl: AttachmentCrawl) -> None:
    before = len(crawl.server.requests_log)
    result = run_crawl(
        crawl.server.base_url,
        crawl.output_dir,
        ISE_ARCHIVE_MAX_ATTACHMENT_BYTES=str(CAP),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    again = crawl.server.requests_log[before:]
    files = [r for r in again if "default/files" in unquote(r.path)]
    # the two prefix queries again (new captures may exist), no file fetched
    assert [r.pool for r in files] == ["cdx", "cdx"]
    assert validate_dataset(crawl.output_dir) == []
