"""The extractor on layouts written blind (``tests/fixtures/blind-round3/``, round 3).

Those pages were written from the gold conventions alone, without reading the
extractor, to measure how it generalises to layouts it was never tuned on (see the
README there). Each carries a dev gold post's body, so the whole expected field set is
exactly known; every field is compared. ``KNOWN_GAPS`` lists the fields a page still
gets wrong, each with the reason: a listed field must still differ, so fixing it
means removing it here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ise_archive import extract
from ise_archive.extract import PostPage
from ise_archive.extract.fields import body_text
from ise_archive.records import Post
from tests.traces import markdown_without_archived_links

BLIND = Path(__file__).parent.parent / "fixtures" / "blind-round3"
CASES = {
    p.stem: json.loads(p.read_text(encoding="utf-8"))
    for p in sorted((BLIND / "expected").glob("*.json"))
}
#: page -> {field: why it is still wrong}. Empty when every field is right.
KNOWN_GAPS: dict[str, dict[str, str]] = {}
#: Pages not read as a post at all (strict xfail: fixing one fails the test).
NOT_POSTS: dict[str, str] = {}


def cases() -> list[Any]:
    return [
        pytest.param(name, marks=pytest.mark.xfail(reason=NOT_POSTS[name], strict=True))
        if name in NOT_POSTS
        else name
        for name in sorted(CASES)
    ]


def page_bytes(case: dict[str, Any]) -> bytes:
    return (BLIND / case["page"]).read_bytes()


def extracted_fields(name: str) -> dict[str, Any]:
    """The whole field set as the page object reads it, body as gold text."""
    case = CASES[name]
    reading = PostPage(page_bytes(case), **case["input"]).read()
    assert isinstance(reading.item, Post), reading.item
    assert reading.fields is not None
    post = reading.item
    return {
        "url": post.url,
        "title": post.title,
        "author": post.author,
        "published": post.published.isoformat() if post.published else None,
        "tags": [{"name": t.name, "url": t.url} for t in post.tags],
        "related": [{"title": r.title, "url": r.url} for r in post.related],
        "images": [i.url for i in post.images],
        "body_text": body_text(reading.fields.body),
        "body_links": body_links(reading.fields.body),
    }


def body_links(fragment: Any) -> list[str]:
    """The gold ``body_links``: distinct ``<a href>`` of the body, ``#`` skipped."""
    links: list[str] = []
    if fragment is None:
        return links
    for href in fragment.xpath(".//a/@href"):
        href = href.strip()
        if href and not href.startswith("#") and href not in links:
            links.append(href)
    return links


def test_every_case_names_real_files_and_fields() -> None:
    assert len(CASES) == 5
    for name, case in CASES.items():
        assert (BLIND / case["page"]).is_file(), name
        assert set(case["expected"]) == {
            *("url", "title", "author", "published", "tags", "related", "images"),
            *("body_text", "body_links"),
        }
        assert set(KNOWN_GAPS.get(name, {})) <= set(case["expected"])


@pytest.mark.parametrize("name", cases(), ids=str)
def test_blind_layout_gives_expected_fields(name: str) -> None:
    expected = CASES[name]["expected"]
    got = extracted_fields(name)
    gaps = KNOWN_GAPS.get(name, {})
    assert {k: v for k, v in got.items() if k not in gaps} == {
        k: v for k, v in expected.items() if k not in gaps
    }
    for field in gaps:
        assert got[field] != expected[field], f"{field} is fixed: drop it from gaps"


@pytest.mark.parametrize("name", cases(), ids=str)
def test_blind_layout_through_extract_is_a_clean_post(name: str) -> None:
    """The public entry point gives the same record, with clean Markdown."""
    case = CASES[name]
    post = extract(page_bytes(case), **case["input"])
    assert isinstance(post, Post), post
    gaps = KNOWN_GAPS.get(name, {})
    for field in ("url", "title"):
        if field not in gaps:
            assert getattr(post, field) == case["expected"][field]
    assert post.markdown.startswith(f"# {post.title}\n")
    for bad in ("\ufffd", "â€", "Ã©", "/web/", "javascript:"):
        assert bad not in markdown_without_archived_links(post)
    assert all(
        link.url.startswith(("http://", "https://", "mailto:")) for link in post.links
    )
