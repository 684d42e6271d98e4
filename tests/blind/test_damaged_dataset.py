"""``validate``, ``verify`` and ``rebuild`` on a dataset damaged after the crawl.

Promises checked: docs/dataset.md (validate: schema, manifest checksums, every
record has its Markdown file; `files` lists *every* dataset file; exit 1 on any
problem), docs/evidence.md (verify re-hashes every WARC record and manifest file,
one line per mismatch, exit 1; a killed run's `.open` WARC is recovered; rebuild
from the WARCs alone is byte for byte the crawl's; a request the WARCs cannot
answer ends `failed:not-in-warc`), and the exit-code table (no traceback, 70 only
for bugs, 75 only for an archive that cannot be reached).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.blind.conftest import assert_one_clear_line, cli


def warc_file(dataset: Path) -> Path:
    (path,) = sorted((dataset / "warc").glob("*.warc.gz"))
    return path


def flip_middle_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def truncate_in_the_middle(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def dataset_files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).parts[0] not in ("runs", ".state")
    }


def assert_only_our_lines(stderr: str) -> None:
    """Every stderr line is the command's own (``ise-archive: ...``)."""
    stray = [line for line in stderr.splitlines() if line.strip()]
    stray = [line for line in stray if not line.startswith("ise-archive")]
    assert stray == [], stderr[:2000]


# --- validate / verify ----------------------------------------------------------


def test_intact_dataset_validates_and_verifies(dataset: Path) -> None:
    for command in ("validate", "verify"):
        proc = cli(command, dataset)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert proc.stderr == ""


def test_deleted_markdown_file_is_reported(dataset: Path) -> None:
    md = sorted((dataset / "posts").rglob("*.md"))[0]
    md.unlink()
    relative = md.relative_to(dataset).as_posix()
    for command in ("validate", "verify"):
        proc = cli(command, dataset)
        assert proc.returncode == 1, proc.stderr
        assert f"{relative}: is listed in the manifest but missing" in proc.stdout
        assert "Traceback" not in proc.stderr


def test_truncated_records_file_is_reported(dataset: Path) -> None:
    records = dataset / "records.jsonl"
    records.write_bytes(records.read_bytes()[:1000])
    proc = cli("validate", dataset)
    assert proc.returncode == 1
    assert "records.jsonl: has 1000 bytes" in proc.stdout
    assert "records.jsonl:1: is not JSON" in proc.stdout


def test_one_changed_letter_in_records_is_reported(dataset: Path) -> None:
    records = dataset / "records.jsonl"
    text = records.read_text(encoding="utf-8")
    at = text.index('"title": "') + len('"title": "')
    records.write_text(text[:at] + "#" + text[at + 1 :], encoding="utf-8")
    for command in ("validate", "verify"):
        proc = cli(command, dataset)
        assert proc.returncode == 1
        assert "records.jsonl: does not match its SHA-256" in proc.stdout


def test_binary_garbage_appended_to_records_is_one_problem_per_line(
    dataset: Path,
) -> None:
    with (dataset / "records.jsonl").open("ab") as f:
        f.write(bytes(range(256)) * 8)
    proc = cli("validate", dataset)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "is not UTF-8" in proc.stdout
    assert_one_clear_line(cli("export", "--parquet", dataset), 3)


def test_missing_manifest_is_reported(dataset: Path) -> None:
    (dataset / "manifest.json").unlink()
    for command in ("validate", "verify"):
        proc = cli(command, dataset)
        assert proc.returncode == 1
        assert "manifest.json: is missing" in proc.stdout


