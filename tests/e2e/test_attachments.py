"""End to end: a real ``scrapy crawl`` rescues the dev posts' images and files.

The dev corpus plus the attachment fixtures (``tests/fixtures/attachments``): files
with several versions over time, one archived only under ``ise.gov``, one shared by
two posts, one too large for the cap, and files never archived; and two too large
whose CDX rows give no size, so only their downloads find them over the cap (one
announces its length, one is sent in chunks without it).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import re
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from ise_archive.attachments.discovery import attachment_key
from ise_archive.cli import main as cli
from ise_archive.dataset.validation import validate_dataset
from ise_archive.warc.reader import iter_records, read_record
from tests.e2e.crawl import dataset_files, last_report, read_records, run_crawl
from tests.wayback.archive import Archive, surt_urlkey
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
REPORT_PDF = "ISE_Annual_Report_to_Congress_2013.pdf"
TRIBAL_PHOTO = f"{FILES}/images/blog/tribal-officer-training.jpg"
#: linked by the REPORT post; archived here with no size in their CDX rows: the
#: summary is sent chunked (no Content-Length), the data sheet with its length
SUMMARY = f"{FILES}/ISE_AR2013_Executive_Summary.pdf"
DATA_SHEET = f"{FILES}/ISE_AR2013_Performance_Data.xlsx"
CAP = 64 * 1024
PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_LOCAL_LINK = re.compile(r"(?:\]\(|^\[\d+\]: )(\.\./[^)\s\"]+)", re.MULTILINE)


@dataclass
class AttachmentCrawl:
    server: WaybackServer
    output_dir: Path
    returncode: int
    stderr: str
    fixtures: list[dict[str, Any]]
    stdout: str = ""


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
    # random bytes: gzip on the wire cannot bring them under the cap either
    for url, mimetype in ((SUMMARY, "application/pdf"), (DATA_SHEET, XLSX)):
        archive.add_capture(
            url,
            "20140901000000",
            random.Random(url).randbytes(2 * CAP),
            mimetype=mimetype,
            length_known=False,
        )
    archive.refresh_page_index()
    output_dir = tmp_path_factory.mktemp("attachments") / "output"
    with WaybackServer(archive) as server:
        # stopped once more than the cap came, not at the announced length
        server.faults.configure("chunked@replay,first=1,url=Executive_Summary")
        result = run_crawl(
            server.base_url, output_dir, ISE_ARCHIVE_MAX_ATTACHMENT_BYTES=str(CAP)
        )
        yield AttachmentCrawl(
            server,
            output_dir,
            result.returncode,
            result.stderr,
            fixtures,
            result.stdout,
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
    # the cover, 2014 report, fact sheet, photo, and the summary and data sheet
    # (stopped at the cap: their rows gave no size); the scan is refused from the
    # index
    assert len(fetched) == 6
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


def _rescued(crawl: AttachmentCrawl) -> list[dict[str, Any]]:
    return [
        a
        for r in read_records(crawl.output_dir)
        for a in r["attachments"]
        if not a.get("missing")
    ]


def test_every_rescued_file_is_kept_in_the_warc_as_served(
    crawl: AttachmentCrawl,
) -> None:
    kept = set()
    for attachment in _rescued(crawl):
        warc = attachment["warc"]
        stored = read_record(
            crawl.output_dir / "warc", warc["filename"], warc["offset"]
        )
        assert stored.role == "file"
        assert stored.timestamp == attachment["timestamp"]
        assert attachment["archive_url"].endswith(
            f"/{stored.timestamp}/{stored.target_uri}"
        )
        assert stored.source_uri == (
            f"{crawl.server.base_url}/web/{stored.timestamp}id_/{stored.target_uri}"
        )
        assert dict(stored.headers)["Content-Type"] == attachment["mimetype"]
        assert stored.verified is True
        assert hashlib.sha256(stored.payload).hexdigest() == attachment["sha256"]
        kept.add((warc["filename"], warc["offset"]))
    assert len(kept) == 4  # one record per distinct file fetched


def test_the_wacz_indexes_every_rescued_file(crawl: AttachmentCrawl) -> None:
    with zipfile.ZipFile(crawl.output_dir / "ise-archive.wacz") as package:
        index = package.read("indexes/index.cdx.gz")
    lines = gzip.decompress(index).decode()
    keys = {" ".join(line.split(" ", 2)[:2]) for line in lines.splitlines()}
    for attachment in _rescued(crawl):
        original = attachment["archive_url"].split(f"/{attachment['timestamp']}/")[1]
        assert f"{surt_urlkey(original)} {attachment['timestamp']}" in keys


@pytest.mark.parametrize(("url", "mimetype"), [(SUMMARY, PDF), (DATA_SHEET, XLSX)])
def test_a_file_stopped_at_the_cap_keeps_the_archives_answer_head(
    crawl: AttachmentCrawl, url: str, mimetype: str
) -> None:
    """Its CDX row gave no size, so the download found it over the cap (by its
    announced length, or by the bytes that came): the WARC keeps what the archive
    answered (status, headers) as a truncated record with no payload, which a
    rebuild replays (next test) to the same outcome."""
    assert _attachment(_record(crawl, REPORT), url) == {
        "url": url,
        "kind": "file",
        "missing": True,
        "reason": "too-large",
    }
    stored = [r for r in iter_records(crawl.output_dir / "warc") if r.target_uri == url]
    assert [(r.role, r.status, r.truncated, r.payload, r.verified) for r in stored] == [
        ("file", 200, "length", b"", None)
    ]
    assert dict(stored[0].headers)["Content-Type"] == mimetype
    assert stored[0].source_uri.endswith(f"/web/20140901000000id_/{url}")
    # the summary came chunked: stopped by the bytes received, not by a length
    assert crawl.server.faults.injected() == {"chunked@replay#0": 1}
    path = crawl.output_dir / "warc" / stored[0].filename
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", str(path)],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_rebuild_restores_the_files_offline_byte_identical(
    crawl: AttachmentCrawl, tmp_path: Path
) -> None:
    out = tmp_path / "rebuilt"
    before_requests = len(crawl.server.requests_log)
    assert cli(["rebuild", str(crawl.output_dir), "--out", str(out)]) == 0
    assert len(crawl.server.requests_log) == before_requests
    before, after = dataset_files(crawl.output_dir), dataset_files(out)
    assert sorted(after) == sorted(before)
    for name in before:
        assert after[name] == before[name], name
    assert any(name.startswith("files/") for name in after)
    # the file stopped at the cap ends as it did, not failed:not-in-warc
    rebuilt = last_report(out)["attachments"]
    assert rebuilt["missing"] == last_report(crawl.output_dir)["attachments"]["missing"]
    assert rebuilt["missing"]["too-large"] == 3


def test_verify_checks_each_file_against_its_warc_record(
    crawl: AttachmentCrawl, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(crawl.output_dir, copy)
    assert cli(["verify", str(copy)]) == 0
    records = (copy / "records.jsonl").read_text(encoding="utf-8")
    photo = _attachment(_record(crawl, TRIBAL), TRIBAL_PHOTO)
    report = _attachment(_record(crawl, REPORT), f"{FILES}/{REPORT_PDF}")
    # the record names another file's WARC record as its evidence
    moved = json.dumps(photo["warc"]).replace(
        str(photo["warc"]["offset"]), str(report["warc"]["offset"])
    )
    (copy / "records.jsonl").write_text(
        records.replace(json.dumps(photo["warc"]), moved, 1), encoding="utf-8"
    )
    capsys.readouterr()
    assert cli(["verify", str(copy)]) == 1
    assert f"attachment {TRIBAL_PHOTO}: warc/" in capsys.readouterr().out


def _dataset_counts(crawl: AttachmentCrawl) -> dict[str, Any]:
    attachments = [a for r in read_records(crawl.output_dir) for a in r["attachments"]]
    rescued = {a["path"]: a["size"] for a in attachments if not a.get("missing")}
    missing = Counter(
        reason
        for _, reason in {
            (attachment_key(a["url"]), a["reason"])
            for a in attachments
            if a.get("missing")
        }
    )
    return {
        "named": len({attachment_key(a["url"]) for a in attachments}),
        "rescued": len(rescued),
        "rescued_bytes": sum(rescued.values()),
        "missing": dict(missing),
    }


def test_the_report_and_summary_count_the_files(crawl: AttachmentCrawl) -> None:
    counts = last_report(crawl.output_dir)["attachments"]
    assert counts == {
        **_dataset_counts(crawl),
        "fetched": 4,
        "fetched_bytes": counts["rescued_bytes"],
        "saved": 4,
        "reused": 0,
        "redirects": 0,
        "fallbacks": 0,
    }
    assert counts["missing"]["too-large"] == 3  # by its CDX row, 2 by download
    assert counts["missing"]["not-archived"] >= 1
    assert (
        f"Attachments: {counts['named']} files named, 4 rescued "
        f"({counts['rescued_bytes']:,} bytes), missing: "
    ) in crawl.stdout
    assert "this run 4 fetched" in crawl.stdout


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
    counts = last_report(crawl.output_dir)["attachments"]
    assert (counts["fetched"], counts["saved"], counts["reused"]) == (0, 0, 4)
    # a run that changed nothing prints no summary; its log line has it
    assert "this run 0 fetched (0 bytes), 0 saved, 4 already rescued." in (
        result.stderr
    )
    assert validate_dataset(crawl.output_dir) == []
