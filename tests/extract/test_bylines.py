"""Tests of ise_archive.extract.bylines: finding bylines, reading their dates."""

from __future__ import annotations

from datetime import date, datetime

import lxml.html
import pytest

from ise_archive.extract.bylines import SITE_TZ, find_bylines, parse_text_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Posted by Joe on 10/04/2011", date(2011, 10, 4)),
        ("Submitted by Ann on Mon, 06/14/2010 - 09:00", datetime(2010, 6, 14, 9, 0)),
        ("6/14/2010 9:00 pm", datetime(2010, 6, 14, 21, 0)),
        ("Posted by ISE Bloggers on Tuesday, October 04, 2011", date(2011, 10, 4)),
        ("Oct. 4, 2011 at 12:38 PM", datetime(2011, 10, 4, 12, 38)),
        ("By Kshemendra Paul | June 10th, 2015", date(2015, 6, 10)),
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
