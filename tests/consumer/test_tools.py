"""The manifest, the card, portability, and `ise-archive verify/validate/rebuild`
run as the card tells a consumer to: from inside the dataset (`.`), on a copy
that holds only what the manifest lists (the dataset proper, as a download or an
`rsync --delete` mirror has it)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml
from warcio.archiveiterator import ArchiveIterator

from tests.consumer.conftest import PRODUCER_MARK, Dataset
from tests.consumer.tools import ROOT, ise_archive

NOT_DATASET = ("runs/", ".state/")


def dataset_files(root: Path) -> dict[str, bytes]:
    files = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_file() and not relative.startswith(NOT_DATASET):
            files[relative] = path.read_bytes()
    return files


def published_copy(dataset: Dataset, target: Path) -> Path:
    """The files `manifest.json` lists, and the manifest: nothing else."""
    for entry in [*dataset.manifest()["files"], {"path": "manifest.json"}]:
        destination = target / entry["path"]
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(dataset.root / entry["path"], destination)
    return target


def consumer_run(*args: str, cwd: Path) -> tuple[int, str]:
    """`python -m ise_archive ...` from inside the dataset directory."""
    result = ise_archive(*args, cwd=cwd)
    return result.returncode, result.stdout + result.stderr


@pytest.fixture
def env_pythonpath(monkeypatch: pytest.MonkeyPatch) -> None:
    """The consumer's checkout is importable wherever they stand."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))


def test_manifest_lists_every_file_with_its_hash_and_size(dataset: Dataset) -> None:
    listed = {entry["path"]: entry for entry in dataset.manifest()["files"]}
    assert [e["path"] for e in dataset.manifest()["files"]] == sorted(listed)
    on_disk = dataset_files(dataset.root)
    on_disk.pop("manifest.json")
    assert set(listed) == set(on_disk)
    for path, data in on_disk.items():
        assert not Path(path).is_absolute() and ".." not in Path(path).parts
        assert listed[path]["sha256"] == hashlib.sha256(data).hexdigest(), path
        assert listed[path]["size"] == len(data), path


def test_datapackage_paths_are_relative(dataset: Dataset) -> None:
    descriptor = json.loads((dataset.root / "datapackage.json").read_text("utf-8"))
    for resource in descriptor["resources"]:
        assert not Path(resource["path"]).is_absolute()
        assert (dataset.root / resource["path"]).is_file()


def _texts_inside(name: str, data: bytes) -> list[tuple[str, bytes]]:
    """The bytes of a file and of everything packed in it (gzip, zip)."""
    found = [(name, data)]
    if name.endswith(".gz"):
        found += _texts_inside(name[:-3], gzip.decompress(data))
    elif name.endswith(".wacz"):
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            for member in package.namelist():
                found += _texts_inside(f"{name}!{member}", package.read(member))
    return found


def test_no_path_of_the_producers_machine_inside_the_dataset(
    dataset: Dataset,
) -> None:
    """The dataset was moved after the crawl: nothing in it may name where it
    was written (a portability and privacy leak)."""
    leaks = [
        name
        for path, data in dataset_files(dataset.root).items()
        for name, content in _texts_inside(path, data)
        if PRODUCER_MARK.encode() in content
        or str(dataset.producer_root).encode() in content
    ]
    assert leaks == []


def test_card_header_loads_as_a_hugging_face_dataset_card(dataset: Dataset) -> None:
    text = (dataset.root / "README.md").read_text("utf-8")
    match = re.match(r"---\n(.*?)\n---\n", text, re.DOTALL)
    assert match
    header = yaml.safe_load(match.group(1))
    assert header["license"] == "cc0-1.0"
    for config in header["configs"]:
        for data_file in config["data_files"]:
            assert (dataset.root / data_file["path"]).is_file()


def test_card_this_copy_and_counts_agree_with_the_dataset(dataset: Dataset) -> None:
    text = (dataset.root / "README.md").read_text("utf-8")
    manifest = dataset.manifest()
    crawl = manifest["crawl"]
    records = dataset.records()
    assert f"crawled: {crawl['started']} (UTC, start of run `{crawl['run_id']}`)" in (
        text
    )
    assert f"tool: ise-archive {manifest['tool']['version']}" in text
    assert ("**complete**" in text) is crawl["complete"]
    assert f"- posts: {len(records)} " in text
    partial = sum(r["completeness"] == "partial" for r in records)
    assert f'(`completeness: "partial"`): {partial}\n' in text
    captures = sum(len(r["captures"]) for r in records)
    assert f"captures of those posts listed in `captures`: {captures}\n" in text
    warcs = len(list((dataset.root / "warc").glob("*.warc.gz")))
    assert f"`warc/*.warc.gz` ({warcs} files" in text
    for year, count in manifest["counts"]["posts_by_year"].items():
        assert f"| {year} | {count} |" in text


