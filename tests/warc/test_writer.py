"""Writing WARC/1.1 files and reading them back with warcio, cdxj-indexer, py-wacz."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from ise_archive.errors import DamagedWarc
from ise_archive.warc.reader import (
    iter_heads,
    iter_records,
    read_record,
    verify_warcs,
)
from ise_archive.warc.replay import replayed_headers
from ise_archive.warc.wacz import Page, create_wacz, validate_wacz
from ise_archive.warc.writer import WarcLocation, WarcWriter, recover_open_files

ORIGINAL = "http://www.ise.gov/blog/a-post"
SOURCE = "http://127.0.0.1:1/web/20110114071109id_/http://www.ise.gov/blog/a-post"
#: What the Wayback Machine sends for an id_ capture: its own headers, transfer
#: headers, and the original ones under X-Archive-Orig-*.
SERVED = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Content-Encoding", "gzip"),
    ("Content-Length", "12"),
    ("Memento-Datetime", "Fri, 14 Jan 2011 07:11:09 GMT"),
    ("Link", f'<{ORIGINAL}>; rel="original"'),
    ("X-Archive-Orig-Server", "Apache"),
    ("X-Archive-Orig-Content-Type", "text/html; charset=utf-8"),
    ("X-Archive-Orig-Transfer-Encoding", "chunked"),
    ("X-Archive-Orig-Connection", "close"),
]
PAYLOAD = b"<html><head><title>A post</title></head><body>\xe2\x80\x94</body></html>"


def write_one(directory: Path, **kw: object) -> WarcLocation:
    with WarcWriter(directory, run_id="20261203T150100.000Z", software="t/1") as w:
        return w.write_capture(
            original=ORIGINAL,
            timestamp="20110114071109",
            status=200,
            headers=SERVED,
            payload=PAYLOAD,
            source_uri=SOURCE,
            cdx_digest="ABC",
            **kw,  # type: ignore[arg-type]
        )


def test_capture_record_says_what_the_original_server_sent(tmp_path: Path) -> None:
    location = write_one(tmp_path)
    assert location.filename == "ise-archive-20261203T150100.000Z-00001.warc.gz"
    with (tmp_path / location.filename).open("rb") as handle:
        records = list(_records(handle))
    assert [r[0] for r in records] == ["warcinfo", "response"]
    _, offset, warc_headers, http, payload = records[1]
    assert offset == location.offset
    assert warc_headers["WARC-Target-URI"] == ORIGINAL
    assert warc_headers["WARC-Date"] == "2011-01-14T07:11:09Z"
    assert warc_headers["WARC-Source-URI"] == SOURCE
    assert warc_headers["WARC-Payload-Digest"].startswith("sha1:")
    assert warc_headers["WARC/"] == "1.1"
    assert http == (
        "200 OK",
        [
            ("Server", "Apache"),
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(PAYLOAD))),
        ],
    )
    assert payload == PAYLOAD
    info = records[0][2]
    assert info["WARC-Filename"] == location.filename


def test_read_back_by_offset_and_iterate(tmp_path: Path) -> None:
    location = write_one(tmp_path)
    stored = read_record(tmp_path, location.filename, location.offset)
    assert (stored.target_uri, stored.timestamp, stored.payload, stored.role) == (
        ORIGINAL,
        "20110114071109",
        PAYLOAD,
        "capture",
    )
    assert [(r.filename, r.offset, r.payload) for r in iter_records(tmp_path)] == [
        (location.filename, location.offset, PAYLOAD)
    ]


def test_an_attachment_is_a_capture_record_with_the_file_role(tmp_path: Path) -> None:
    location = write_one(tmp_path, role="file")
    stored = read_record(tmp_path, location.filename, location.offset)
    assert (stored.role, stored.target_uri, stored.source_uri) == (
        "file",
        ORIGINAL,
        SOURCE,
    )
    # a rebuild finds it under the memento URL it was fetched from, as a page's
    assert list(iter_heads(tmp_path)) == [
        (location.filename, location.offset, "file", SOURCE, 200)
    ]
    assert ("Memento-Datetime", "Fri, 14 Jan 2011 07:11:09 GMT") in replayed_headers(
        stored
    )
    with pytest.raises(ValueError, match="role"):
        write_one(tmp_path / "other", role="cdx")


def test_files_rotate_at_the_size_cap_and_are_renamed_when_closed(
    tmp_path: Path,
) -> None:
    writer = WarcWriter(tmp_path, run_id="r", software="t/1", max_bytes=500)
    first = writer.write_answer(
        url="http://127.0.0.1:1/cdx/search/cdx?url=ise.gov/blog/",
        status=200,
        headers=[("Content-Type", "application/json")],
        payload=json.dumps([["urlkey"]] * 200).encode(),
        role="cdx",
        fetched=datetime(2026, 12, 3, 15, 0, tzinfo=UTC),
    )
    assert list(tmp_path.iterdir()) == [tmp_path / (first.filename + ".open")]
    second = writer.write_answer(
        url="http://127.0.0.1:1/web/2011id_/http://www.ise.gov/x",
        status=404,
        headers=[],
        payload=b"not archived",
        role="archive",
        fetched=datetime(2026, 12, 3, 15, 0, tzinfo=UTC),
    )
    assert writer.close() == [
        "ise-archive-r-00001.warc.gz",
        "ise-archive-r-00002.warc.gz",
    ]
    assert (first.filename, second.filename) == tuple(writer.closed_files)
    assert sorted(p.name for p in tmp_path.iterdir()) == writer.closed_files
    stored = read_record(tmp_path, second.filename, second.offset)
    assert (stored.role, stored.status, stored.date) == (
        "archive",
        404,
        "2026-12-03T15:00:00Z",
    )


def test_a_killed_runs_open_file_keeps_its_whole_records(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, run_id="r", software="t/1")
    kept = [
        writer.write_capture(
            original=f"{ORIGINAL}-{i}",
            timestamp="20110114071109",
            status=200,
            headers=SERVED,
            payload=PAYLOAD * 20,
            source_uri=SOURCE,
        )
        for i in range(3)
    ]
    writer._file.flush()  # type: ignore[union-attr]  # killed here: never closed
    open_file = tmp_path / (kept[0].filename + ".open")
    whole = open_file.read_bytes()
    open_file.write_bytes(whole[: kept[2].offset + 40])  # cut inside the last record
    assert recover_open_files(tmp_path) == [kept[0].filename]
    assert [r.target_uri for r in iter_records(tmp_path)] == [
        f"{ORIGINAL}-0",
        f"{ORIGINAL}-1",
    ]
    assert (tmp_path / kept[0].filename).stat().st_size == kept[2].offset
    assert list(verify_warcs(tmp_path)) == []


def test_verify_finds_one_changed_byte(tmp_path: Path) -> None:
    location = write_one(tmp_path)
    assert list(verify_warcs(tmp_path)) == []
    path = tmp_path / location.filename
    data = bytearray(path.read_bytes())
    data[location.offset + 60] ^= 0x01
    path.write_bytes(bytes(data))
    problems = list(verify_warcs(tmp_path))
    assert [p.path for p in problems] == [location.filename]


def test_every_reader_names_a_damaged_file_once_and_prints_nothing(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """warcio prints zlib's complaints to stderr and reads on; a rebuild must stop
    at them with the file's name instead (and the exit code of damaged input)."""
    location = write_one(tmp_path)
    path = tmp_path / location.filename
    data = bytearray(path.read_bytes())
    data[location.offset + 60] ^= 0x01
    path.write_bytes(bytes(data))
    reads = {
        "iter_records": lambda: list(iter_records(tmp_path)),
        "iter_heads": lambda: list(iter_heads(tmp_path)),
        "read_record": lambda: read_record(tmp_path, path.name, location.offset),
    }
    for name, read in reads.items():
        with pytest.raises(DamagedWarc) as raised:
            read()
        assert raised.value.filename == path.name, name
        assert "\n" not in str(raised.value), name
    assert capfd.readouterr().err == ""


