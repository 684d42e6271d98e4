"""One dataset for the consumer's blind checks, made once per session.

The consumer receives a dataset directory and nothing else. To get one that has
something in every part the card describes (full and partial records, rescued
and missing attachments, link checks, WARC and WACZ), the session crawls the
local Wayback imitation twice: a first crawl learns which attachments the dev
corpus links but does not hold; all but one are then added to the imitation as
captures (the last stays missing), and the second crawl, with
``ISE_ARCHIVE_CHECK_LINKS``, writes the dataset. That dataset is then *moved* to
another directory, as a download would put it elsewhere: every check reads the
moved copy, so a path of the producer's machine inside it is seen, and
``PRODUCER_MARK`` (a string in the producer's path) is looked for in its bytes.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.crawl import run_crawl
from tests.wayback.archive import Archive
from tests.wayback.fixtures import DEV_CORPUS
from tests.wayback.server import WaybackServer

PRODUCER_MARK = "producer-machine-7f3a"

#: What the added attachment captures are served as, by extension.
MIMETYPES = {
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".pdf": "application/pdf",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Dataset:
    """The dataset as the consumer holds it, and where its producer wrote it."""

    root: Path
    producer_root: Path
    added_attachments: tuple[str, ...]
    missing_attachment: str
    #: the archive the crawl read: ground truth for what its index lists
    archive: Archive

    def records(self) -> list[dict[str, Any]]:
        text = (self.root / "records.jsonl").read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines()]

    def manifest(self) -> dict[str, Any]:
        return json.loads((self.root / "manifest.json").read_text(encoding="utf-8"))


def _missing_attachments(output_dir: Path) -> dict[str, str]:
    """Attachment URL -> the capture timestamp of the post that links it."""
    missing = {}
    for line in (output_dir / "records.jsonl").read_text("utf-8").splitlines():
        record = json.loads(line)
        for attachment in record["attachments"]:
            if attachment.get("missing") and record["capture"]:
                missing[attachment["url"]] = record["capture"]["timestamp"]
    return missing


def _attachment_bytes(url: str) -> bytes:
    return f"consumer test copy of {url}\n".encode() * 40


@pytest.fixture(scope="session")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dataset]:
    base = tmp_path_factory.mktemp("consumer")
    probe = base / "probe"
    producer_root = base / PRODUCER_MARK / "output"
    archive = Archive.from_directory(DEV_CORPUS)
    with WaybackServer(archive) as server:
        first = run_crawl(server.base_url, probe)
        assert first.returncode == 0, first.stderr[-3000:]
        missing = _missing_attachments(probe)
        assert len(missing) >= 2, "the dev corpus should link unarchived files"
        *added, kept_missing = sorted(missing)
        for url in added:
            archive.add_capture(
                url,
                missing[url],
                _attachment_bytes(url),
                mimetype=MIMETYPES.get(Path(url).suffix.lower(), "application/pdf"),
            )
        archive.refresh_page_index()
        second = run_crawl(
            server.base_url, producer_root, ISE_ARCHIVE_CHECK_LINKS="true"
        )
        assert second.returncode == 0, second.stderr[-3000:]
    consumer_root = base / "downloaded" / "ise-dataset"
    consumer_root.parent.mkdir()
    shutil.move(producer_root, consumer_root)
    shutil.rmtree(probe)
    yield Dataset(
        root=consumer_root,
        producer_root=producer_root,
        added_attachments=tuple(added),
        missing_attachment=kept_missing,
        archive=archive,
    )