def test_verify_and_validate_pass_on_the_published_copy(
    dataset: Dataset, tmp_path: Path, env_pythonpath: None
) -> None:
    copy = published_copy(dataset, tmp_path / "ise")
    code, output = consumer_run("verify", ".", cwd=copy)
    assert code == 0, output
    code, output = consumer_run("validate", "--strict", ".", cwd=copy)
    assert code == 0, output


def test_verify_names_a_changed_file(
    dataset: Dataset, tmp_path: Path, env_pythonpath: None
) -> None:
    copy = published_copy(dataset, tmp_path / "ise")
    rescued = next(
        a["path"] for r in dataset.records() for a in r["attachments"] if a.get("path")
    )
    data = bytearray((copy / rescued).read_bytes())
    data[0] ^= 1
    (copy / rescued).write_bytes(bytes(data))
    code, output = consumer_run("verify", ".", cwd=copy)
    assert code == 1, output
    assert rescued in output
    code, output = consumer_run("validate", ".", cwd=copy)
    assert code == 1, output


def test_verify_of_a_missing_directory_exits_3(
    tmp_path: Path, env_pythonpath: None
) -> None:
    code, _ = consumer_run("verify", str(tmp_path / "nothing"), cwd=tmp_path)
    assert code == 3


def test_rebuild_from_the_warcs_gives_the_same_dataset(
    dataset: Dataset, tmp_path: Path, env_pythonpath: None
) -> None:
    """The card: `ise-archive rebuild . --out DIR` re-runs the crawl offline from
    the WARC files; `records.jsonl`, `posts/`, `files/` and the manifest entries
    come out byte for byte the same."""
    copy = published_copy(dataset, tmp_path / "ise")
    rebuilt = tmp_path / "rebuilt"
    code, output = consumer_run("rebuild", ".", "--out", str(rebuilt), cwd=copy)
    assert code == 0, output
    before, after = dataset_files(copy), dataset_files(rebuilt)
    assert set(after) == set(before)
    different = [path for path in before if before[path] != after[path]]
    assert different == []
    code, output = consumer_run("verify", ".", cwd=rebuilt)
    assert code == 0, output
    code, output = consumer_run("validate", "--strict", ".", cwd=rebuilt)
    assert code == 0, output


def test_manifest_parameters_say_how_the_run_was_made(dataset: Dataset) -> None:
    """docs/dataset.md: `parameters` holds "the run's settings"; the crawl ran
    with link checks and attachments on, which decide fields of every record
    (`links[].archived`, `attachments`)."""
    names = {name.lower() for name in dataset.manifest()["parameters"]}
    assert any("check_links" in name for name in names), sorted(names)
    assert any("attachments" in name for name in names), sorted(names)


def test_fetch_times_stay_in_the_evidence(dataset: Dataset) -> None:
    """docs/dataset.md: outside the evidence the crawl's time is the only clock
    value; the WARC files and the WACZ record when each answer was fetched. No
    fetch time leaks into records, Markdown or the descriptions (they would then
    change with every run)."""
    stamps = set()
    for path in sorted((dataset.root / "warc").glob("*.warc.gz")):
        with path.open("rb") as stream:
            for warc_record in ArchiveIterator(stream):
                headers = warc_record.rec_headers
                # a capture's or file's WARC-Date is the capture time, not a clock
                if headers.get_header("ISE-Archive-Role") not in {"capture", "file"}:
                    stamps.add(headers.get_header("WARC-Date")[:19])
    with zipfile.ZipFile(dataset.root / "ise-archive.wacz") as wacz:
        stamps.add(json.loads(wacz.read("datapackage.json"))["created"][:19])
    stamps.discard(dataset.manifest()["crawl"]["started"][:19])
    assert stamps, "the evidence names no fetch time"
    described = [
        dataset.root / name
        for name in ("records.jsonl", "README.md", "manifest.json", "datapackage.json")
    ]
    described += sorted((dataset.root / "posts").rglob("*.md"))
    for path in described:
        text = path.read_text(encoding="utf-8")
        leaked = {stamp for stamp in stamps if stamp in text}
        assert not leaked, (path.name, leaked)
