"""The data package and its records, checked as the card and docs/dataset.md
describe them, with frictionless and jsonschema (not the project's validator)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jsonschema
import pytest

from tests.consumer.conftest import Dataset
from tests.consumer.tools import run, tool
from tests.wayback.archive import surt_urlkey

EASTERN = ZoneInfo("America/New_York")
TIMESTAMP = re.compile(r"\d{14}")
POST_URL = re.compile(r"http://www\.ise\.gov/blog/[^/?#]+/[^/?#]+")
OUTCOME = re.compile(r"record|duplicate|skip:.+|failed:.+")


def frictionless_report(descriptor: Path) -> dict[str, Any]:
    result = run(tool("frictionless"), "validate", "--json", str(descriptor))
    return json.loads(result.stdout)


def test_frictionless_validates_the_data_package(dataset: Dataset) -> None:
    report = frictionless_report(dataset.root / "datapackage.json")
    errors = [error["message"] for task in report["tasks"] for error in task["errors"]]
    assert errors == []
    assert report["valid"] is True
    names = {task["name"] for task in report["tasks"]}
    assert "records" in names


def test_frictionless_finds_a_duplicate_url(dataset: Dataset, tmp_path: Path) -> None:
    """docs/dataset.md: frictionless checks "that `url` is present and unique"."""
    copy = tmp_path / "dup"
    copy.mkdir()
    shutil.copytree(dataset.root / "schema", copy / "schema")
    lines = (dataset.root / "records.jsonl").read_bytes().splitlines(keepends=True)
    (copy / "records.jsonl").write_bytes(b"".join([*lines, lines[0]]))
    descriptor = json.loads((dataset.root / "datapackage.json").read_text("utf-8"))
    for resource in descriptor["resources"]:
        resource.pop("hash", None)
        resource.pop("bytes", None)
    (copy / "datapackage.json").write_text(json.dumps(descriptor), "utf-8")
    report = frictionless_report(copy / "datapackage.json")
    types = {e["type"] for task in report["tasks"] for e in task["errors"]}
    assert report["valid"] is False
    assert "primary-key" in types


def test_every_record_matches_the_shipped_json_schema(dataset: Dataset) -> None:
    schema = json.loads(
        (dataset.root / "schema" / "record.schema.json").read_text("utf-8")
    )
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    validator_class = jsonschema.Draft202012Validator
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    problems = [
        f"line {n}: {error.json_path}: {error.message}"
        for n, record in enumerate(dataset.records(), 1)
        for error in validator.iter_errors(record)
    ]
    assert problems == []


def test_records_jsonl_is_plain_utf8_json_lines(dataset: Dataset) -> None:
    raw = (dataset.root / "records.jsonl").read_bytes()
    text = raw.decode("utf-8")
    assert text.endswith("\n")
    assert "\r" not in text
    assert not re.search(r"\\u(?!2028|2029)[0-9a-fA-F]{4}", text)
    for line in text.splitlines():
        json.loads(line, parse_constant=pytest.fail)  # NaN/Infinity refused


def test_field_order_follows_the_schema(dataset: Dataset) -> None:
    schema = json.loads(
        (dataset.root / "schema" / "record.schema.json").read_text("utf-8")
    )
    order = list(schema["properties"])
    for record in dataset.records():
        assert [k for k in order if k in record] == list(record)


def test_records_are_ordered_by_published_then_url(dataset: Dataset) -> None:
    keys = [(r["published"], r["url"]) for r in dataset.records() if r["published"]]
    assert keys == sorted(keys)


def test_urls_are_canonical_and_unique(dataset: Dataset) -> None:
    urls = [r["url"] for r in dataset.records()]
    assert len(urls) == len(set(urls))
    for url in urls:
        assert POST_URL.fullmatch(url), url
        assert "/web/" not in url and ":80" not in url and "/print" not in url


def test_published_is_us_eastern_with_the_right_offset(dataset: Dataset) -> None:
    """The card: "Creation time in US Eastern time with its UTC offset (ISO 8601),
    or only the day"; the offset must be the one New York had at that time."""
    for record in dataset.records():
        published = record["published"]
        if published is None or len(published) == 10:
            date.fromisoformat(published or "2000-01-01")
            continue
        moment = datetime.fromisoformat(published)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", published)
        expected = moment.replace(tzinfo=EASTERN).utcoffset()
        assert moment.utcoffset() == expected, (record["url"], published)


