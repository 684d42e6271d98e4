"""Golden tests of the page object over every dev fixture, raw and replayed.

Every post and print capture is compared field by field with its gold record (see
tests/fixtures/dev/README.md, "Gold conventions"); every other capture must come
out as a Skip of the kind the index gives it. Invariants (no archive URLs, no
mojibake, absolute URLs) are checked over all of them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ise_archive.errors import NotHTML, PageTooLarge, TruncatedCapture
from ise_archive.extract import ExtractOptions, PostPage, body_text, extract
from ise_archive.extract.page import (
    _CONTROL_CHARACTERS,
    PageReading,
    _without_control_characters,
)
from ise_archive.records import Post, Skip, to_json

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "dev"
ROWS = [
    json.loads(line)
    for line in (FIXTURES / "index.jsonl").read_text(encoding="utf-8").splitlines()
]
POST_ROWS = [row for row in ROWS if row["kind"] in ("post", "print")]
OTHER_ROWS = [row for row in ROWS if row["kind"] not in ("post", "print")]
REPLAYED = [
    row for row in ROWS if (FIXTURES / "replay" / f"{row['cid']}.html").exists()
]


def _capture_bytes(row: dict[str, Any]) -> bytes:
    return (FIXTURES / "captures" / f"{row['cid']}.bin").read_bytes()


def _replay_bytes(row: dict[str, Any]) -> bytes:
    return (FIXTURES / "replay" / f"{row['cid']}.html").read_bytes()


def _read_raw(row: dict[str, Any]) -> PageReading:
    return PostPage(
        _capture_bytes(row),
        url=row["original"],
        timestamp=row["timestamp"],
        headers=row["headers"],
    ).read()


def _read_replay(row: dict[str, Any]) -> PageReading:
    # A replayed page is read without any outside help: URL and timestamp come
    # from the page itself.
    return PostPage(_replay_bytes(row)).read()


def _body_links(fragment: lxml.html.HtmlElement) -> list[str]:
    links: list[str] = []
    for href in fragment.xpath(".//a/@href"):
        href = href.strip()
        if href and not href.startswith("#") and href not in links:
            links.append(href)
    return links


def _observed(reading: PageReading) -> dict[str, Any]:
    post = reading.item
    assert isinstance(post, Post), post
    assert reading.fields is not None
    return {
        "url": post.url,
        "title": post.title,
        "author": post.author,
        "published": to_json(post.published),
        "tags": [tag.name for tag in post.tags],
        "tag_urls": [tag.url for tag in post.tags],
        "related": [to_json(related) for related in post.related],
        "images": [image.url for image in post.images],
        "body_links": _body_links(reading.fields.body),
        "body_text": body_text(reading.fields.body),
    }


def _expected(row: dict[str, Any]) -> dict[str, Any]:
    gold = json.loads(
        (FIXTURES / "gold" / f"{row['post_id']}.json").read_text(encoding="utf-8")
    )
    expected = {key: gold[key] for key in _OBSERVED_KEYS}
    if row["kind"] == "print" and b"<article" in _capture_bytes(row):
        # Print pages of 2014-theme posts: "Related Posts" was a sidebar block,
        # and the print module prints no sidebar.
        expected["related"] = []
    return expected


_OBSERVED_KEYS = (
    "url",
    "title",
    "author",
    "published",
    "tags",
    "tag_urls",
    "related",
    "images",
    "body_links",
    "body_text",
)


@pytest.mark.parametrize("row", POST_ROWS, ids=lambda row: row["cid"])
def test_post_matches_gold(row: dict[str, Any]) -> None:
    assert _observed(_read_raw(row)) == _expected(row)


@pytest.mark.parametrize(
    "row",
    [r for r in REPLAYED if r["kind"] in ("post", "print")],
    ids=lambda r: r["cid"],
)
def test_replayed_post_matches_gold(row: dict[str, Any]) -> None:
    reading = _read_replay(row)
    assert _observed(reading) == _expected(row)
    assert reading.item.capture is not None
    assert reading.item.capture.timestamp == row["timestamp"]
    assert reading.item.capture.archive_url == (
        f"https://web.archive.org/web/{row['timestamp']}/{row['original']}"
    )


@pytest.mark.parametrize("row", POST_ROWS, ids=lambda row: row["cid"])
def test_post_record_metadata(row: dict[str, Any]) -> None:
    post = _read_raw(row).item
    assert isinstance(post, Post)
    expected_template = "print_page" if row["kind"] == "print" else None
    if expected_template:
        assert post.template == expected_template
    else:
        theme = "d7_2014" if b"ise_zen" in _capture_bytes(row) else "d7_2011"
        assert post.template == theme
    assert post.capture is not None
    assert (post.capture.timestamp, post.capture.original) == (
        row["timestamp"],
        row["original"],
    )
    assert post.author_url == "http://www.ise.gov/users/" + row["post_id"].split("/")[0]


@pytest.mark.parametrize("row", OTHER_ROWS, ids=lambda row: row["cid"])
def test_non_post_kind(row: dict[str, Any]) -> None:
    if not _capture_bytes(row).strip():  # a Drupal 302 is stored with no payload
        with pytest.raises(NotHTML):
            _read_raw(row)
        return
    item = _read_raw(row).item
    assert isinstance(item, Skip)
    assert item.kind == row["kind"]
    assert item.reason.startswith("not-a-post:")


def _all_readings() -> list[tuple[str, PageReading]]:
    readings = []
    for row in ROWS:
        if _capture_bytes(row).strip():
            readings.append((row["cid"], _read_raw(row)))
    for row in REPLAYED:
        readings.append((row["cid"] + "-replay", _read_replay(row)))
    return readings


READINGS = _all_readings()


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _urls(record: dict[str, Any]) -> list[str]:
    urls = [record.get("url", ""), record.get("next_page") or ""]
    urls += record.get("discovered", [])
    for key in ("tags", "related", "images"):
        urls += [item["url"] for item in record.get(key, [])]
    if record.get("author_url"):
        urls.append(record["author_url"])
    if record.get("capture"):
        urls += [record["capture"]["original"], record["capture"]["archive_url"]]
    return [url for url in urls if url]


@pytest.mark.parametrize("name,reading", READINGS, ids=[name for name, _ in READINGS])
def test_invariants(name: str, reading: PageReading) -> None:
    record = reading.item.to_json()
    fragment_html = ""
    if reading.fields is not None and reading.fields.body is not None:
        fragment_html = lxml.html.tostring(reading.fields.body, encoding="unicode")
    texts = [*_strings(record), fragment_html]
    for text in texts:
        assert "\ufffd" not in text
        assert "â€" not in text and "Ã" not in text
        assert " ? " not in text
    archive_strings = [s for s in _strings(record) if "/web/" in s]
    assert all(s.startswith("https://web.archive.org/web/") for s in archive_strings)
    assert "/web/" not in fragment_html and "web.archive.org" not in fragment_html
    for url in _urls(record):
        assert url.startswith(("http://", "https://")), url
    if reading.fields is not None and reading.fields.body is not None:
        for href in reading.fields.body.xpath(".//@href | .//@src"):
            assert href.startswith(("http://", "https://", "mailto:", "#")), href
    assert record["url"] == "" or "/web/" not in record["url"]


def test_traps_on_the_seed_post() -> None:
    """What generic extractors get wrong: comment dates, tag cloud, comments."""
    row = next(r for r in POST_ROWS if r["cid"] == "c0012")  # has a comment
    reading = _read_raw(row)
    text = body_text(reading.fields.body)
    assert "Spot on" not in text  # the comment is not body
    assert "Posted by" not in text and "Reference:" not in text
    assert reading.item.published.isoformat() == "2012-05-16T11:45:00-04:00"
    assert [t.name for t in reading.item.tags] == [
        "fusion centers",
        "state & local gov",
        "law enforcement",
    ]


def test_node_capture_without_canonical_link_uses_the_node_about() -> None:
    row = next(r for r in ROWS if r["cid"] == "c0061")  # http://www.ise.gov/node/1771
    body = _capture_bytes(row).replace(b'rel="canonical"', b'rel="x-removed"')
    post = PostPage(body, url=row["original"]).read().item
    assert post.url == (
        "http://www.ise.gov/blog/renee-caldwell/"
        "privacy-civil-rights-and-civil-liberties-building-trust-every-exchange"
    )
    assert post.nid == 1771


def test_page_too_large_is_never_parsed() -> None:
    with pytest.raises(PageTooLarge):
        PostPage(b"<html>" + b"x" * 100, options=ExtractOptions(max_bytes=50)).read()


def test_content_length_longer_than_body_is_truncation() -> None:
    body = _capture_bytes(POST_ROWS[0])
    with pytest.raises(TruncatedCapture):
        PostPage(body, headers={"content-length": str(len(body) + 1)}).read()


def test_drupal_page_cut_short_is_truncation() -> None:
    body = _capture_bytes(POST_ROWS[0])
    with pytest.raises(TruncatedCapture):
        PostPage(body[: len(body) // 2], url=POST_ROWS[0]["original"]).read()


@pytest.mark.parametrize(
    "page",
    [
        b"<title>Note</title><body><p>Unclosed paragraph<p>and another",
        b"<html><head><title>x</title></head><p>No body tag, no end tags about Drupal",
        b"<!DOCTYPE html><html><body><p>a &lt; b and 3 > 2</p></body>",
    ],
)
def test_sloppy_complete_html_is_not_truncation(page: bytes) -> None:
    item = PostPage(page, url="http://www.ise.gov/about").read().item
    assert item == Skip(
        kind="other", reason="not-a-post:no-article", url="http://www.ise.gov/about"
    )


@pytest.mark.parametrize(
    "page",
    [
        b"<!DOCTYPE html><html><body><p>text</p><a hre",
        b"<!DOCTYPE html><html lang='en'>\n<head>\n<title>Cut</title>\n",
        b"<html><body><p>text <",
    ],
)
def test_pages_cut_in_a_tag_or_before_the_body_are_truncation(page: bytes) -> None:
    with pytest.raises(TruncatedCapture):
        PostPage(page, url="http://www.ise.gov/about").read()


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \n",
        b"%PDF-1.4 binary",
        b"\x89PNG\r\n\x1a\n\x00\x00",
        b'{"json": 1}',
        b"<?xml version='1.0'?><urlset><url/></urlset>",
        b"just some text",
    ],
)
def test_not_html(body: bytes) -> None:
    with pytest.raises(NotHTML):
        PostPage(body).read()


def test_feed_is_a_skip_with_discovered_posts() -> None:
    row = next(r for r in ROWS if r["cid"] == "c0056")
    item = _read_raw(row).item
    assert isinstance(item, Skip)
    assert (item.kind, item.reason, item.url) == (
        "feed",
        "not-a-post:feed",
        "http://www.ise.gov/iseblog/feed",
    )
    assert item.discovered[:2] == (
        "http://www.ise.gov/blog/ise-bloggers/social-media-and-law-enforcement-tweeting-front-line",
        "http://www.ise.gov/blog/ise-bloggers/world-state-and-local-justice-information-systems-lessons-najis-conference-0",
    )
    assert len(item.discovered) == len(set(item.discovered)) == 10


def test_extract_renders_markdown() -> None:
    row = next(r for r in POST_ROWS if r["cid"] == "c0015")
    post = extract(
        _capture_bytes(row),
        url=row["original"],
        timestamp=row["timestamp"],
        headers=row["headers"],
    )
    assert isinstance(post, Post)
    assert "Engaging with Minnesota" in post.body_markdown
    assert "Reference" not in post.body_markdown
    assert post.word_count > 0 and len(post.content_sha256) == 64


_TAGS = [
    "p",
    "div",
    "a",
    "script",
    "table",
    "tr",
    "td",
    "ul",
    "li",
    "br",
    "img",
    "iframe",
    "h1",
    "span",
    "article",
    "body",
    "html",
    "head",
    "title",
]
_PIECES = st.one_of(
    st.sampled_from(_TAGS).map(lambda t: f"<{t}>"),
    st.sampled_from(_TAGS).map(lambda t: f"</{t}>"),
    st.sampled_from(
        [
            '<a href="javascript:alert(1)">x</a>',
            "<script>alert('x')</script>",
            '<div class="field-name-body"><div class="field-item">',
            '<body class="page-node node-type-blog">',
            '<div id="node-1" class="node node-full"><div class="submitted">',
            '<span property="dc:created" content="2011-99-99T00:00:00">',
            '<link rel="canonical" href="/web/1/http://www.ise.gov/blog/a/b">',
            '<h1 id="page-title">T</h1>',
            "<!--",
            "-->",
            "<![CDATA[",
            "&#0;",
            "&bogus;",
            '<img src="data:image/png;base64,xx">',
            "<?xml version='1.0'?>",
            "<!-- BEGIN WAYBACK TOOLBAR INSERT -->",
            "\x00",
            "\ufffd",
            "</html>",
        ]
    ),
    st.text(max_size=20),
)


@settings(max_examples=150, deadline=2000)
@given(pieces=st.lists(_PIECES, max_size=60))
def test_hostile_html_never_crashes(pieces: list[str]) -> None:
    body = "".join(pieces).encode("utf-8", errors="surrogatepass")
    try:
        item = PostPage(body, url="http://www.ise.gov/blog/a/b").to_item()
    except (NotHTML, TruncatedCapture):
        return
    assert isinstance(item, (Post, Skip))
    if isinstance(item, Post):
        assert "<script" not in item.markdown
        assert "/web/" not in item.url


@settings(max_examples=60, deadline=2000)
@given(
    cid=st.sampled_from([row["cid"] for row in POST_ROWS]),
    fraction=st.floats(min_value=0.0, max_value=0.98),
)
def test_cut_captures_are_truncated_not_wrong(cid: str, fraction: float) -> None:
    body = _capture_bytes(next(r for r in ROWS if r["cid"] == cid))
    cut = body[: int(len(body) * fraction)]
    with pytest.raises((TruncatedCapture, NotHTML)):
        PostPage(cut, url="http://www.ise.gov/blog/a/b").read()


UNKNOWN_LAYOUT = b"""<!DOCTYPE html><html><head>
<title>A New Layout Post | Information Sharing Environment</title>
<link rel="canonical" href="/blog/jane-doe/new-layout-post">
<meta property="article:published_time" content="2016-03-01T10:00:00-05:00"></head>
<body><main><article><h1>A New Layout Post</h1>
<p class="byline">By <a href="/users/jane-doe">Jane Doe</a></p>
<div class="text"><p>First paragraph of a body long enough to be the densest block
on the page, with words and more words.</p><p>Second paragraph, also long enough to
count as content for a reader that looks at text density.</p></div></article></main>
</body></html>"""


def test_unknown_layout_goes_to_the_generic_reader() -> None:
    item = (
        PostPage(
            UNKNOWN_LAYOUT,
            url="https://www.ise.gov/blog/jane-doe/new-layout-post?",
            timestamp="20160302000000",
        )
        .read()
        .item
    )
    assert isinstance(item, Post)
    assert (item.template, item.url, item.title) == (
        "generic",
        "http://www.ise.gov/blog/jane-doe/new-layout-post",
        "A New Layout Post",
    )


def test_unknown_layout_at_a_listing_url_is_not_a_post() -> None:
    item = PostPage(UNKNOWN_LAYOUT, url="http://www.ise.gov/blog?page=3").read().item
    assert isinstance(item, Skip)
    assert (item.kind, item.reason) == ("listing", "not-a-post:listing")


@pytest.mark.parametrize("depth", [300, 5000])
def test_markup_nested_deeper_than_libxml2_allows_keeps_its_text(depth: int) -> None:
    page = (
        "<html><head><title>Nested Post | Information Sharing Environment</title>"
        "</head><body><h1>Nested Post</h1>"
        + "<div>" * depth
        + "<p>Deep text of the post, long enough to be an article body. " * 4
        + "</p></body></html>"
    ).encode()

    result = extract(page, url="http://www.ise.gov/blog/ise-bloggers/nested-post")

    assert isinstance(result, Post)
    assert result.title == "Nested Post"
    assert "Deep text of the post" in result.body_markdown


@pytest.mark.parametrize("code", range(0x20))
def test_control_characters_are_removed_as_the_regex_removes_them(code: int) -> None:
    """The substring pre-check finds exactly the characters the regex removes."""
    text = f"<p>a{chr(code)}b</p>"
    expected = _CONTROL_CHARACTERS.sub("", text)
    assert _without_control_characters(text) == expected
    assert (expected == text) == (chr(code) in "\t\n\r")