def test_warcio_and_cdxj_indexer_find_the_capture_by_url_and_time(
    tmp_path: Path,
) -> None:
    location = write_one(tmp_path)
    path = tmp_path / location.filename
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", str(path)],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    index = subprocess.run(
        [sys.executable, "-m", "cdxj_indexer.main", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    found = [
        json.loads(line.split(" ", 2)[2])
        for line in index
        if line.startswith("gov,ise)/blog/a-post 20110114071109 ")
    ]
    assert [(f["url"], int(f["offset"])) for f in found] == [
        (ORIGINAL, location.offset)
    ]


def test_wacz_lists_the_pages_and_validates(tmp_path: Path) -> None:
    location = write_one(tmp_path / "warc")
    wacz = create_wacz(
        [tmp_path / "warc" / location.filename],
        [Page(url=ORIGINAL, timestamp="20110114071109", title="A post")],
        tmp_path / "ise-archive.wacz",
    )
    assert validate_wacz(wacz) is True
    import zipfile

    with zipfile.ZipFile(wacz) as package:
        pages = package.read("pages/pages.jsonl").decode().splitlines()
        assert f"archive/{location.filename}" in package.namelist()
    assert json.loads(pages[1]) == {
        "url": ORIGINAL,
        "ts": "2011-01-14T07:11:09Z",
        "title": "A post",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ise-archive.wacz", "warc"]


def _records(handle: io.BufferedReader):  # type: ignore[no-untyped-def]
    records = ArchiveIterator(handle)
    for record in records:
        http = record.http_headers
        payload = record.raw_stream.read()
        warc = dict(record.rec_headers.headers)
        warc["WARC/"] = record.rec_headers.protocol.removeprefix("WARC/")
        yield (
            record.rec_type,
            records.get_record_offset(),
            warc,
            (http.statusline, http.headers) if http else None,
            payload,
        )


def test_evidence_is_packaged_once_and_kept_while_unchanged(tmp_path: Path) -> None:
    from ise_archive.warc.wacz import package_evidence

    assert package_evidence(tmp_path, []) == []
    location = write_one(tmp_path / "warc")
    pages = [Page(url=ORIGINAL, timestamp="20110114071109", title="A post")]
    listed = package_evidence(tmp_path, pages)
    assert listed == [f"warc/{location.filename}", "ise-archive.wacz"]
    before = (tmp_path / "ise-archive.wacz").read_bytes()
    assert package_evidence(tmp_path, pages) == listed
    assert (tmp_path / "ise-archive.wacz").read_bytes() == before
    retitled = [Page(url=ORIGINAL, timestamp="20110114071109", title="Retitled")]
    package_evidence(tmp_path, retitled)
    assert (tmp_path / "ise-archive.wacz").read_bytes() != before
    assert validate_wacz(tmp_path / "ise-archive.wacz") is True


def test_a_discarded_file_leaves_nothing(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, run_id="r", software="t/1")
    writer.write_answer(
        url="http://127.0.0.1:1/cdx/search/cdx?url=ise.gov/blog/",
        status=200,
        headers=[],
        payload=b"[]",
        role="cdx",
        fetched=datetime(2026, 12, 3, 15, 0, tzinfo=UTC),
    )
    assert writer.discard() == []
    assert list(tmp_path.iterdir()) == []


def test_each_record_is_one_gzip_member_starting_at_its_offset(
    tmp_path: Path,
) -> None:
    """What warcio's writer guaranteed and ours must keep: readers seek to an
    offset and decompress one member, and a cut file is recovered member by
    member. Each member holds exactly one record, at our chosen level."""
    import itertools
    import re
    import zlib

    from ise_archive.warc.writer import GZIP_LEVEL

    writer = WarcWriter(tmp_path, run_id="r", software="t/1")
    locations = [
        writer.write_capture(
            original=f"{ORIGINAL}-{i}",
            timestamp="20110114071109",
            status=200,
            headers=SERVED,
            payload=PAYLOAD * (i + 1) * 50,
            source_uri=SOURCE,
        )
        for i in range(3)
    ]
    writer.close()
    data = (tmp_path / locations[0].filename).read_bytes()
    starts = [0] + [loc.offset for loc in locations] + [len(data)]
    members = []
    for start, end in itertools.pairwise(starts):
        inflater = zlib.decompressobj(wbits=31)
        members.append(inflater.decompress(data[start:]))
        assert inflater.eof
        assert len(data) - start - len(inflater.unused_data) == end - start
    assert [m.count(b"WARC/1.1\r\n") for m in members] == [1, 1, 1, 1]
    types = [re.search(rb"\r\nWARC-Type: (\w+)\r\n", m) for m in members]
    assert [t.group(1) for t in types if t] == [b"warcinfo"] + [b"response"] * 3
    plain = members[1]
    assert zlib.compress(plain, GZIP_LEVEL, wbits=31) == data[starts[1] : starts[2]]
    assert 1 <= GZIP_LEVEL < 9  # warcio's fixed 9 cost twice the CPU (module doc)


def test_an_answer_stopped_at_its_cap_is_a_truncated_record(tmp_path: Path) -> None:
    """WARC 1.1's ``WARC-Truncated: length`` ("exceeds configured max length"): the
    archive's status and headers, no payload, its digest never checked."""
    with WarcWriter(tmp_path, run_id="r", software="t/1") as writer:
        cut = writer.write_capture(
            original=ORIGINAL,
            timestamp="20110114071109",
            status=200,
            headers=SERVED,
            payload=b"",
            source_uri=SOURCE,
            cdx_digest="ABC",
            verified=False,
            role="file",
            truncated="length",
        )
        whole = writer.write_capture(
            original=ORIGINAL,
            timestamp="20110114071109",
            status=200,
            headers=SERVED,
            payload=PAYLOAD,
            source_uri=SOURCE,
        )
    stored = read_record(tmp_path, cut.filename, cut.offset)
    assert (stored.truncated, stored.payload, stored.verified, stored.status) == (
        "length",
        b"",
        None,
        200,
    )
    assert ("Content-Length", "0") in stored.headers
    assert read_record(tmp_path, whole.filename, whole.offset).truncated == ""
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", str(tmp_path / cut.filename)],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert list(verify_warcs(tmp_path)) == []


def test_a_record_header_garbled_by_damage_is_damage(tmp_path: Path) -> None:
    """A changed byte garbles what a gzip member decompresses to before its CRC is
    checked, and a cut can fall inside a header: a ``response`` header without its
    ``WARC-Target-URI`` made warcio raise AttributeError, which escaped as exit 70
    ("a bug") from verify and rebuild. It is named as damage like any other."""
    import zlib

    location = write_one(tmp_path)
    path = tmp_path / location.filename
    garbled = (
        b"WARC/1.1\r\nWARC-Type: response\r\nWARC-Date: 2011-01-14T07:11:09Z\r\n"
        b"Content-Length: 4\r\n\r\nHTTP\r\n\r\n"
    )
    start = path.stat().st_size
    path.write_bytes(path.read_bytes() + zlib.compress(garbled, 4, wbits=31))
    for read in (
        lambda: list(iter_records(tmp_path)),
        lambda: list(iter_heads(tmp_path)),
        lambda: read_record(tmp_path, path.name, start),
    ):
        with pytest.raises(DamagedWarc) as raised:
            read()
        assert raised.value.filename == path.name
    assert [p.path for p in verify_warcs(tmp_path)] == [path.name]
    whole = path.read_bytes()
    path.rename(path.with_name(path.name + ".open"))
    assert recover_open_files(tmp_path) == [path.name]
    assert len(path.read_bytes()) < len(whole)
    assert [r.offset for r in iter_records(tmp_path)] == [location.offset]


def test_a_file_cut_inside_a_record_header_reads_as_far_as_it_goes(
    tmp_path: Path,
) -> None:
    """Like a cut between records (docs/evidence.md): the whole records before the
    cut are read, the cut one is lost, and nothing calls the file damaged."""
    import zlib

    with WarcWriter(tmp_path, run_id="r", software="t/1") as writer:
        first, second = (
            writer.write_capture(
                original=f"{ORIGINAL}-{i}",
                timestamp="20110114071109",
                status=200,
                headers=SERVED,
                payload=PAYLOAD,
                source_uri=SOURCE,
            )
            for i in range(2)
        )
    path = tmp_path / first.filename
    data = path.read_bytes()

    def header_read(cut: int) -> bytes:
        return zlib.decompressobj(wbits=31).decompress(data[second.offset : cut])

    cut = next(
        c
        for c in range(second.offset + 20, len(data))
        if b"WARC-Type: response\r\n" in header_read(c)
    )
    assert b"WARC-Target-URI" not in header_read(cut)
    path.write_bytes(data[:cut])
    assert [r.offset for r in iter_records(tmp_path)] == [first.offset]
    assert [h[1] for h in iter_heads(tmp_path)] == [first.offset]
    assert list(verify_warcs(tmp_path)) == []


def test_a_cut_warc_is_listed_but_not_packaged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """py-wacz (warcio inside) fails on a record header cut short; the dataset is
    still written from what can be read, without a WACZ, and the file is named."""
    from ise_archive.warc.wacz import package_evidence

    location = write_one(tmp_path / "warc")
    path = tmp_path / "warc" / location.filename
    data = path.read_bytes()
    cut = location.offset + 1
    while b"WARC-Type: response" not in _inflated(data[location.offset : cut]):
        cut += 1
    path.write_bytes(data[:cut])
    pages = [Page(url=ORIGINAL, timestamp="20110114071109", title="A post")]
    assert package_evidence(tmp_path, pages) == [f"warc/{location.filename}"]
    assert not (tmp_path / "ise-archive.wacz").exists()
    assert [m for _, _, m in caplog.record_tuples if "WACZ" in m] == [
        f"The WACZ was not made: {location.filename}: cut or damaged inside a record"
    ]


def _inflated(member: bytes) -> bytes:
    import zlib

    return zlib.decompressobj(wbits=31).decompress(member)