def test_schema_violation_behind_a_consistent_manifest_is_found(dataset: Path) -> None:
    records = dataset / "records.jsonl"
    lines = records.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[0])
    record["published"] = "yesterday"
    lines[0] = json.dumps(record, ensure_ascii=False)
    data = ("\n".join(lines) + "\n").encode()
    records.write_bytes(data)
    manifest = json.loads((dataset / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        if entry["path"] == "records.jsonl":
            entry.update(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    (dataset / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    proc = cli("validate", dataset)
    assert proc.returncode == 1
    assert "records.jsonl:1: at $.published" in proc.stdout


def test_dataset_file_left_out_of_the_manifest_is_reported(dataset: Path) -> None:
    """docs/dataset.md: `files` is "{path, sha256, size} for every dataset file";
    a manifest that no longer lists records.jsonl and the WARC file leaves them
    unchecked, and both commands still say "valid"/"verified" with exit 0."""
    path = dataset / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["files"] = [
        f
        for f in manifest["files"]
        if f["path"] != "records.jsonl" and not f["path"].startswith("warc/")
    ]
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    for command in ("validate", "verify"):
        proc = cli(command, dataset)
        assert proc.returncode == 1, f"{command}: {proc.stdout}"
        assert "records.jsonl" in proc.stdout


def test_warc_with_one_byte_changed_fails_verify_in_clear_lines(dataset: Path) -> None:
    """verify finds it (exit 1), but stderr also gets zlib's raw "Error -3 while
    decompressing data: incorrect data check", several times, unprefixed."""
    flip_middle_byte(warc_file(dataset))
    proc = cli("verify", dataset)
    assert proc.returncode == 1
    assert warc_file(dataset).name in proc.stdout
    assert_only_our_lines(proc.stderr)


def test_warc_truncated_in_a_record_fails_verify(dataset: Path) -> None:
    truncate_in_the_middle(warc_file(dataset))
    proc = cli("verify", dataset)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert warc_file(dataset).name in proc.stdout
    assert_only_our_lines(proc.stderr)


def test_open_warc_leftover_is_not_passed_over_in_silence(dataset: Path) -> None:
    """A killed run leaves `warc/<name>.open`; verify "re-hashes every WARC record"
    but says "verified (1 WARC file(s))" and never mentions the leftover, whose
    records nobody checked."""
    leftover = dataset / "warc" / "ise-archive-20991231T000000.000Z-00001.warc.gz.open"
    leftover.write_bytes(warc_file(dataset).read_bytes()[:150_000])
    proc = cli("verify", dataset)
    assert leftover.name in proc.stdout + proc.stderr


# --- rebuild --------------------------------------------------------------------


def test_rebuild_into_its_own_dir_changes_nothing(dataset: Path) -> None:
    before = dataset_files(dataset)
    proc = cli("rebuild", dataset, "--out", dataset)
    assert proc.returncode == 0, proc.stderr
    assert dataset_files(dataset) == before
    proc = cli("rebuild", dataset)
    assert proc.returncode == 0, proc.stderr
    assert dataset_files(dataset) == before


def test_rebuild_into_a_non_empty_dir_keeps_what_was_there(
    dataset: Path, tmp_path: Path
) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.txt").write_text("precious\n", encoding="utf-8")
    proc = cli("rebuild", dataset, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert (out / "thesis.txt").read_text(encoding="utf-8") == "precious\n"
    assert cli("validate", out).returncode == 0


def test_rebuild_with_an_open_leftover_gives_the_same_records(
    dataset: Path, tmp_path: Path
) -> None:
    (
        dataset / "warc" / "ise-archive-20991231T000000.000Z-00001.warc.gz.open"
    ).write_bytes(warc_file(dataset).read_bytes()[:150_000])
    out = tmp_path / "rebuilt"
    proc = cli("rebuild", dataset, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert (out / "records.jsonl").read_bytes() == (
        dataset / "records.jsonl"
    ).read_bytes()


def test_rebuild_from_a_corrupt_warc_is_not_a_bug(
    dataset: Path, tmp_path: Path
) -> None:
    """One changed byte in the WARC: rebuild says "internal error: ArchiveLoadFailed:
    Unknown archive format, first line: [binary]... (a bug)" (exit 70) after 7 raw
    zlib lines. Damaged input is not a bug: one line naming the WARC file, and
    exit 1 (problems found) or 3 (unusable input)."""
    flip_middle_byte(warc_file(dataset))
    proc = cli("rebuild", dataset, "--out", tmp_path / "rebuilt")
    assert proc.returncode in (1, 3), proc.stderr[-1500:]
    line = assert_one_clear_line(proc, proc.returncode)
    assert warc_file(dataset).name in line


def test_rebuild_from_a_truncated_warc_is_not_an_unreachable_archive(
    dataset: Path, tmp_path: Path
) -> None:
    """docs/evidence.md: a request the WARC files cannot answer ends
    `failed:not-in-warc`. Instead the offline rebuild stops with "ERROR: cannot
    reach http://127.0.0.1:<port>: NotInWarc ..." and exit 75 ("archive
    unreachable: run again later", which can never help), with tracebacks."""
    truncate_in_the_middle(warc_file(dataset))
    out = tmp_path / "rebuilt"
    proc = cli("rebuild", dataset, "--out", out)
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert "cannot reach" not in proc.stderr
    assert proc.returncode in (0, 1), proc.stderr[-1500:]
    report = json.loads(sorted((out / "runs").glob("*.json"))[-1].read_text())
    assert "not-in-warc" in report["failed"], report["failed"]