def test_every_url_in_a_record_is_absolute(dataset: Dataset) -> None:
    for record in dataset.records():
        urls = [record["author_url"]] if record["author_url"] else []
        urls += [t["url"] for t in record["tags"]]
        urls += [r["url"] for r in record["related"]]
        urls += [i["url"] for i in record["images"]]
        urls += [link["url"] for link in record["links"]]
        urls += [a["url"] for a in record["attachments"]]
        for url in urls:
            parts = urlsplit(url)
            assert parts.scheme in {"http", "https", "ftp", "mailto"}, url
            assert parts.scheme == "mailto" or parts.netloc, url


def test_content_hash_and_word_count_describe_the_body(dataset: Dataset) -> None:
    for record in dataset.records():
        body = record["body_markdown"].encode("utf-8")
        assert record["content_sha256"] == hashlib.sha256(body).hexdigest()
        assert record["word_count"] >= 0


def _check_capture(record: dict[str, Any], capture: dict[str, Any]) -> None:
    assert TIMESTAMP.fullmatch(capture["timestamp"])
    assert OUTCOME.fullmatch(capture["outcome"]), capture["outcome"]
    assert capture["archive_url"].endswith(
        f"/{capture['timestamp']}/{capture['original']}"
    )
    fetched = capture["warc"] is not None
    if capture["outcome"] == "record":
        assert fetched and capture["verified"] is True
        assert capture["content_sha256"] in {
            v["content_sha256"] for v in record["versions"]
        }
    if not fetched:
        assert capture["verified"] is None or capture["outcome"].startswith("failed")


def test_full_records_have_complete_capture_provenance(dataset: Dataset) -> None:
    full = [r for r in dataset.records() if r["completeness"] == "full"]
    assert full
    for record in full:
        assert record["sources"] == []
        used = [c for c in record["captures"] if c["used"]]
        assert len(used) == 1, record["url"]
        assert {k: used[0][k] for k in record["capture"]} == record["capture"]
        assert used[0]["content_sha256"] == record["content_sha256"]
        for capture in record["captures"]:
            _check_capture(record, capture)
        seen = {c["timestamp"] for c in record["captures"]}
        for version in record["versions"]:
            assert {version["first_seen"], version["last_seen"]} <= seen
            assert version["captures"] >= 1


def test_a_duplicate_has_the_bytes_of_a_used_capture(dataset: Dataset) -> None:
    """The card: "`duplicate` | same bytes (CDX digest) as a capture already
    used: not fetched again"."""
    duplicates = 0
    for record in dataset.records():
        used = {c["digest"] for c in record["captures"] if c["outcome"] == "record"}
        for capture in record["captures"]:
            if capture["outcome"] == "duplicate":
                duplicates += 1
                assert capture["digest"] in used, (record["url"], capture)
    # /node/<nid> captures of a post read under its alias have other bytes: once
    # called duplicates, they are a skip of their own
    nodes = [
        c
        for r in dataset.records()
        for c in r["captures"]
        if "/node/" in c["original"] and c["outcome"] != "record"
    ]
    assert duplicates + len(nodes)
    assert all(
        c["outcome"] != "duplicate"
        for c in nodes
        if c["digest"]
        not in {
            u["digest"]
            for r in dataset.records()
            for u in r["captures"]
            if u["outcome"] == "record"
        }
    )


def test_partial_records_are_marked_and_sourced(dataset: Dataset) -> None:
    partial = [r for r in dataset.records() if r["completeness"] == "partial"]
    assert partial
    for record in partial:
        assert record["captures"] == [] and record["versions"] == []
        assert record["template"] == "teaser"
        assert record["sources"]
        assert record["capture"]["archive_url"] in record["sources"]


def test_links_are_numbered_with_well_formed_archived_urls(dataset: Dataset) -> None:
    """docs/dataset.md: archived_url is `<archive>/web/<capture timestamp>/<url>`;
    `""` for mailto: links and records without a capture."""
    for record in dataset.records():
        assert [link["n"] for link in record["links"]] == list(
            range(1, len(record["links"]) + 1)
        )
        for link in record["links"]:
            if link["url"].startswith("mailto:") or record["capture"] is None:
                assert link["archived_url"] == ""
                continue
            timestamp = record["capture"]["timestamp"]
            expected_tail = f"/web/{timestamp}/{link['url']}"
            assert link["archived_url"].endswith(expected_tail), (
                record["url"],
                record["completeness"],
                link,
            )
            assert urlsplit(link["archived_url"]).scheme in {"http", "https"}


