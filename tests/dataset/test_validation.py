"""Tests for ise_archive.dataset.validation: record schema and whole-dataset checks."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import replace
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from ise_archive.dataset.validation import (
    Completeness,
    Problem,
    dataset_completeness,
    describe_error,
    inline_local_refs,
    rare_branches_last,
    record_validator,
    records_schema,
    validate_dataset,
    validate_record,
)
from ise_archive.dataset.writer import write_dataset
from ise_archive.errors import DatasetError
from ise_archive.records import (
    CaptureRecord,
    CaptureRef,
    Image,
    Link,
    Post,
    RelatedPost,
    Tag,
    Version,
)
from tests.dataset.test_writer import RUN, multi_capture_post, sample_posts, seed_post


def _schema_object(schema: dict, name: str) -> dict:
    spec = schema["properties"][name]
    spec = spec.get("items", spec)
    return next((b for b in spec.get("anyOf", [spec]) if "properties" in b), spec)


def test_schema_covers_every_field_of_every_record_type() -> None:
    schema = records_schema()
    assert set(schema["properties"]) == set(schema["required"])
    assert list(schema["properties"]) == [f.name for f in dataclasses.fields(Post)]
    assert schema["additionalProperties"] is False
    nested = {
        "tags": Tag,
        "related": RelatedPost,
        "images": Image,
        "links": Link,
        "capture": CaptureRef,
        "captures": CaptureRecord,
        "versions": Version,
    }
    # written only when the crawl checked it (ISE_ARCHIVE_CHECK_LINKS)
    optional = {"links": ["archived"]}
    for name, cls in nested.items():
        spec = _schema_object(schema, name)
        assert list(spec["properties"]) == [f.name for f in dataclasses.fields(cls)]
        assert spec["required"] + optional.get(name, []) == list(spec["properties"])


@pytest.mark.parametrize("post", [seed_post(), multi_capture_post()])
def test_real_records_validate(post: Post) -> None:
    validate_record(post.to_json())


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"published": "2011-10-04T12:38:00"}, r"\$\.published"),  # naive datetime
        ({"published": "yesterday"}, r"\$\.published"),
        ({"url": "/blog/x/y"}, r"\$\.url"),
        ({"title": ""}, r"\$\.title"),
        ({"nid": "12"}, r"\$\.nid"),
        ({"content_sha256": "abc"}, r"\$\.content_sha256"),
        ({"extra": 1}, r"at \$: Additional properties"),
        ({"kind": "skip"}, r"\$\.kind"),
    ],
)
def test_invalid_records_name_the_field(change: dict, where: str) -> None:
    data = {**seed_post().to_json(), **change}
    with pytest.raises(DatasetError, match=where):
        validate_record(data)


def test_invalid_nested_field_is_located() -> None:
    data = multi_capture_post().to_json()
    data["captures"][2]["timestamp"] = "2013"
    with pytest.raises(DatasetError, match=r"at \$\.captures\[2\]\.timestamp: '2013'"):
        validate_record(data)


def test_missing_field_is_named() -> None:
    data = seed_post().to_json()
    del data["versions"]
    with pytest.raises(DatasetError, match="'versions' is a required property"):
        validate_record(data)


def _plain_validator() -> Draft202012Validator:
    """The shipped schema as it stands, references and all."""
    return Draft202012Validator(
        records_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def _bad_records() -> list[dict]:
    base = multi_capture_post().to_json()
    records = [{**base, "published": "2011-10-04T12:38:00"}, {**base, "kind": "x"}]
    for field, value in [
        ("url", "/blog/x/y"),
        ("author_url", "ftp://x"),
        ("content_sha256", "abc"),
        ("nid", 0),
        ("capture", {**base["capture"], "timestamp": "2013"}),
        ("capture", {**base["capture"], "original": "x"}),
    ]:
        records.append({**base, field: value})
    for name in ("captures", "versions", "tags", "links", "images", "related"):
        for item in (
            {"timestamp": "1"},
            {"url": "no url"},
            {"content_sha256": "A" * 64},
            {"n": 0},
            {"extra": 1},
        ):
            entries = [dict(e) for e in base[name]] or [{}]
            entries[-1].update(item)
            records.append({**base, name: entries})
    return records


def test_inlined_references_change_no_verdict_and_no_message() -> None:
    plain, fast = _plain_validator(), record_validator()
    good = [seed_post().to_json(), multi_capture_post().to_json()]
    for data in good:
        assert fast.is_valid(data) and plain.is_valid(data)
    for data in _bad_records():
        expected = best_match(plain.iter_errors(data))
        assert expected is not None
        assert describe_error(best_match(fast.iter_errors(data))) == describe_error(
            expected
        )


#: Strings where Python's ``re`` and format checks have corners (a newline before
#: ``$``, non-ASCII digits, control characters ``\\s`` matches, a leap second).
_CORNERS = (
    "20110114071109\n",
    "٢٠١١٠١١٤٠٧١١٠٩",
    "http://\x1cise.gov/blog/a",
    "http://ise.gov/blog/a\u2028",
    "https://ise.gov/blog/a b",
    "2011-01-14T07:11:60Z",
    "2011-02-30T07:11:09Z",
    "2011-01-14T07:11:09+25:00",
    "2011-13-01",
    "",
    "x",
)


def _corner_records() -> list[dict]:
    base = multi_capture_post().to_json()
    records = []
    for value in _CORNERS:
        capture = {**base["captures"][0]}
        for field in capture:
            if isinstance(capture[field], str):
                records.append({**base, "captures": [{**capture, field: value}]})
        for field in ("url", "published", "modified", "author_url", "content_sha256"):
            records.append({**base, field: value})
    return records


def test_compiled_check_never_passes_what_jsonschema_refuses() -> None:
    """The compiled check may refuse more (fastjsonschema reads ``$`` as the end of
    the string, where Python's ``re`` allows a newline before it: jsonschema is
    then asked and its verdict stands), never less."""
    validator = record_validator()
    plain = _plain_validator()
    records = [seed_post().to_json(), multi_capture_post().to_json()]
    records += [p.to_json() for p in sample_posts()]
    records += _bad_records() + _corner_records()
    verdicts = [
        (validator.passes_compiled(r), validator.is_valid(r), plain.is_valid(r))
        for r in records
    ]
    assert [(c and not ok) for c, _, ok in verdicts] == [False] * len(records)
    assert [mine for _, mine, _ in verdicts] == [ok for _, _, ok in verdicts]
    assert sum(ok for _, _, ok in verdicts) > 2  # valid records among the corners
    assert sum(c for c, _, _ in verdicts) >= sum(ok for _, _, ok in verdicts) - 1


def test_inline_local_refs_leaves_no_reference_in_the_shipped_schema() -> None:
    inlined = inline_local_refs(records_schema())
    text = json.dumps({k: v for k, v in inlined.items() if k != "$defs"})
    assert '"$ref"' not in text
    assert inlined["$defs"] == records_schema()["$defs"]


def test_inline_local_refs_keeps_recursive_and_remote_references() -> None:
    schema = {
        "$defs": {"node": {"properties": {"next": {"$ref": "#/$defs/node"}}}},
        "properties": {
            "a": {"$ref": "#/$defs/node"},
            "b": {"$ref": "https://example.org/other.json"},
        },
    }
    assert inline_local_refs(schema)["properties"] == {
        "a": {"properties": {"next": {"$ref": "#/$defs/node"}}},
        "b": {"$ref": "https://example.org/other.json"},
    }


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    write_dataset(tmp_path, sample_posts(), run=RUN)
    return tmp_path


def test_fresh_dataset_is_valid(dataset: Path) -> None:
    assert validate_dataset(dataset) == []


def test_corrupted_file_fails_its_checksum(dataset: Path) -> None:
    path = dataset / "posts/2011/10/officer-safety.md"
    data = path.read_bytes()
    path.write_bytes(data.replace(b"Officer", b"Offiker"))
    assert validate_dataset(dataset) == [
        Problem(
            "posts/2011/10/officer-safety.md",
            "does not match its SHA-256 in the manifest (modified?)",
        )
    ]


def test_truncated_file_fails_size_and_checksum(dataset: Path) -> None:
    path = dataset / "README.md"
    size = path.stat().st_size
    path.write_bytes(path.read_bytes()[:100])
    assert validate_dataset(dataset) == [
        Problem("README.md", f"has 100 bytes, the manifest says {size}")
    ]


def test_missing_markdown_file_is_reported(dataset: Path) -> None:
    (dataset / "posts/2014/03/renee-on-privacy.md").unlink()
    assert validate_dataset(dataset) == [
        Problem(
            "posts/2014/03/renee-on-privacy.md", "is listed in the manifest but missing"
        ),
        Problem("posts/2014/03/renee-on-privacy.md", "record has no Markdown file"),
    ]


def test_markdown_file_without_record_is_reported(dataset: Path) -> None:
    (dataset / "posts/2011/10/stray.md").write_text("---\n---\n")
    assert validate_dataset(dataset) == [
        Problem("posts/2011/10/stray.md", "Markdown file has no record"),
        Problem("posts/2011/10/stray.md", "is not listed in the manifest (unchecked)"),
    ]


def test_a_manifest_that_leaves_out_a_dataset_file_is_reported(dataset: Path) -> None:
    """No checksum vouches for a file the manifest does not list (a cut or edited
    manifest); files a user keeps beside the dataset are theirs."""
    manifest = json.loads((dataset / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"] = [f for f in manifest["files"] if f["path"] != "records.jsonl"]
    (dataset / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (dataset / "notes.txt").write_text("mine\n", encoding="utf-8")
    assert validate_dataset(dataset) == [
        Problem("records.jsonl", "is not listed in the manifest (unchecked)")
    ]


def _rewrite_records(dataset: Path, edit) -> None:
    path = dataset / "records.jsonl"
    lines = [line + "\n" for line in _records(dataset)[:-1]]
    path.write_text("".join(edit(lines)), encoding="utf-8")


def test_invalid_record_is_reported_with_its_line(dataset: Path) -> None:
    def break_third(lines: list[str]) -> list[str]:
        record = json.loads(lines[2])
        record["word_count"] = -1  # was a one-digit count: one byte more
        lines[2] = json.dumps(record, ensure_ascii=False) + "\n"
        return lines

    size = (dataset / "records.jsonl").stat().st_size
    _rewrite_records(dataset, break_third)
    problems = validate_dataset(dataset)
    assert problems == [
        Problem("records.jsonl", f"has {size + 1} bytes, the manifest says {size}"),
        Problem("records.jsonl:3", "at $.word_count: -1 is less than the minimum of 0"),
    ]


def test_broken_json_and_duplicate_url_are_reported(dataset: Path) -> None:
    _rewrite_records(dataset, lambda lines: [*lines, lines[0], "{oops\n"])
    problems = validate_dataset(dataset)[1:]  # [0]: records.jsonl checksum
    url = json.loads(_records(dataset)[0])["url"]
    assert problems[0] == Problem("records.jsonl:9", f"repeats the URL {url}")
    assert problems[1].path == "records.jsonl:10"
    assert problems[1].message.startswith("is not JSON: Expecting property name")
    assert len(problems) == 2


def _records(dataset: Path) -> list[str]:
    return (dataset / "records.jsonl").read_text(encoding="utf-8").split("\n")


def test_missing_manifest_and_package_are_reported(dataset: Path) -> None:
    (dataset / "manifest.json").unlink()
    (dataset / "datapackage.json").write_text("{")
    problems = validate_dataset(dataset)
    assert [p.path for p in problems] == ["manifest.json", "datapackage.json"]
    assert problems[0].message == "is missing"
    assert problems[1].message.startswith("cannot be read as JSON")


def test_not_a_directory(tmp_path: Path) -> None:
    assert validate_dataset(tmp_path / "nope") == [
        Problem(str(tmp_path / "nope"), "is not a directory")
    ]


def test_problem_reads_as_one_line() -> None:
    assert str(Problem("records.jsonl:3", "bad")) == "records.jsonl:3: bad"


def test_latin1_and_binary_lines_are_problems_not_crashes(dataset: Path) -> None:
    records = dataset / "records.jsonl"
    with records.open("ab") as handle:
        handle.write('{"title": "Caf\u00e9"}\n'.encode("latin-1"))
        handle.write(bytes(range(128, 256)) + b"\n")
    problems = validate_dataset(dataset)
    assert [p for p in problems if p.path.startswith("records.jsonl:")] == [
        Problem("records.jsonl:9", "is not UTF-8: invalid continuation byte"),
        Problem("records.jsonl:10", "is not UTF-8: invalid start byte"),
    ]


def test_completeness_is_read_from_the_manifest(tmp_path: Path) -> None:
    run = replace(RUN, run_id="r1", complete=False, incomplete_reason="blocked")
    write_dataset(tmp_path, sample_posts(), run=run)
    assert dataset_completeness(tmp_path) == Completeness(
        complete=False, reason="blocked", run_id="r1", started=None
    )
    (tmp_path / "manifest.json").write_text('{"files": []}', encoding="utf-8")
    assert dataset_completeness(tmp_path) is None


def test_rare_branches_last_reorders_only_anyof_empty_cases() -> None:
    schema = records_schema()
    reordered = rare_branches_last(schema)
    props = reordered["properties"]
    assert props["nid"]["anyOf"] == [
        {"type": "integer", "minimum": 1},
        {"type": "null"},
    ]
    assert props["author_url"]["anyOf"][-1] == {"const": ""}
    assert reordered["$defs"] == schema["$defs"]  # nothing else moves
    assert schema["properties"]["nid"]["anyOf"][0] == {"type": "null"}  # a copy
