"""End to end: the evidence a crawl keeps (WARC, WACZ), checked, replayed, rebuilt.

A real ``scrapy crawl`` against the local Wayback imitation, then: every fetched
capture is at its recorded WARC offset under its original URL and date; the WACZ
validates; ``cdxj-indexer`` finds a post by URL and time and warcio reads back the
archive's bytes; ``rebuild`` gives the same dataset offline; ``verify`` passes and
fails on one changed byte. With the ``corrupt`` fault, no record is built from
changed bytes.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from ise_archive.archive.cdx import describe_cdx_query
from ise_archive.cli import main as cli
from ise_archive.warc.digest import same_digest
from ise_archive.warc.reader import read_record, warc_files
from ise_archive.warc.wacz import validate_wacz
from tests.e2e.crawl import dataset_files, last_report, read_records, run_crawl
from tests.wayback.archive import Archive, surt_urlkey
from tests.wayback.fixtures import DEV_CORPUS
from tests.wayback.server import WaybackServer

pytestmark = pytest.mark.e2e

ROWS = {
    (r["timestamp"], r["original"]): r
    for r in map(json.loads, (DEV_CORPUS / "index.jsonl").open(encoding="utf-8"))
}
WELCOME = "http://www.ise.gov/blog/ise-bloggers/welcome-ise-blog"
#: welcome-ise-blog's newest capture: served changed on every fetch
BROKEN = "20140302185900"
#: another post's newest capture: changed on its first fetch only
FLAKY = "20140311170521"


@dataclass
class Crawl:
    output_dir: Path
    returncode: int
    stderr: str

    @property
    def records(self) -> list[dict[str, Any]]:
        return read_records(self.output_dir)


def crawl(tmp: Path, **settings: str) -> Crawl:
    with WaybackServer(Archive.from_directory(DEV_CORPUS)) as server:
        result = run_crawl(server.base_url, tmp, **settings)
    return Crawl(tmp, result.returncode, result.stderr)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    return crawl(tmp_path_factory.mktemp("evidence") / "out")


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    with WaybackServer(Archive.from_directory(DEV_CORPUS)) as server:
        server.faults.configure(
            f"corrupt@replay,url={BROKEN}id_,p=1,times=50;"
            f"corrupt@replay,url={FLAKY}id_,first=1"
        )
        out = tmp_path_factory.mktemp("faulty") / "out"
        result = run_crawl(server.base_url, out, ISE_ARCHIVE_MAX_FAILURE_SHARE="0.5")
    return Crawl(out, result.returncode, result.stderr)


def fetched(records: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for record in records:
        for capture in record["captures"]:
            if capture["warc"] is not None:
                yield capture


def test_every_fetched_capture_is_at_its_offset_as_the_original_answer(
    clean: Crawl,
) -> None:
    assert clean.returncode == 0, clean.stderr[-2000:]
    warc_dir = clean.output_dir / "warc"
    captures = list(fetched(clean.records))
    assert {c["outcome"] for c in captures} >= {"record"}
    used = [c for r in clean.records for c in r["captures"] if c["used"]]
    assert all(c["warc"] is not None for c in used)
    for capture in captures:
        stored = read_record(
            warc_dir, capture["warc"]["filename"], capture["warc"]["offset"]
        )
        row = ROWS[(capture["timestamp"], capture["original"])]
        payload = (DEV_CORPUS / "captures" / f"{row['cid']}.bin").read_bytes()
        assert (stored.role, stored.target_uri, stored.timestamp) == (
            "capture",
            capture["original"],
            capture["timestamp"],
        )
        assert stored.payload == payload
        assert stored.source_uri.endswith(
            f"/web/{capture['timestamp']}id_/{capture['original']}"
        )
        assert capture["verified"] is True
        assert same_digest(stored.payload, capture["digest"]) is True


def test_the_wacz_validates_and_lists_the_posts_used(clean: Crawl) -> None:
    wacz = clean.output_dir / "ise-archive.wacz"
    assert validate_wacz(wacz) is True
    with zipfile.ZipFile(wacz) as package:
        lines = package.read("pages/pages.jsonl").decode("utf-8").splitlines()
        archived = sorted(n for n in package.namelist() if n.startswith("archive/"))
    pages = [json.loads(line) for line in lines[1:]]
    expected = [
        (r["capture"]["original"], r["title"])
        for r in clean.records
        if r["capture"] is not None and r["completeness"] == "full"
    ]
    assert [(p["url"], p["title"]) for p in pages] == expected
    assert archived == [
        f"archive/{p.name}" for p in warc_files(clean.output_dir / "warc")
    ]
    manifest = json.loads((clean.output_dir / "manifest.json").read_text())
    listed = {entry["path"] for entry in manifest["files"]}
    assert "ise-archive.wacz" in listed
    assert {f"warc/{p.name}" for p in warc_files(clean.output_dir / "warc")} <= listed


def test_cdxj_indexer_and_warcio_replay_a_post_by_url_and_time(clean: Crawl) -> None:
    record = next(r for r in clean.records if r["url"] == WELCOME)
    original, timestamp = record["capture"]["original"], record["capture"]["timestamp"]
    files = warc_files(clean.output_dir / "warc")
    index = subprocess.run(
        [sys.executable, "-m", "cdxj_indexer.main", *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    key = f"{surt_urlkey(original)} {timestamp} "
    [line] = [line for line in index if line.startswith(key)]
    entry = json.loads(line.split(" ", 2)[2])
    with (clean.output_dir / "warc" / entry["filename"]).open("rb") as handle:
        handle.seek(int(entry["offset"]))
        stored = next(iter(ArchiveIterator(handle)))
        payload = stored.content_stream().read()
    row = ROWS[(timestamp, original)]
    assert payload == (DEV_CORPUS / "captures" / f"{row['cid']}.bin").read_bytes()


def test_rebuild_gives_the_same_dataset_offline(clean: Crawl, tmp_path: Path) -> None:
    out = tmp_path / "rebuilt"
    assert cli(["rebuild", str(clean.output_dir), "--out", str(out)]) == 0
    before, after = dataset_files(clean.output_dir), dataset_files(out)
    assert sorted(after) == sorted(before)
    for name in before:
        assert after[name] == before[name], name
    assert (
        last_report(out)["requests_by_status"]
        == last_report(clean.output_dir)["requests_by_status"]
    )


def test_verify_passes_and_fails_on_one_changed_byte(
    clean: Crawl, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(clean.output_dir, copy)
    assert cli(["verify", str(copy)]) == 0
    [warc] = warc_files(copy / "warc")
    data = bytearray(warc.read_bytes())
    data[len(data) // 2] ^= 0x01
    warc.write_bytes(bytes(data))
    capsys.readouterr()
    assert cli(["verify", str(copy)]) == 1
    out = capsys.readouterr().out
    assert f"warc/{warc.name}" in out
    assert f"warc/{warc.name}: does not match its SHA-256" in out


def test_no_record_is_built_from_changed_bytes(faulty: Crawl, clean: Crawl) -> None:
    assert faulty.returncode == 0, faulty.stderr[-2000:]
    warc_dir = faulty.output_dir / "warc"
    for record in faulty.records:
        used = next(c for c in record["captures"] if c["used"])
        stored = read_record(warc_dir, used["warc"]["filename"], used["warc"]["offset"])
        assert used["verified"] is True
        assert same_digest(stored.payload, used["digest"]) is True
    welcome = next(r for r in faulty.records if r["url"] == WELCOME)
    broken = next(c for c in welcome["captures"] if c["timestamp"] == BROKEN)
    assert (broken["outcome"], broken["used"], broken["verified"]) == (
        "failed:digest-mismatch",
        False,
        False,
    )
    kept = read_record(warc_dir, broken["warc"]["filename"], broken["warc"]["offset"])
    assert same_digest(kept.payload, broken["digest"]) is False  # kept as evidence
    assert welcome["capture"]["timestamp"] != BROKEN
    assert last_report(faulty.output_dir)["failed"] == {"digest-mismatch": 1}
    # the flaky capture was fetched again and matched: the same record as clean
    unchanged = {r["url"]: r["body_markdown"] for r in clean.records}
    for record in faulty.records:
        if record["url"] != WELCOME:
            assert record["body_markdown"] == unchanged[record["url"]]
    assert any(
        c["timestamp"] == FLAKY and c["used"] and c["verified"]
        for r in faulty.records
        for c in r["captures"]
    )


def test_warc_output_off_keeps_the_checks_and_writes_no_evidence(
    tmp_path: Path,
) -> None:
    run = crawl(tmp_path / "out", ISE_ARCHIVE_WARC_ENABLED="False")
    assert run.returncode == 0, run.stderr[-2000:]
    assert not (run.output_dir / "warc").exists()
    assert not (run.output_dir / "ise-archive.wacz").exists()
    used = [c for r in run.records for c in r["captures"] if c["used"]]
    assert [(c["warc"], c["verified"]) for c in used] == [(None, True)] * len(used)


def test_a_rebuild_asking_a_cdx_query_the_warcs_lack_fails_naming_it(
    clean: Crawl, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """As after an upgrade whose discovery asks a question the stored crawl did not:
    the rebuild says which, and fails, rather than rebuild fewer posts quietly."""
    source = tmp_path / "source"
    shutil.copytree(clean.output_dir, source)
    [warc] = warc_files(source / "warc")
    dropped = _drop_first_record(warc, role="cdx")
    capfd.readouterr()

    status = cli(["rebuild", str(source), "--out", str(tmp_path / "rebuilt")])

    stderr = capfd.readouterr().err
    assert status == 1, stderr[-3000:]
    assert (
        "the WARC files hold no answer to the CDX query "
        f"{describe_cdx_query(dropped)}" in stderr
    )
    # the prefix not read in full, discovery looks up the posts it names one by
    # one: more queries the crawl never asked, each named too
    assert re.search(
        r"Rebuild failed: the WARC files hold no answer to \d+ CDX ", stderr
    )


def _drop_first_record(warc: Path, *, role: str) -> str:
    """Cut the first ``role`` record out of ``warc`` (gzip per record: the rest
    stays readable); returns the URI it answered."""
    with warc.open("rb") as handle:
        records = ArchiveIterator(handle)
        spans = []
        for record in records:
            uri = record.rec_headers.get_header("WARC-Target-URI")
            kind = record.rec_headers.get_header("ISE-Archive-Role")
            records.read_to_end(record)
            spans.append((records.get_record_offset(), kind, uri))
    data = warc.read_bytes()
    ends = [offset for offset, _, _ in spans[1:]] + [len(data)]
    index = next(i for i, (_, kind, _) in enumerate(spans) if kind == role)
    start, end = spans[index][0], ends[index]
    warc.write_bytes(data[:start] + data[end:])
    return spans[index][2]


#: New captures the archive gains between runs: (post, capture whose bytes it
#: starts from, new timestamp).
GAINED = (
    (WELCOME, "c0026", "20160101000000"),
    (
        "http://www.ise.gov/blog/ise-bloggers/after-boston-how-information-sharing-"
        "supported-marathon-response",
        "c0009",
        "20160202000000",
    ),
)


def test_rebuild_after_incremental_runs_gives_the_last_runs_dataset(
    tmp_path: Path,
) -> None:
    """Three runs into one OUTPUT_DIR, the archive gaining a capture before the
    second and the third: a rebuild from the three runs' WARC files gives the
    dataset of the last run."""
    output_dir = tmp_path / "out"
    archive = Archive.from_directory(DEV_CORPUS)
    with WaybackServer(archive) as server:
        first = run_crawl(server.base_url, output_dir)
        assert first.returncode == 0, first.stderr[-3000:]
        for url, cid, timestamp in GAINED:
            body = (DEV_CORPUS / "captures" / f"{cid}.bin").read_bytes()
            body = body.replace(b"<p>", f"<p>Updated {timestamp}. ".encode(), 1)
            archive.add_capture(url, timestamp, body)
            archive.refresh_page_index()
            run = run_crawl(server.base_url, output_dir)
            assert run.returncode == 0, run.stderr[-3000:]
            assert last_report(output_dir)["posts_updated"] == 1
    assert len(warc_files(output_dir / "warc")) == 3  # one per run, none rewritten
    rebuilt = tmp_path / "rebuilt"

    assert cli(["rebuild", str(output_dir), "--out", str(rebuilt)]) == 0

    before, after = dataset_files(output_dir), dataset_files(rebuilt)
    assert sorted(after) == sorted(before)
    for name in before:
        assert after[name] == before[name], name
    updated = [r for r in read_records(rebuilt) if "Updated 2016" in r["body_markdown"]]
    assert sorted(r["capture"]["timestamp"] for r in updated) == [
        timestamp for _, _, timestamp in GAINED
    ]
    assert cli(["verify", str(rebuilt)]) == 0