def test_link_checks_answer_only_for_links_with_an_archived_url(
    dataset: Dataset,
) -> None:
    """docs/dataset.md: with ISE_ARCHIVE_CHECK_LINKS "each link with an
    archived_url also has archived"; the crawl ran with it on."""
    checked = 0
    for record in dataset.records():
        for link in record["links"]:
            if link["archived_url"]:
                assert isinstance(link["archived"], bool)
                checked += 1
            else:
                assert "archived" not in link, (record["url"], link)
    assert checked


def test_rescued_attachments_match_their_files(dataset: Dataset) -> None:
    rescued = missing = 0
    for record in dataset.records():
        for attachment in record["attachments"]:
            if attachment.get("missing"):
                missing += 1
                assert re.fullmatch(
                    r"not-archived|too-large|failed:.+", attachment["reason"]
                )
                continue
            rescued += 1
            path = Path(attachment["path"])
            assert not path.is_absolute() and path.parts[0] == "files"
            assert ".." not in path.parts
            # docs/dataset.md: every part made of [a-z0-9-], host and extension
            # keep their dots
            assert re.fullmatch(r"[a-z0-9.-]+", path.parts[1])
            *directories, name = path.parts[2:]
            assert all(re.fullmatch(r"[a-z0-9-]+", part) for part in directories)
            assert re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9]+)?", name), path
            data = (dataset.root / path).read_bytes()
            assert hashlib.sha256(data).hexdigest() == attachment["sha256"]
            assert len(data) == attachment["size"]
            assert TIMESTAMP.fullmatch(attachment["timestamp"])
    assert rescued == len(dataset.added_attachments)
    assert missing >= 1
    paths = {
        a["path"] for r in dataset.records() for a in r["attachments"] if "path" in a
    }
    on_disk = {
        p.relative_to(dataset.root).as_posix()
        for p in (dataset.root / "files").rglob("*")
        if p.is_file()
    }
    assert on_disk == paths


def test_image_paths_point_at_their_attachment(dataset: Dataset) -> None:
    for record in dataset.records():
        saved = {a["url"]: a["path"] for a in record["attachments"] if "path" in a}
        for image in record["images"]:
            assert image["path"] == saved.get(image["url"], "")


def test_manifest_counts_agree_with_the_records(dataset: Dataset) -> None:
    records = dataset.records()
    counts = dataset.manifest()["counts"]
    by_year: dict[str, int] = {}
    for record in records:
        if record["published"]:
            year = record["published"][:4]
            by_year[year] = by_year.get(year, 0) + 1
    attachments = [a for r in records for a in r["attachments"]]
    assert counts["posts"] == len(records)
    assert counts["posts_partial"] == sum(
        r["completeness"] == "partial" for r in records
    )
    assert counts["captures"] == sum(len(r["captures"]) for r in records)
    assert counts["versions"] == sum(len(r["versions"]) for r in records)
    assert counts["markdown_files"] == len(list((dataset.root / "posts").rglob("*.md")))
    assert counts["posts_by_year"] == by_year
    assert counts["attachments"] == len(attachments)
    assert counts["attachments_missing"] == sum(
        bool(a.get("missing")) for a in attachments
    )


def test_link_checks_agree_with_the_archive_index(dataset: Dataset) -> None:
    """docs/dataset.md: `archived` is true when the archive's CDX index lists a
    capture of the link that is not a 4xx/5xx page, false when it lists none."""
    checked = 0
    for record in dataset.records():
        for link in record["links"]:
            if "archived" not in link:
                continue
            rows = dataset.archive.captures_of(surt_urlkey(link["url"]))
            listed = any(not row.statuscode.startswith(("4", "5")) for row in rows)
            assert link["archived"] is listed, link["url"]
            checked += 1
    assert checked


def test_captures_are_the_archive_index_rows_of_the_post(dataset: Dataset) -> None:
    """Every `captures[]` entry is a row of the archive's index (timestamp,
    original, digest, status, mimetype as listed), and every row of the post's
    own URL is in `captures[]`."""
    for record in dataset.records():
        listed = {
            (c["timestamp"], c["original"], c["digest"], c["status"], c["mimetype"])
            for c in record["captures"]
        }
        for key in {surt_urlkey(original) for _, original, *_ in listed}:
            rows = dataset.archive.captures_of(key)
            known = {
                (r.timestamp, r.original, r.digest, r.statuscode, r.mimetype)
                for r in rows
            }
            mine = {entry for entry in listed if surt_urlkey(entry[1]) == key}
            assert mine <= known, record["url"]
        if record["completeness"] == "full":
            own = dataset.archive.captures_of(surt_urlkey(record["url"]))
            assert {(r.timestamp, r.original) for r in own} <= {
                entry[:2] for entry in listed
            }, record["url"]
