"""``ise-archive verify``: WARC payloads against their digests, files against the
manifest."""

from __future__ import annotations

from pathlib import Path

import pytest

from ise_archive.cli import main
from ise_archive.dataset.writer import RunInfo, write_dataset
from tests.warc.test_writer import write_one


def dataset(tmp_path: Path) -> tuple[Path, Path]:
    """A dataset whose manifest lists its one WARC file, as a crawl's does."""
    location = write_one(tmp_path / "warc")
    write_dataset(
        tmp_path,
        [],
        run=RunInfo(tool_version="t", source_archive="x"),
        evidence=lambda: [f"warc/{location.filename}"],
    )
    return tmp_path, tmp_path / "warc" / location.filename


def test_a_warc_file_the_manifest_does_not_list_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_dataset(tmp_path, [], run=RunInfo(tool_version="t", source_archive="x"))
    location = write_one(tmp_path / "warc")
    assert main(["verify", str(tmp_path)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"warc/{location.filename}: is not listed in the manifest (unchecked)"
    ]


def test_verify_passes_then_fails_on_one_changed_warc_byte(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, warc = dataset(tmp_path)
    assert main(["verify", str(root)]) == 0
    assert "verified (1 WARC file(s) and manifest)" in capsys.readouterr().out
    data = bytearray(warc.read_bytes())
    data[len(data) - 30] ^= 0x01
    warc.write_bytes(bytes(data))
    assert main(["verify", str(root)]) == 1
    out = capsys.readouterr().out.splitlines()
    # its record's digest, and its checksum in the manifest
    assert [line.split(":", 1)[0] for line in out] == [f"warc/{warc.name}"] * 2
    assert "does not match its SHA-256 in the manifest" in out[1]


def test_verify_fails_on_a_changed_dataset_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = dataset(tmp_path)
    (root / "README.md").write_text("changed\n", encoding="utf-8")
    assert main(["verify", str(root)]) == 1
    assert capsys.readouterr().out.startswith("README.md: has ")


def test_verify_refuses_a_missing_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", str(tmp_path / "nope")]) == 3
    assert "not a directory" in capsys.readouterr().err
