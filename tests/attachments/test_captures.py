"""Tests of ise_archive.attachments.captures: which capture, one fetch per content."""

from __future__ import annotations

from ise_archive.attachments.captures import (
    FileCopy,
    attachment_record,
    choose_capture,
    fetch_key,
    file_index,
    plan_fetches,
)
from ise_archive.attachments.discovery import AttachmentRef
from ise_archive.records import Attachment, Capture, WarcRef

PDF = "http://www.ise.gov/sites/default/files/ISE_AR_2011.pdf"
WWW_LESS = "https://ise.gov/sites/default/files/ISE_AR_2011.pdf"


def _row(
    ts: str, original: str = PDF, status: str = "200", digest: str = ""
) -> Capture:
    return Capture(
        timestamp=ts,
        original=original,
        status=status,
        digest=digest or f"D{ts}",
        mimetype="application/pdf",
    )


ROWS = [
    _row("20111101000000", digest="AAAA"),
    _row(
        "20120301000000",
        "https://ise.gov/sites/default/files/ISE_AR_2011.pdf",
        "-",
        "AAAA",
    ),
    _row("20130101000000", digest="BBBB"),
    _row("20130601000000", status="302"),
    _row("20100101000000", "http://www.ise.gov/sites/default/files/other.pdf"),
]


def test_index_keeps_payload_captures_under_one_key_per_file() -> None:
    index = file_index(ROWS)
    assert [c.timestamp for c in index[PDF]] == [
        "20111101000000",
        "20120301000000",
        "20130101000000",
    ]
    assert set(index) == {PDF, "http://www.ise.gov/sites/default/files/other.pdf"}


def test_the_capture_at_or_before_the_post_else_the_nearest_after() -> None:
    rows = file_index(ROWS)[PDF]
    assert choose_capture(rows, "20121231235959").timestamp == "20120301000000"
    assert choose_capture(rows, "20130101000000").timestamp == "20130101000000"
    assert choose_capture(rows, "20090101000000").timestamp == "20111101000000"
    assert choose_capture(rows, None).timestamp == "20130101000000"
    assert choose_capture([], "2011") is None


def test_one_fetch_per_file_content_however_many_posts_use_it() -> None:
    index = file_index(ROWS)
    ref = AttachmentRef(url=PDF, kind="file")
    www_less = AttachmentRef(
        url="https://ise.gov/sites/default/files/ISE_AR_2011.pdf", kind="file"
    )
    fetches = plan_fetches(
        [("20111201000000", ref), ("20120401000000", www_less), ("2014", ref)],
        index,
    )
    assert sorted(fetches) == [f"{PDF} AAAA", f"{PDF} BBBB"]
    assert fetches[f"{PDF} AAAA"].timestamp == "20111101000000"
    assert fetch_key(ROWS[1]) == f"{PDF} AAAA"


def test_attachment_records_rescued_and_missing() -> None:
    ref = AttachmentRef(url=PDF, kind="file")
    copy = FileCopy(
        path="files/www.ise.gov/sites/default/files/ise-ar-2011-0a1b2c3d.pdf",
        sha256="e" * 64,
        size=1234,
        mimetype="application/pdf",
        warc=WarcRef(filename="ise-archive-r-00001.warc.gz", offset=512),
    )
    archive_url = f"https://web.archive.org/web/20111101000000/{PDF}"
    assert attachment_record(ref, ROWS[0], copy, archive_url=archive_url).to_json() == {
        "url": PDF,
        "kind": "file",
        "timestamp": "20111101000000",
        "archive_url": archive_url,
        "mimetype": "application/pdf",
        "size": 1234,
        "sha256": "e" * 64,
        "path": copy.path,
        "warc": {"filename": "ise-archive-r-00001.warc.gz", "offset": 512},
    }
    assert attachment_record(ref, None, None).to_json() == {
        "url": PDF,
        "kind": "file",
        "missing": True,
        "reason": "not-archived",
    }
    assert attachment_record(ref, ROWS[0], "too-large") == Attachment(
        url=PDF, kind="file", missing=True, reason="too-large"
    )
