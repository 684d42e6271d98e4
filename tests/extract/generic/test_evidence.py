"""Tests of ise_archive.extract.generic.evidence: title, author, date and own URL."""

from __future__ import annotations

from datetime import date, datetime

import lxml.html
import pytest

from ise_archive.extract.generic.bylines import SITE_TZ, find_bylines
from ise_archive.extract.generic.evidence import (
    read_author,
    read_canonical_url,
    read_json_ld,
    read_nid,
    read_published,
    read_title,
)
from tests.extract.generic.test_reader import POST, parse, trap_page


def doc_of(html: str, url: str = POST) -> lxml.html.HtmlElement:
    return parse(html.encode(), url)


def bylines_of(doc: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    story = doc.find_class("story")[0]
    return find_bylines(doc, story)


def test_comment_date_is_never_the_post_date() -> None:
    doc = doc_of(trap_page())
    assert (
        read_published(doc, {}, bylines_of(doc)),
        read_author(doc, {}, bylines_of(doc), POST),
    ) == (None, ("", ""))


def test_impossible_machine_dates_fall_through_to_the_byline() -> None:
    html = trap_page('<p class="meta">Posted by Joe on 10/04/2011</p>').replace(
        "</head>",
        '<meta property="article:published_time" content="0001-01-01T00:00:00+14:00">'
        '<meta name="dcterms.date" content="2011-13-45"></head>',
    )
    doc = doc_of(html)
    assert read_published(doc, {}, bylines_of(doc)) == date(2011, 10, 4)


def test_a_stated_time_beats_a_bare_midnight_of_the_same_day() -> None:
    html = (
        "<html><head><meta name='dcterms.date' content='2011-10-04T12:38:00-04:00'>"
        "</head><body><span property='dc:date' content='2011-10-04T00:00:00-04:00'>"
        "</span></body></html>"
    )
    assert read_published(doc_of(html), {}, []) == datetime(
        2011, 10, 4, 12, 38, tzinfo=SITE_TZ
    )


def test_archive_address_is_never_the_post_url() -> None:
    html = trap_page().replace(
        "</head>",
        '<link rel="canonical" href="https://web.archive.org/web/2012/'
        'http://ise.gov:80/blog/ise-bloggers/a-post?page=1"></head>',
    )
    url = "https://web.archive.org/web/2012/http://x.org/"
    assert (
        read_canonical_url(doc_of(html, url), {}, url)
        == "http://www.ise.gov/blog/ise-bloggers/a-post"
    )


@pytest.mark.parametrize(
    ("head", "title"),
    [
        ("<title>A Post | Information Sharing Environment</title>", "A Post"),
        ("<title>ISE</title><meta property='og:title' content='B - ISE.gov'>", "B"),
        ("<title>ISE</title>", ""),
        ("<title>ISE Blog &raquo; C: Who Does What?</title>", "C: Who Does What?"),
        (
            "<title>ISE Blog: Officer Safety – A Trend</title>",
            "Officer Safety – A Trend",
        ),
        ("<title>D—and What’s Next - ISE.gov (text only)</title>", "D—and What’s Next"),
    ],
)
def test_title_drops_the_site_name(head: str, title: str) -> None:
    assert read_title(doc_of(f"<html><head>{head}</head><body></body></html>"), {}) == (
        title
    )


def test_json_ld_article_author_and_node_id() -> None:
    html = (
        "<html><head><link rel='shortlink' href='http://www.ise.gov/node/1426'>"
        '<script type="application/ld+json">{"@graph": [{"@type": "WebPage"},'
        ' {"@type": "BlogPosting", "headline": "H", "author": {"name": "Ann",'
        ' "url": "/users/ann"}}]}</script><script type="application/ld+json">'
        "{broken</script></head><body></body></html>"
    )
    doc = doc_of(html)
    ld = read_json_ld(doc, POST)
    assert (ld["headline"], read_author(doc, ld, [], POST), read_nid(doc)) == (
        "H",
        ("Ann", "http://www.ise.gov/users/ann"),
        1426,
    )


def test_hatom_date_and_author_never_a_commenters() -> None:
    html = (
        "<html><body><div class='hentry'><h2 class='entry-title'>Guest Post</h2>"
        "<span class='author vcard'>By <a class='url fn' href='/users/ise-bloggers'>"
        "ISE Bloggers</a></span> <abbr class='published'"
        " title='2012-05-16T11:45:00-04:00'>May 16, 2012</abbr>"
        "<div class='story'><p>By Dana Whitfield, County Justice Quarterly</p></div>"
        "<ol class='commentlist'><li id='li-comment-1'><div class='comment-author"
        " vcard'><cite class='fn'>Tom</cite></div><abbr class='published'"
        " title='2012-05-17T08:02:00-04:00'>May 17</abbr></li></ol></div>"
        "</body></html>"
    )
    doc = doc_of(html)
    assert read_title(doc, {}) == "Guest Post"
    assert read_author(doc, {}, [], POST) == (
        "ISE Bloggers",
        "http://www.ise.gov/users/ise-bloggers",
    )
    assert read_published(doc, {}, []) == datetime(2012, 5, 16, 11, 45, tzinfo=SITE_TZ)


def test_microdata_date_written_for_people_and_own_url() -> None:
    html = (
        "<html><body><div itemscope itemtype='http://schema.org/BlogPosting'>"
        "<meta itemprop='url' content='http://www.ise.gov/blog/ise-bloggers/a-post'>"
        "<span itemprop='datePublished'>Thursday, May 2, 2013 - 16:10</span>"
        "</div></body></html>"
    )
    doc = doc_of(html)
    assert read_published(doc, {}, []) == datetime(2013, 5, 2, 16, 10, tzinfo=SITE_TZ)
    assert read_canonical_url(doc, {}, POST) == (
        "http://www.ise.gov/blog/ise-bloggers/a-post"
    )
