"""The Drupal print-module reader."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from ise_archive.extract import nonpost
from ise_archive.extract.fields import PostFields
from ise_archive.extract.page import body_text
from ise_archive.extract.templates import d7_2011, d7_2014, print_page
from ise_archive.normalize.dates import SITE_TIMEZONE
from ise_archive.records import Tag
from tests.extract.prepared import prepared_doc

FIVE_YEARS = (
    "http://www.ise.gov/blog/kshemendra-paul/"
    "five-years-ise-blog%E2%80%94and-what%E2%80%99s-next"
)
SEED = "http://www.ise.gov/blog/ise-bloggers/social-media-and-law-enforcement-tweeting-front-line"


def test_print_page_of_a_2014_post() -> None:
    doc = prepared_doc("c0065", FIVE_YEARS)
    assert print_page.matches(doc)
    assert not d7_2011.matches(doc) and not d7_2014.matches(doc)
    fields = print_page.extract_fields(doc, FIVE_YEARS)
    assert dataclasses.replace(fields, body=None) == PostFields(
        title="Five Years of the ISE Blog—and What’s Next",
        author="Kshemendra Paul",
        author_url="http://www.ise.gov/users/kshemendra-paul",
        published=datetime(2015, 6, 10, 11, 25, tzinfo=SITE_TIMEZONE),
        tags=(
            Tag(name="PM-ISE", url="http://www.ise.gov/category/free-tags/pm-ise"),
            Tag(
                name="social media",
                url="http://www.ise.gov/category/free-tags/social-media",
            ),
            Tag(
                name="mission partners",
                url="http://www.ise.gov/category/free-tags/mission-partners",
            ),
        ),
        nid=1945,
        canonical_url=FIVE_YEARS,
        template="print_page",
    )


def test_footnote_markers_and_link_list_are_not_body() -> None:
    fields = print_page.extract_fields(prepared_doc("c0063", SEED), SEED)
    text = body_text(fields.body)
    assert "[4]" not in text and "Links:" not in text and "Source URL" not in text
    assert "on @shareandprotect.\n\n" in text  # no space left where "[4]" was
    assert fields.body.xpath(".//*[contains(@class, 'print-footnote')]") == []


def test_created_line_is_the_fallback_date() -> None:
    doc = prepared_doc("c0063", SEED)
    for span in doc.xpath("//*[@content][contains(@property, 'dc:created')]"):
        del span.attrib["content"]
    fields = print_page.extract_fields(doc, SEED)
    assert fields.published.isoformat() == "2011-10-04T12:38:00-04:00"


def test_print_page_of_a_non_blog_node_is_not_a_post() -> None:
    doc = prepared_doc("c0063", SEED)
    node = doc.xpath("//div[@id='node-1426']")[0]
    node.set("class", node.get("class").replace("node-blog", "node-page"))
    assert print_page.extract_fields(doc, SEED) is None
    assert nonpost.classify_page(doc) == nonpost.PageClass(
        "other", "not-a-post:print-node-page"
    )
