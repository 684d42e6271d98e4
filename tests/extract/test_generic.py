"""Tests of the fallback extractor on layouts the known templates do not cover.

``tests/fixtures/unseen/`` holds hand-made ise.gov pages in layouts that occur nowhere
in the dev corpus (Drupal 8/Bootstrap, Drupal 6 tables in windows-1252, a jQuery
Mobile theme with Open Graph only, a static mirror whose body is found by density),
each with the whole expected field set. The dev captures check that the fallback
also reads the known templates right, and small pages pin the traps that need the
whole extractor; the parts have their own tests (test_regions, test_body,
test_bylines, test_evidence).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from ise_archive.extract import extract, generic
from ise_archive.extract.fields import PostFields
from ise_archive.records import Post, Tag, to_json

FIXTURES = Path(__file__).parent.parent / "fixtures"
UNSEEN = FIXTURES / "unseen"
DEV = FIXTURES / "dev"
POST = "http://www.ise.gov/blog/ise-bloggers/welcome-ise-blog"


def parse(body: bytes, url: str, encoding: str = "utf-8") -> lxml.html.HtmlElement:
    """The document as the page object hands it over: parsed, links absolute."""
    doc = lxml.html.document_fromstring(body.decode(encoding))
    doc.make_links_absolute(url, resolve_base_href=False)
    return doc


def as_dict(fields: PostFields) -> dict[str, Any]:
    data = to_json(fields)
    body = data.pop("body")
    data["body_text"] = " ".join(body.text_content().split())
    return data


def fields_of(html: str, url: str = POST) -> PostFields | None:
    return generic.extract_fields(parse(html.encode(), url), url)


@pytest.mark.parametrize("case", sorted(UNSEEN.glob("*.json")), ids=lambda p: p.stem)
def test_unseen_layout_gives_expected_fields(case: Path) -> None:
    expected = json.loads(case.read_text(encoding="utf-8"))
    doc = parse(
        (UNSEEN / expected["page"]).read_bytes(), expected["url"], expected["encoding"]
    )
    assert generic.matches(doc)
    fields = generic.extract_fields(doc, expected["url"])
    assert fields is not None
    assert as_dict(fields) == expected["fields"]


def dev_posts() -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (DEV / "index.jsonl").open()]
    return [
        r for r in rows if r["kind"] in ("post", "print") and r["statuscode"] != "-"
    ]


@pytest.mark.parametrize("row", dev_posts(), ids=lambda r: r["cid"])
def test_known_templates_read_by_generic_evidence(row: dict[str, Any]) -> None:
    """On the known templates the fallback alone gets the metadata exactly right."""
    encoding = "windows-1252" if row["variant"] == "cp1252" else "utf-8"
    body = (DEV / "captures" / f"{row['cid']}.bin").read_bytes()
    fields = generic.extract_fields(
        parse(body, row["original"], encoding), row["original"]
    )
    gold = json.loads((DEV / "gold" / f"{row['post_id']}.json").read_text())
    assert fields is not None
    got = (
        fields.title,
        fields.author,
        fields.published.isoformat(),
        [t.name for t in fields.tags],
        [t.url for t in fields.tags],
        fields.canonical_url,
    )
    assert got == (
        gold["title"],
        gold["author"],
        gold["published"],
        gold["tags"],
        gold["tag_urls"],
        gold["url"],
    )


PAGE = """<html><head><title>{title} | Information Sharing Environment</title></head>
<body><div id="sidebar-first" class="sidebar"><div class="block block-tagadelic">
<a href="/category/free-tags/dhs" rel="tag">DHS</a>
<a href="/category/free-tags/fbi" rel="tag">FBI</a></div></div>
<div id="main"><h1>{title}</h1>{byline}
<div class="story"><p>{para}</p><p>{para}</p><p>{para}</p>
<div id="comments"><div class="comment"><span class="submitted">Submitted by Ann on
Wed, 10/05/2011 - 08:14</span><time datetime="2011-10-05T08:14:00-04:00">Oct 5</time>
<p>{comment}</p></div></div></div></div></body></html>"""
PARA = (
    "Fusion centers, state police and federal partners share suspicious activity"
    " reports through the Nationwide SAR Initiative, which keeps privacy rules in"
    " place while it speeds up the exchange of information."
)
COMMENT = "Comment text that must never reach the body of the post, however long it is."


def trap_page(byline: str = "") -> str:
    return PAGE.format(title="A Post", byline=byline, para=PARA, comment=COMMENT)


def test_comment_date_is_never_the_post_date() -> None:
    fields = fields_of(trap_page())
    assert fields is not None
    assert (fields.published, fields.author) == (None, "")


def test_sidebar_tag_cloud_is_not_the_post_tags() -> None:
    fields = fields_of(trap_page())
    assert fields is not None
    assert fields.tags == ()


def test_page_without_body_evidence_gives_none() -> None:
    assert (
        fields_of("<html><head><title>Hi</title></head><body><p>x</p></body></html>")
        is None
    )


def test_listing_is_not_an_article() -> None:
    body = (DEV / "captures" / "c0004.bin").read_bytes()
    assert not generic.matches(parse(body, "http://www.ise.gov/blog"))


def test_deeply_nested_page_does_not_crash() -> None:
    html = "<div>" * 5000 + f"<p>{PARA}</p>" * 3 + "</div>" * 5000
    doc = parse(
        f"<html><head><title>Deep</title></head><body>{html}</body></html>".encode(),
        POST,
    )
    fields = generic.extract_fields(doc, POST)
    assert fields is None or fields.title == "Deep"


@pytest.mark.parametrize("case", sorted(UNSEEN.glob("*.json")), ids=lambda p: p.stem)
def test_page_object_falls_back_to_generic(case: Path) -> None:
    """Through the public ``extract`` an unseen layout still becomes a post."""
    expected = json.loads(case.read_text(encoding="utf-8"))
    post = extract(
        (UNSEEN / expected["page"]).read_bytes(),
        url=expected["url"],
        timestamp="20170120140311",
    )
    want = expected["fields"]
    assert isinstance(post, Post)
    assert (post.template, post.title, post.author, post.tags) == (
        "generic",
        want["title"],
        want["author"],
        tuple(Tag(**t) for t in want["tags"]),
    )
    assert post.published.isoformat() == want["published"]
    assert "web.archive.org" not in post.url
