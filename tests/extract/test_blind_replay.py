"""The extractor on replay variants and non-post pages written blind.

``tests/fixtures/blind-replay/`` holds pages built without reading the extractor (see
the README there): dev posts as the Wayback Machine replays them in forms the dev
replays do not show (old toolbar, scheme-relative and ``:80`` archive URLs, a
``<base href>`` into the archive, the toolbar before ``<html>``, charset mismatches),
and non-post pages (other listings and pagers, taxonomy, user, search, login and
maintenance pages, RSS 0.92 and Atom, the archive's own error pages, soft 404s in
other themes, redirects). A post must give the dev gold post's every field; a
non-post must be a skip of the expected kind, never a post, with the ``discovered``
post URLs and ``next_page`` where the case names them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ise_archive import extract
from ise_archive.extract import PostPage
from ise_archive.extract.fields import body_text
from ise_archive.records import Post, Skip
from tests.traces import markdown_without_archived_links

BLIND = Path(__file__).parent.parent / "fixtures" / "blind-replay"
CASES = {
    p.stem: json.loads(p.read_text(encoding="utf-8"))
    for p in sorted((BLIND / "expected").glob("*.json"))
}
POSTS = sorted(name for name, case in CASES.items() if "expected" in case)
SKIPS = sorted(name for name, case in CASES.items() if "expected_skip" in case)
#: case -> why it still fails (strict xfail: fixing one fails the test until removed)
KNOWN_FAILURES: dict[str, str] = {}
#: What the Markdown of a post read from a replay must never contain.
ARCHIVE_TRACES = (
    "/web/",
    "web.archive.org",
    "Wayback Machine",
    "FILE ARCHIVED ON",
    "playback timings",
    "<script",
    "wm-ipp",
)


def cases(names: list[str]) -> list[Any]:
    return [
        pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN_FAILURES[n], strict=True))
        if n in KNOWN_FAILURES
        else n
        for n in names
    ]


def page_bytes(name: str) -> bytes:
    return (BLIND / CASES[name]["page"]).read_bytes()


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


def extracted_fields(name: str) -> dict[str, Any]:
    """The whole field set as the page object reads it, body as gold text."""
    reading = PostPage(page_bytes(name), **CASES[name]["input"]).read()
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


def test_cases_are_complete() -> None:
    assert len(POSTS) >= 10 and len(SKIPS) >= 20
    fields = {"url", "title", "author", "published", "tags", "related", "images"}
    for name, case in CASES.items():
        assert (BLIND / case["page"]).is_file(), name
        assert case["form"] in ("raw", "replay"), name
        if name in POSTS:
            assert set(case["expected"]) == fields | {"body_text", "body_links"}
        else:
            assert set(case["expected_skip"]) <= {
                "kind",
                "also_ok",
                "discovered",
                "next_page",
            }, name


@pytest.mark.parametrize("name", cases(POSTS))
def test_replayed_post_gives_the_gold_fields(name: str) -> None:
    assert extracted_fields(name) == CASES[name]["expected"]


@pytest.mark.parametrize("name", POSTS)
def test_replayed_post_markdown_has_no_archive_traces(name: str) -> None:
    post = extract(page_bytes(name), **CASES[name]["input"])
    assert isinstance(post, Post), post
    assert post.markdown.startswith(f"# {CASES[name]['expected']['title']}\n")
    for trace in ARCHIVE_TRACES:
        assert trace not in markdown_without_archived_links(post), trace
        assert trace not in post.body_markdown, trace
    for link in post.links:
        assert link.url.startswith(("http://", "https://", "mailto:")), link
        assert "web.archive.org" not in link.url and "/web/" not in link.url, link


@pytest.mark.parametrize("name", cases(SKIPS))
def test_non_post_is_a_skip_of_its_kind(name: str) -> None:
    expected = CASES[name]["expected_skip"]
    result = extract(page_bytes(name), **CASES[name]["input"])
    assert isinstance(result, Skip), f"{name} read as {type(result).__name__}"
    assert result.kind in (expected["kind"], *expected.get("also_ok", ())), result
    if "discovered" in expected:
        assert list(result.discovered) == expected["discovered"]
    if "next_page" in expected:
        assert result.next_page == expected["next_page"]
