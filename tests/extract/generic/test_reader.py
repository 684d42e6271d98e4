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
import re
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from ise_archive.extract import PostPage
from ise_archive.extract.fields import PostFields, body_text
from ise_archive.extract.generic import reader as generic
from ise_archive.extract.page import PageReading
from ise_archive.records import Post, Skip, to_json
from tests.traces import markdown_without_archived_links

FIXTURES = Path(__file__).parents[2] / "fixtures"
UNSEEN = FIXTURES / "unseen"
DEV = FIXTURES / "dev"
POST = "http://www.ise.gov/blog/ise-bloggers/welcome-ise-blog"
CASES = {
    p.stem: json.loads(p.read_text(encoding="utf-8")) for p in UNSEEN.glob("*.json")
}
POSTS = sorted(name for name, case in CASES.items() if "fields" in case)
SKIPS = sorted(name for name, case in CASES.items() if "skip" in case)
# A tag in the Markdown that is neither an autolink <http://...> nor <mailto:...>
RAW_HTML = re.compile(r"<(?!https?://|mailto:)[A-Za-z/!?]")
MOJIBAKE = ("\ufffd", "â€", "Ã©", "Ã¯", "Â ")


def parse(body: bytes, url: str, encoding: str = "utf-8") -> lxml.html.HtmlElement:
    """The document as the page object hands it over: parsed, links absolute."""
    doc = lxml.html.document_fromstring(body.decode(encoding))
    doc.make_links_absolute(url, resolve_base_href=False)
    return doc


def body_links(fragment: lxml.html.HtmlElement) -> list[str]:
    """The gold ``body_links``: distinct ``<a href>`` of the body, ``#`` skipped."""
    links: list[str] = []
    for href in fragment.xpath(".//a/@href"):
        if href.strip() and not href.startswith("#") and href.strip() not in links:
            links.append(href.strip())
    return links


def as_dict(fields: PostFields) -> dict[str, Any]:
    """The whole field set, the body as gold-convention text and links."""
    data = to_json(fields)
    body = data.pop("body")
    data["body_text"] = body_text(body)
    data["body_links"] = body_links(body)
    return data


def fields_of(html: str, url: str = POST) -> PostFields | None:
    return generic.extract_fields(parse(html.encode(), url), url)


def read_case(name: str) -> PageReading:
    case = CASES[name]
    return PostPage(
        (UNSEEN / case["page"]).read_bytes(),
        url=case["url"],
        timestamp=None if case.get("replay") else "20170120140311",
        headers=case.get("headers"),
    ).read()


@pytest.mark.parametrize(
    "name", [n for n in POSTS if not CASES[n].get("replay")], ids=str
)
def test_unseen_layout_gives_expected_fields(name: str) -> None:
    """The fallback alone, on the page as parsed (links absolute, not canonical)."""
    case = CASES[name]
    doc = parse((UNSEEN / case["page"]).read_bytes(), case["url"], case["encoding"])
    assert generic.matches(doc)
    fields = generic.extract_fields(doc, case["url"])
    assert fields is not None
    got = as_dict(fields)
    got.pop("body_links")  # relative links resolve to the capture's own spelling here
    assert got == {k: v for k, v in case["fields"].items() if k != "body_links"}


@pytest.mark.parametrize("name", POSTS, ids=str)
def test_page_object_reads_unseen_layout(name: str) -> None:
    """Through the page object (charset, replay undoing, template choice) an unseen
    layout gives the whole expected field set, and its body is the gold post's."""
    case = CASES[name]
    gold = json.loads((DEV / "gold" / f"{case['gold']}.json").read_text("utf-8"))
    reading = read_case(name)
    assert isinstance(reading.item, Post), reading.item
    assert reading.fields is not None
    assert as_dict(reading.fields) == case["fields"]
    assert (reading.item.url, reading.item.template) == (gold["url"], "generic")
    assert (case["fields"]["body_text"], case["fields"]["body_links"]) == (
        gold["body_text"],
        gold["body_links"],
    )


