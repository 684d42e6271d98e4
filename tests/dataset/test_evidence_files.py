"""The dataset writer lists the evidence files (WARC, WACZ) in the manifest and
describes them in the card."""

from __future__ import annotations

import json
from pathlib import Path

from ise_archive.dataset.checksums import file_sha256
from ise_archive.dataset.writer import RunInfo, write_dataset

RUN = RunInfo(tool_version="t", source_archive="https://web.archive.org")


def test_evidence_files_are_listed_and_described(tmp_path: Path) -> None:
    (tmp_path / "warc").mkdir()
    (tmp_path / "warc" / "a.warc.gz").write_bytes(b"warc bytes")
    (tmp_path / "ise-archive.wacz").write_bytes(b"wacz bytes")
    calls = []

    def evidence() -> list[str]:
        calls.append(1)
        return ["warc/a.warc.gz", "ise-archive.wacz"]

    write_dataset(tmp_path, [], run=RUN, evidence=evidence)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    entries = {e["path"]: [e["sha256"], e["size"]] for e in manifest["files"]}
    assert calls == [1]
    for name in ("warc/a.warc.gz", "ise-archive.wacz"):
        assert entries[name] == list(file_sha256(tmp_path / name))
    card = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "## Evidence: WARC and WACZ" in card
    assert "`warc/*.warc.gz` (1 files, WARC/1.1" in card


def test_without_evidence_the_card_has_no_evidence_section(tmp_path: Path) -> None:
    write_dataset(tmp_path, [], run=RUN)
    card = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "Evidence" not in card
    assert "checks them).\n\n## Fields\n" in card
