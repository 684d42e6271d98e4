"""Tests of ise_archive.extract.generic.bylines: bylines and their dates."""

from __future__ import annotations

from datetime import date, datetime

import lxml.html
import pytest

from ise_archive.extract.generic.bylines import SITE_TZ, find_bylines, parse_text_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Posted by Joe on 10/04/2011", date(2011, 10, 4)),
        ("Submitted by Ann on Mon, 06/14/2010 - 09:00", datetime(2010, 6, 14, 9, 0)),
        ("6/14/2010 9:00 pm", datetime(2010, 6, 14, 21, 0)),
        ("Posted by ISE Bloggers on Tuesday, October 04, 2011", date(2011, 10, 4)),
        ("Oct. 4, 2011 at 12:38 PM", datetime(2011, 10, 4, 12, 38)),
        ("By Kshemendra Paul | June 10th, 2015", date(2015, 6, 10)),
        ("May 16, 2012 – 11:45 am", datetime(2012, 5, 16, 11, 45)),
        (
            "Posted on February 18th, 2015 at 10:40 am by Marcus",
            datetime(2015, 2, 18, 10, 40),
        ),
        (
            "Posted: 10.04.2011 at 12:38 pm | Written by: X",
            datetime(2011, 10, 4, 12, 38),
        ),
        ("Created: 02 May 2013 16:10", datetime(2013, 5, 2, 16, 10)),
        ("10.04/2011", None),
        ("13/45/2011", None),
        ("Posted by Joe", None),
    ],
)
def test_dates_written_for_people_are_read_month_first(text, expected):
    if isinstance(expected, datetime):
        expected = expected.replace(tzinfo=SITE_TZ)
    assert parse_text_date(text) == expected


def test_bylines_are_the_posts_own_never_a_comments_shortest_first():
    page = lxml.html.document_fromstring(
        "<html><body><article><div class='meta'><span>By Ann</span> Wednesday,"
        " June 10, 2015</div><div class='content'><p>By Guest, Sheriff</p>"
        "<p>Posted by Joe on 10/04/2011</p><p>Body text.</p></div>"
        "<div class='comment'><span class='submitted'>Submitted by Bob on"
        " 10/05/2011</span></div></article></body></html>"
    )
    article = page.find(".//article")
    body = page.find_class("content")[0]
    texts = [" ".join(el.text_content().split()) for el in find_bylines(article, body)]
    assert texts == [
        "By Ann",
        "Posted by Joe on 10/04/2011",
        "By Ann Wednesday, June 10, 2015",
    ]


def test_posted_on_lines_and_a_posts_own_footer_are_bylines():
    """USWDS/WordPress "Posted on <date> by X" and a Blogger-style byline in the
    post's own ``div.post-footer`` below the body; the page footer never counts."""
    page = lxml.html.document_fromstring(
        "<html><body><div class='blog-post'><h2>T</h2>"
        "<small>Posted on June 10, 2015 at 11:25 am <span>by Ann</span></small>"
        "<div class='post-body'><p>Body text.</p></div>"
        "<div class='post-footer'><div>Posted by Joe on 10/04/2011</div></div></div>"
        "<div class='footer'><p>Posted on 10/05/2011 by the webmaster</p></div>"
        "</body></html>"
    )
    post = page.find_class("blog-post")[0]
    body = page.find_class("post-body")[0]
    texts = [" ".join(el.text_content().split()) for el in find_bylines(post, body)]
    assert texts == [
        "by Ann",
        "Posted by Joe on 10/04/2011",
        "Posted on June 10, 2015 at 11:25 am by Ann",
    ]
