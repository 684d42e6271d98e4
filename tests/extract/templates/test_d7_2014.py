"""The 2014 ``ise_zen`` theme reader."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import lxml.html

from ise_archive.extract.fields import PostFields
from ise_archive.extract.page import body_text
from ise_archive.extract.templates import d7_2011, d7_2014, print_page
from ise_archive.normalize.dates import SITE_TIMEZONE
from ise_archive.records import Image, RelatedPost, Tag
from tests.extract.prepared import prepared_doc

NIEM = (
    "http://www.ise.gov/blog/tamara-wells/niem-30-here-what%E2%80%99s-new-implementers"
)
REPORT = "http://www.ise.gov/blog/kshemendra-paul/inside-2013-annual-report-congress"
TAG_ROOT = "http://www.ise.gov/category/free-tags/"


def test_niem_post_fields() -> None:
    doc = prepared_doc("c0048", NIEM)
    assert d7_2014.matches(doc)
    assert not d7_2011.matches(doc) and not print_page.matches(doc)
    fields = d7_2014.extract_fields(doc, NIEM)
    assert dataclasses.replace(fields, body=None) == PostFields(
        title="NIEM 3.0 Is Here: What’s New for Implementers",
        author="Tamara Wells",
        author_url="http://www.ise.gov/users/tamara-wells",
        published=datetime(2013, 11, 20, 9, 50, tzinfo=SITE_TIMEZONE),  # EST
        tags=(
            Tag(name="NIEM", url=TAG_ROOT + "niem"),
            Tag(name="standards", url=TAG_ROOT + "standards"),
            Tag(name="interoperability", url=TAG_ROOT + "interoperability"),
        ),
        related=(
            RelatedPost(
                title="NIEM in the Health and Human Services Domain",
                url="http://www.ise.gov/blog/joe-laporte/"
                "niem-health-and-human-services-domain",
            ),
            RelatedPost(
                title="Reference Architecture for Sharing Across Domains",
                url="http://www.ise.gov/blog/tamara-wells/"
                "reference-architecture-sharing-across-domains",
            ),
        ),
        images=(
            Image(
                url="http://www.ise.gov/sites/default/files/images/blog/niem-logo.png",
                alt="NIEM logo",
                caption="NIEM is jointly managed by DHS, DOJ, and HHS, with the "
                "PM-ISE as a partner.",
            ),
        ),
        nid=1739,
        canonical_url=NIEM,
        template="d7_2014",
    )
    assert fields.published.isoformat() == "2013-11-20T09:50:00-05:00"


def test_table_blockquote_and_nested_lists_in_body_text() -> None:
    fields = d7_2014.extract_fields(prepared_doc("c0037", REPORT), REPORT)
    text = body_text(fields.body)
    assert "\n\nIndicator | 2012 | 2013\n\n" in text
    assert "including:\n\nfire and emergency medical services personnel;\n\n" in text
    assert "\n\n— 2013 Annual Report to the Congress\n\n" in text
    for chrome in ("Tags:", "Previous post", "Print", "Related Posts", "By Kshemendra"):
        assert chrome not in text


def test_popular_tags_and_recent_posts_sidebars_are_ignored() -> None:
    fields = d7_2014.extract_fields(prepared_doc("c0037", REPORT), REPORT)
    assert "fusion centers" in [tag.name for tag in fields.tags]
    assert "interoperability" not in [tag.name for tag in fields.tags]  # sidebar only
    assert [r.title for r in fields.related] == [
        "National Strategy Implementation Plan: First Steps",
        "Highlights from the 2011 Annual Report to the Congress",
    ]


def test_teasers_are_not_posts() -> None:
    doc = prepared_doc("c0053", "http://www.ise.gov/blog?page=3")
    assert not d7_2014.matches(doc)


def test_another_themes_article_node_is_not_claimed() -> None:
    """A Drupal 7 theme with the same core ``article.node`` and body field but its
    own byline (the 2016 USWDS redesign) is left to the generic reader, which
    reads its author and date."""
    html = (
        "<html><body><h1 id='page-title'>A Post</h1><article class='node node-blog'>"
        "<p class='meta'>Posted on June 10, 2015 by <a href='/users/a'>A</a></p>"
        "<div class='field field-name-body'><div class='field-item'><p>Text.</p>"
        "</div></div></article></body></html>"
    )
    assert not d7_2014.matches(lxml.html.document_fromstring(html))
