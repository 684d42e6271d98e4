"""The 2011 ``isegov`` theme reader, on the seed post and the guest post."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import lxml.html

from ise_archive.extract.fields import PostFields
from ise_archive.extract.page import body_text
from ise_archive.extract.templates import d7_2011, d7_2014, print_page
from ise_archive.normalize.dates import SITE_TIMEZONE
from ise_archive.records import Image, RelatedPost, Tag
from tests.extract.prepared import prepared_doc

SEED = "http://www.ise.gov/blog/ise-bloggers/social-media-and-law-enforcement-tweeting-front-line"
GUEST = "http://www.ise.gov/blog/ise-bloggers/guest-post-what-rural-sheriffs-need-fusion-centers"
TAG_ROOT = "http://www.ise.gov/category/free-tags/"


def test_seed_post_fields() -> None:
    doc = prepared_doc("c0015", SEED)
    assert d7_2011.matches(doc)
    assert not d7_2014.matches(doc) and not print_page.matches(doc)
    fields = d7_2011.extract_fields(doc, SEED)
    assert dataclasses.replace(fields, body=None) == PostFields(
        title="Social Media and Law Enforcement: Tweeting from the front line",
        author="ISE Bloggers",
        author_url="http://www.ise.gov/users/ise-bloggers",
        # the byline's dc:created, not the blog-date field's midnight value
        published=datetime(2011, 10, 4, 12, 38, tzinfo=SITE_TIMEZONE),
        tags=tuple(
            Tag(name=name, url=TAG_ROOT + slug)
            for name, slug in [
                ("DHS", "dhs"),
                ("fusion centers", "fusion-centers"),
                ("information sharing", "information-sharing"),
                ("law enforcement", "law-enforcement"),
                ("mission partners", "mission-partners"),
                ("see something, say something", "see-something-say-something"),
                ("state & local gov", "state-local-gov"),
                ("suspicious activity reporting", "suspicious-activity-reporting"),
            ]
        ),
        related=(
            RelatedPost(
                title="Officer Safety in Indian Country – Reversing a Deadly Trend",
                url="http://www.ise.gov/blog/joe-laporte/"
                "officer-safety-indian-country-%E2%80%93-reversing-deadly-trend",
            ),
            RelatedPost(
                title="Information Sharing Success: FBI and state fusion center "
                "partner apprehend armed and dangerous fugitives",
                url="http://www.ise.gov/blog/fbi-denver-sac-james-yacone/"
                "information-sharing-success-fbi-and-state-fusion-center-partner-app",
            ),
            RelatedPost(
                title="The world of state and local justice information systems: "
                "Lessons from the NAJIS Conference",
                url="http://www.ise.gov/blog/ise-bloggers/world-state-and-local-"
                "justice-information-systems-lessons-najis-conference-0",
            ),
        ),
        images=(
            Image(
                url="http://www.ise.gov/sites/default/files/images/blog/"
                "SMILE-Dallas-PD-center.jpg",
                alt="Dallas Police Department information sharing center",
            ),
            Image(
                url="http://www.ise.gov/sites/default/files/images/blog/"
                "officer-squeezy-penn-ave.jpg",
                alt="Officer Squeezy on Pennsylvania Avenue",
            ),
        ),
        nid=1426,
        canonical_url=SEED,
        template="d7_2011",
    )


def test_body_is_the_body_field_only() -> None:
    fields = d7_2011.extract_fields(prepared_doc("c0015", SEED), SEED)
    text = body_text(fields.body)
    assert text.startswith("Last week, ISE staff attended")
    assert text.endswith("Send us an email.")  # "Connect with ISE" is body
    for chrome in (
        "Posted by",
        "Subscribe",
        "Reference:",
        "Tags:",
        "Previous Post",
        "Printer-friendly",
        "10/04/2011",
    ):
        assert chrome not in text


def test_guest_post_keeps_account_as_author_and_ignores_comments() -> None:
    fields = d7_2011.extract_fields(prepared_doc("c0012", GUEST), GUEST)
    assert (fields.author, fields.title) == (
        "ISE Bloggers",
        "Guest Post: What Rural Sheriffs Need from Fusion Centers",
    )
    # the comment's 05/17/2012 07:41 is not the post's date
    assert fields.published == datetime(2012, 5, 16, 11, 45, tzinfo=SITE_TIMEZONE)
    text = body_text(fields.body)
    assert text.startswith("By Dana Whitfield, County Justice Quarterly\n\n")
    assert "Spot on" not in text and "Permalink" not in text


def test_sidebar_tag_cloud_is_not_the_posts_tags() -> None:
    fields = d7_2011.extract_fields(prepared_doc("c0012", GUEST), GUEST)
    assert [tag.name for tag in fields.tags] == [
        "fusion centers",
        "state & local gov",
        "law enforcement",
    ]


def test_date_falls_back_to_byline_text_then_blog_date() -> None:
    doc = prepared_doc("c0015", SEED)
    for span in doc.xpath("//div[@class='submitted']/span"):
        del span.attrib["content"]
    fields = d7_2011.extract_fields(doc, SEED)
    assert fields.published.isoformat() == "2011-10-04"
    for span in doc.xpath("//div[@class='submitted']/span"):
        span.getparent().remove(span)
    fields = d7_2011.extract_fields(doc, SEED)
    assert fields.published == date(2011, 10, 4)  # the blog-date field: a day


def test_listing_page_does_not_match() -> None:
    assert not d7_2011.matches(prepared_doc("c0004", "http://www.ise.gov/blog"))


def test_another_themes_submitted_line_is_not_claimed() -> None:
    """A ``div#node-N.node`` whose ``.submitted`` has neither the account link nor
    the RDFa date (another Drupal theme) is left to the generic reader."""
    html = (
        "<html><body><h1 id='page-title'>A Post</h1><div id='node-7' class='node'>"
        "<div class='submitted'>Submitted by Ann on Mon, 06/14/2010 - 09:00</div>"
        "<div class='field-name-body'><div class='field-item'><p>Text.</p></div>"
        "</div></div></body></html>"
    )
    assert not d7_2011.matches(lxml.html.document_fromstring(html))
