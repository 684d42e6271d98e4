"""Tests for ise_archive.dataset.export: Parquet copy of records.jsonl."""

from __future__ import annotations

import builtins
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ise_archive.dataset import export
from ise_archive.dataset.export import export_parquet
from ise_archive.dataset.validation import records_schema
from ise_archive.dataset.writer import write_dataset
from ise_archive.errors import DatasetError
from tests.dataset.test_writer import RUN, sample_posts


def test_parquet_round_trip_keeps_every_record(tmp_path: Path) -> None:
    posts = sample_posts()
    write_dataset(tmp_path, posts, run=RUN)
    path = export_parquet(tmp_path)
    assert path == tmp_path / "records.parquet"
    table = pq.read_table(path)
    assert table.num_rows == len(posts)
    assert table.to_pylist() == [_with_every_column(p.to_json()) for p in posts]
    assert str(table.schema.field("tags").type) == (
        "list<element: struct<name: string, url: string>>"
    )
    assert str(table.schema.field("nid").type) == "int64"


def _with_every_column(record: dict) -> dict:
    """A record as Parquet gives it back: an optional field it lacks (a link's
    ``archived``, only written when checked) is a null of its column."""
    links = [{**link, "archived": link.get("archived")} for link in record["links"]]
    return {**record, "links": links}


def test_batches_cover_every_line(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(export, "BATCH_SIZE", 3)
    posts = sample_posts()
    write_dataset(tmp_path, posts, run=RUN)
    target = tmp_path / "elsewhere" / "out.parquet"
    assert export_parquet(tmp_path, target) == target
    assert pq.read_table(target).column("url").to_pylist() == [p.url for p in posts]


def test_empty_dataset_gives_every_column(tmp_path: Path) -> None:
    write_dataset(tmp_path, [], run=RUN)
    table = pq.read_table(export_parquet(tmp_path))
    assert table.num_rows == 0
    assert table.column_names == list(records_schema()["properties"])


def test_missing_records_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"no records\.jsonl"):
        export_parquet(tmp_path)


def test_broken_line_fails_without_leaving_a_file(tmp_path: Path) -> None:
    write_dataset(tmp_path, sample_posts(), run=RUN)
    with (tmp_path / "records.jsonl").open("a") as handle:
        handle.write("{broken\n")
    with pytest.raises(DatasetError, match=r"records.jsonl:9 is not JSON"):
        export_parquet(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir() if "parquet" in p.name) == []


def test_missing_pyarrow_says_which_extra(tmp_path: Path, monkeypatch) -> None:
    real_import = builtins.__import__

    def no_pyarrow(name: str, *args, **kwargs):
        if name.startswith("pyarrow"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    with pytest.raises(DatasetError, match=r"ise-archive\[parquet\]"):
        export_parquet(tmp_path)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"title": "Caf\u00e9"}\n'.encode("latin-1"), "records.jsonl:1 is not UTF-8"),
        (bytes(range(128, 256)) + b"\n", "records.jsonl:1 is not UTF-8"),
        (b'{"url": "u", "nid": "not a number"}\n', "do not fit the record schema"),
    ],
    ids=["latin-1", "binary", "wrong-type"],
)
def test_unreadable_records_are_a_dataset_error(
    tmp_path: Path, line: bytes, message: str
) -> None:
    (tmp_path / "records.jsonl").write_bytes(line)
    with pytest.raises(DatasetError, match=message):
        export_parquet(tmp_path)
    assert not (tmp_path / "records.parquet").exists()
