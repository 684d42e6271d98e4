"""The WARC and WACZ evidence, opened with the field's tools: py-wacz, warcio,
cdxj-indexer and pywb (docs/evidence.md, the card's "Evidence" section)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import subprocess
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from tests.consumer.conftest import Dataset
from tests.consumer.tools import run, tool

PYWB = Path.home() / ".cache" / "ise-archive" / "pywb-2.10" / "bin"


def warc_files(dataset: Dataset) -> list[Path]:
    files = sorted((dataset.root / "warc").glob("*.warc.gz"))
    assert files
    return files


def test_warc_files_are_named_by_run(dataset: Dataset) -> None:
    """The card: each run adds its own files, `ise-archive-<run>-<n>.warc.gz`."""
    run_id = re.escape(dataset.manifest()["crawl"]["run_id"])
    for path in warc_files(dataset):
        assert re.fullmatch(rf"ise-archive-{run_id}-\d+\.warc\.gz", path.name)


def record_at(dataset: Dataset, warc: dict[str, Any]) -> tuple[ArcWarcRecord, bytes]:
    with (dataset.root / "warc" / warc["filename"]).open("rb") as stream:
        stream.seek(warc["offset"])
        record = next(iter(ArchiveIterator(stream)))
        return record, record.content_stream().read()


def sha1_base32(data: bytes) -> str:
    return base64.b32encode(hashlib.sha1(data).digest()).decode()


def warc_date(timestamp: str) -> str:
    t = timestamp
    return f"{t[:4]}-{t[4:6]}-{t[6:8]}T{t[8:10]}:{t[10:12]}:{t[12:14]}Z"


def fetched_captures(dataset: Dataset) -> Iterator[dict[str, Any]]:
    for record in dataset.records():
        for capture in record["captures"]:
            if capture["warc"]:
                yield capture


def test_wacz_validate_accepts_the_package(dataset: Dataset) -> None:
    result = run(
        tool("wacz"), "validate", "--file", str(dataset.root / "ise-archive.wacz")
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is valid" in result.stdout + result.stderr


def test_the_wacz_holds_every_warc_file_and_the_used_captures(
    dataset: Dataset,
) -> None:
    with zipfile.ZipFile(dataset.root / "ise-archive.wacz") as wacz:
        packed = {
            Path(name).name: hashlib.sha256(wacz.read(name)).hexdigest()
            for name in wacz.namelist()
            if name.startswith("archive/")
        }
        pages_text = wacz.read("pages/pages.jsonl").decode("utf-8")
    on_disk = {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in warc_files(dataset)
    }
    assert packed == on_disk
    pages = {
        (page["url"], page["ts"], page["title"])
        for page in map(json.loads, pages_text.splitlines()[1:])
    }
    for record in dataset.records():
        if record["completeness"] == "full":
            capture = record["capture"]
            page = (capture["original"], warc_date(capture["timestamp"]))
            assert (*page, record["title"]) in pages, record["url"]


def test_warcio_check_passes_every_digest(dataset: Dataset) -> None:
    for path in warc_files(dataset):
        result = run(tool("warcio"), "check", "-v", str(path))
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr
        assert "digest pass" in result.stdout
        assert "digest fail" not in result.stdout


def test_each_capture_offset_is_its_response_record(dataset: Dataset) -> None:
    """The record's `captures[].warc` names a response record of the original
    URL at the capture time, whose payload has the CDX digest."""
    count = 0
    for capture in fetched_captures(dataset):
        count += 1
        record, payload = record_at(dataset, capture["warc"])
        headers = record.rec_headers
        assert headers.get_header("WARC-Type") == "response"
        assert headers.get_header("ISE-Archive-Role") == "capture"
        assert headers.get_header("WARC-Target-URI") == capture["original"]
        assert headers.get_header("WARC-Date") == warc_date(capture["timestamp"])
        assert record.http_headers.get_statuscode() == capture["status"]
        digest = sha1_base32(payload)
        assert headers.get_header("WARC-Payload-Digest") == f"sha1:{digest}"
        if capture["verified"]:
            assert digest == capture["digest"]
            assert headers.get_header("ISE-Archive-Digest-Match") == "true"
        assert headers.get_header("ISE-Archive-CDX-Digest") == capture["digest"]
        assert headers.protocol == "WARC/1.1"
        source = headers.get_header("WARC-Source-URI")
        assert source.endswith(f"/{capture['timestamp']}id_/{capture['original']}")
    assert count


def test_each_rescued_file_is_its_warc_file_record(dataset: Dataset) -> None:
    count = 0
    for record in dataset.records():
        for attachment in record["attachments"]:
            if attachment.get("missing"):
                continue
            count += 1
            warc_record, payload = record_at(dataset, attachment["warc"])
            headers = warc_record.rec_headers
            assert headers.get_header("ISE-Archive-Role") == "file"
            assert headers.get_header("WARC-Target-URI") == attachment["url"]
            assert headers.get_header("WARC-Date") == warc_date(attachment["timestamp"])
            assert hashlib.sha256(payload).hexdigest() == attachment["sha256"]
            assert payload == (dataset.root / attachment["path"]).read_bytes()
    assert count == len(dataset.added_attachments)


def test_cdxj_indexer_lists_every_capture_at_its_offset(dataset: Dataset) -> None:
    """docs/evidence.md: `cdxj-indexer output/warc/*.warc.gz` lists every record
    by SURT and timestamp with its file and offset."""
    lines = []
    for path in warc_files(dataset):
        result = run(tool("cdxj-indexer"), str(path))
        assert result.returncode == 0, result.stderr
        lines += result.stdout.splitlines()
    indexed = set()
    for line in lines:
        _, timestamp, data = line.split(" ", 2)
        fields = json.loads(data)
        indexed.add((fields["filename"], int(fields["offset"]), timestamp))
    for capture in fetched_captures(dataset):
        where = capture["warc"]
        assert (where["filename"], where["offset"], capture["timestamp"]) in indexed


def test_warcio_extract_prints_the_record_at_an_offset(dataset: Dataset) -> None:
    capture = next(fetched_captures(dataset))
    path = dataset.root / "warc" / capture["warc"]["filename"]
    offset = str(capture["warc"]["offset"])
    result = subprocess.run(
        [tool("warcio"), "extract", "--payload", str(path), offset],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert sha1_base32(result.stdout) == capture["digest"]


def test_pywb_adds_the_wacz_as_the_docs_say(dataset: Dataset, tmp_path: Path) -> None:
    """docs/evidence.md and the card: `wb-manager init ise && wb-manager add
    --unpack-wacz ise ise-archive.wacz && wayback` (pywb refuses a WACZ without
    --unpack-wacz, with exit 0: the docs once left it out)."""
    if not (PYWB / "wb-manager").exists():
        pytest.skip(f"no pywb venv at {PYWB}")
    wacz = dataset.root / "ise-archive.wacz"
    init = run(str(PYWB / "wb-manager"), "init", "ise", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    add = run(
        str(PYWB / "wb-manager"), "add", "--unpack-wacz", "ise", str(wacz), cwd=tmp_path
    )
    assert "Error" not in add.stdout + add.stderr, add.stdout + add.stderr
    assert list((tmp_path / "collections" / "ise" / "indexes").iterdir())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.read()


def test_pywb_replays_a_post_with_its_original_bytes(
    dataset: Dataset, tmp_path: Path
) -> None:
    if not (PYWB / "wb-manager").exists():
        pytest.skip(f"no pywb venv at {PYWB}")
    wacz = dataset.root / "ise-archive.wacz"
    assert run(str(PYWB / "wb-manager"), "init", "ise", cwd=tmp_path).returncode == 0
    added = run(
        str(PYWB / "wb-manager"), "add", "--unpack-wacz", "ise", str(wacz), cwd=tmp_path
    )
    assert added.returncode == 0, added.stderr
    port = _free_port()
    server = subprocess.Popen(
        [str(PYWB / "wayback"), "-p", str(port), "-b", "127.0.0.1"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        captures = [
            r["captures"][[c["used"] for c in r["captures"]].index(True)]
            for r in dataset.records()
            if r["completeness"] == "full"
        ]
        capture = captures[0]
        url = f"http://127.0.0.1:{port}/ise/{capture['timestamp']}id_/"
        url += capture["original"]
        body = b""
        for _ in range(100):
            try:
                body = _get(url)
                break
            except OSError:
                time.sleep(0.2)
        _, payload = record_at(dataset, capture["warc"])
        assert body == payload
        attachment = next(
            a for r in dataset.records() for a in r["attachments"] if a.get("path")
        )
        file_url = f"http://127.0.0.1:{port}/ise/{attachment['timestamp']}id_/"
        file_bytes = _get(file_url + attachment["url"])
        assert file_bytes == (dataset.root / attachment["path"]).read_bytes()
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def test_each_warc_file_starts_with_its_warcinfo(dataset: Dataset) -> None:
    """docs/evidence.md: each file starts with a `warcinfo` record naming the
    software and its version."""
    version = dataset.manifest()["tool"]["version"]
    for path in warc_files(dataset):
        with path.open("rb") as stream:
            first = next(iter(ArchiveIterator(stream)))
            assert first.rec_headers.get_header("WARC-Type") == "warcinfo"
            info = first.content_stream().read().decode("utf-8")
        assert f"ise-archive {version}" in info or f"ise-archive/{version}" in info
