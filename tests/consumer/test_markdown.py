"""posts/**/*.md as a reader opens them: a CommonMark parser (markdown-it-py), a
YAML parser for the header, and the layout docs/markdown.md describes."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml
from markdown_it import MarkdownIt

from tests.consumer.conftest import Dataset

FRONT_MATTER = re.compile(r"---\n(.*?)\n---\n\n", re.DOTALL)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
WEEKDAYS += ("Sunday",)
UNRESOLVED_REFERENCE = re.compile(r"\]\[\d+\]")


def documents(dataset: Dataset) -> dict[str, tuple[Path, dict[str, Any], str]]:
    """Post URL -> (Markdown file, its YAML header, the text after it)."""
    found = {}
    for path in sorted((dataset.root / "posts").rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        match = FRONT_MATTER.match(text)
        assert match, path
        header = yaml.safe_load(match.group(1))
        assert header["url"] not in found, path
        found[header["url"]] = (path, header, text[match.end() :])
    return found


def destinations(markdown: str) -> list[str]:
    """Every link and image destination a CommonMark renderer resolves."""
    found = []
    for token in MarkdownIt("commonmark").parse(markdown):
        for child in token.children or []:
            if child.type == "link_open":
                found.append(child.attrs["href"])
            elif child.type == "image":
                found.append(child.attrs["src"])
    return found


def expected_slug(url: str) -> str:
    """docs/dataset.md: the last URL segment, percent-decoded, NFKC-normalized,
    folded to ASCII, lower-cased, apostrophes dropped, every other run of
    characters outside `[a-z0-9]` a single `-`; over 120 characters cut and
    ended with `-` plus 8 hex digits of its SHA-256."""
    text = unicodedata.normalize("NFKC", unquote(url.rstrip("/").rsplit("/", 1)[1]))
    folded = ""
    for char in text:
        if char in "'’":
            continue
        ascii_form = unicodedata.normalize("NFKD", char).encode("ascii", "ignore")
        folded += ascii_form.decode() if ascii_form else " "
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    if len(slug) > 120:
        slug = slug[:111] + "-" + hashlib.sha256(slug.encode()).hexdigest()[:8]
    return slug


def published_line(published: str) -> str:
    """docs/markdown.md: `Published: <Weekday>, <Month> <day>, <year>` plus
    ` <h>:<mm> AM|PM <zone>` for a time, EDT/EST for -04:00/-05:00."""
    if len(published) == 10:
        day = date.fromisoformat(published)
        return f"Published: {WEEKDAYS[day.weekday()]}, {day:%B} {day.day}, {day.year}"
    moment = datetime.fromisoformat(published)
    zone = {"-04:00": "EDT", "-05:00": "EST"}[published[-6:]]
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    return (
        f"Published: {WEEKDAYS[moment.weekday()]}, {moment:%B} {moment.day}, "
        f"{moment.year} {hour}:{moment.minute:02d} {half} {zone}"
    )


def test_one_markdown_file_per_record_in_its_month(dataset: Dataset) -> None:
    docs = documents(dataset)
    records = dataset.records()
    assert set(docs) == {r["url"] for r in records}
    for record in records:
        path = docs[record["url"]][0].relative_to(dataset.root)
        published = record["published"]
        month = published[:7].split("-") if published else ["undated"]
        assert list(path.parts[1:-1]) == month, path
        assert re.fullmatch(r"[a-z0-9-]+\.md", path.name), path
        slug = expected_slug(record["url"])
        collision = hashlib.sha256(record["url"].encode()).hexdigest()[:8]
        assert path.stem in {slug, f"{slug}-{collision}"}, record["url"]


def test_header_repeats_the_record(dataset: Dataset) -> None:
    docs = documents(dataset)
    for record in dataset.records():
        header = docs[record["url"]][1]
        capture = record["capture"] or {}
        assert header["title"] == record["title"]
        assert header["author"] == (record["author"] or None)
        assert header["published"] == record["published"]
        assert header["tags"] == [t["name"] for t in record["tags"]]
        assert header["archive_url"] == capture.get("archive_url")
        assert header["capture_timestamp"] == capture.get("timestamp")
        if record["completeness"] == "partial":
            assert header["completeness"] == "partial"
            assert header["sources"] == record["sources"]


def test_body_is_the_record_markdown_with_local_copies(dataset: Dataset) -> None:
    """docs/dataset.md: "The record's `markdown` follows the header"; images and
    file links point at the rescued copy by a relative path."""
    docs = documents(dataset)
    for record in dataset.records():
        path, _, body = docs[record["url"]]
        for attachment in record["attachments"]:
            if attachment.get("path"):
                local = os.path.relpath(dataset.root / attachment["path"], path.parent)
                body = body.replace(f"]({local}", f"]({attachment['url']}")
                body = body.replace(f": {local}\n", f": {attachment['url']}\n")
        assert body == record["markdown"], path


def test_every_relative_link_and_image_opens_a_dataset_file(dataset: Dataset) -> None:
    root = dataset.root.resolve()
    relative = 0
    for path, _, body in documents(dataset).values():
        for target in destinations(body):
            parts = urlsplit(target)
            if parts.scheme:
                assert parts.scheme in {"http", "https", "ftp", "mailto"}, target
                continue
            relative += 1
            resolved = (path.parent / unquote(parts.path)).resolve()
            assert resolved.is_relative_to(root), (path, target)
            assert resolved.is_file(), (path, target)
    assert relative >= len(dataset.added_attachments)


def test_rescued_attachments_are_linked_locally(dataset: Dataset) -> None:
    docs = documents(dataset)
    for record in dataset.records():
        path, _, body = docs[record["url"]]
        targets = set(destinations(body))
        for attachment in record["attachments"]:
            local = os.path.relpath(
                dataset.root / attachment.get("path", "-"), path.parent
            )
            if attachment.get("path"):
                assert local in targets, (path, attachment["url"])
            else:
                assert not any(t.endswith(local) for t in targets)


def test_every_reference_link_resolves(dataset: Dataset) -> None:
    """`[text][n]` renders as a link only when `[n]: url` is defined."""
    for path, _, body in documents(dataset).values():
        html = MarkdownIt("commonmark").render(body)
        assert not UNRESOLVED_REFERENCE.search(html), path


def test_layout_title_byline_date_tags_source_and_links(dataset: Dataset) -> None:
    docs = documents(dataset)
    for record in dataset.records():
        path, _, body = docs[record["url"]]
        lines = body.splitlines()
        assert lines[0] == f"# {record['title']}"
        if record["author"]:
            assert any(
                line.startswith(f"By {record['author']}")
                or line.startswith(f"By [{record['author']}]")
                for line in lines
            ), path
        if record["published"]:
            assert published_line(record["published"]) in lines, path
        if record["tags"]:
            tag_line = next(line for line in lines if line.startswith("Tags: "))
            names = [t["name"] for t in record["tags"]]
            assert [
                re.sub(r"\]\[\d+\]$", "", p)[1:] for p in tag_line[6:].split(" · ")
            ] == names
        assert f"**Source URL:** <{record['url']}>" in lines
        if record["links"]:
            start = lines.index("## Links")
            for link in record["links"]:
                item = f"{link['n']}. <{link['url']}>"
                if link["archived_url"]:
                    item += f" (archived: <{link['archived_url']}>)"
                assert lines[start + 1 + link["n"]] == item, path