@pytest.mark.parametrize("name", SKIPS, ids=str)
def test_unseen_non_post_is_skipped(name: str) -> None:
    """Listings, "Page not found" and "Access denied" pages in an unknown layout
    never become posts."""
    item = read_case(name).item
    assert isinstance(item, Skip), item
    assert {
        "kind": item.kind,
        "reason": item.reason,
        "url": item.url,
        "discovered": list(item.discovered),
        "next_page": item.next_page,
    } == CASES[name]["skip"]


@pytest.mark.parametrize("name", POSTS, ids=str)
def test_unseen_layout_markdown_is_clean(name: str) -> None:
    """No raw HTML, script, archive URL or mojibake; every link clickable."""
    post = PostPage(
        (UNSEEN / CASES[name]["page"]).read_bytes(),
        url=CASES[name]["url"],
        headers=CASES[name].get("headers"),
    ).to_item()
    assert isinstance(post, Post)
    text = markdown_without_archived_links(post)
    assert RAW_HTML.search(text) is None
    for bad in ("/web/", "archive.org", "javascript:", *MOJIBAKE):
        assert bad not in text
    assert text.startswith(f"# {post.title}\n")
    assert all(
        link.url.startswith(("http://", "https://", "mailto:"))
        and f"[{link.n}]: {link.url}" in text
        for link in post.links
    )
    assert set(CASES[name]["fields"]["body_links"]) <= {link.url for link in post.links}


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


LABELLED_TAGS_PAGE = (
    "<html><head><title>Fusion Centers in 2012 | ISE</title></head><body>"
    "<div class='entry'><p>{body}</p>"
    "<h3>Topics</h3><ul><li><a href='/priorities/fusion-centers'>Fusion centers"
    "</a></li></ul><p>{body}</p></div>{after}</body></html>"
).replace("{body}", "Fusion centers share threat information, " * 6)


def test_tags_follow_a_tags_label_outside_the_body() -> None:
    """ "<b>Tags:</b> <a>..</a>, <a>..</a>" after the body (old table layouts)
    gives the tags; a "Topics" heading and list inside the body does not."""
    after = (
        "<p><font size='1'><b>Tags:</b> <a href='/category/free-tags/dhs'>DHS</a>, "
        "<a href='/category/free-tags/fbi'>FBI</a></font></p>"
    )
    with_label = fields_of(LABELLED_TAGS_PAGE.replace("{after}", after))
    without = fields_of(LABELLED_TAGS_PAGE.replace("{after}", ""))
    assert with_label is not None and without is not None
    assert [t.name for t in with_label.tags] == ["DHS", "FBI"]
    assert without.tags == ()


def test_page_without_body_evidence_gives_none() -> None:
    assert (
        fields_of("<html><head><title>Hi</title></head><body><p>x</p></body></html>")
        is None
    )


def test_listing_is_not_an_article() -> None:
    body = (DEV / "captures" / "c0004.bin").read_bytes()
    assert not generic.matches(parse(body, "http://www.ise.gov/blog"))


def test_a_post_linking_to_other_posts_from_headings_is_not_a_listing() -> None:
    """A recap in the body and a "Related Posts" block of teasers, each headed by
    a link to a post, do not make the post a listing."""
    teasers = "".join(
        f"<h3><a href='/blog/ise-bloggers/old-post-{i}'>Old post {i}</a></h3>"
        for i in range(3)
    )
    html = (
        "<html><head><title>Recap</title></head><body><div class='post'>"
        f"<h1>Recap</h1><div class='post-body'><p>{PARA}</p>{teasers}<p>{PARA}</p>"
        f"</div><div class='related-posts'>{teasers.replace('old', 'other')}</div>"
        "</div></body></html>"
    )
    doc = parse(html.encode(), POST)
    assert not generic.is_listing(doc)
    assert generic.matches(doc)


def test_deeply_nested_page_does_not_crash() -> None:
    html = "<div>" * 5000 + f"<p>{PARA}</p>" * 3 + "</div>" * 5000
    doc = parse(
        f"<html><head><title>Deep</title></head><body>{html}</body></html>".encode(),
        POST,
    )
    fields = generic.extract_fields(doc, POST)
    assert fields is None or fields.title == "Deep"
