"""Tests of ise_archive.markdown.document: the layout around the body, dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ise_archive.archive.archives import parse_archive
from ise_archive.markdown.document import (
    format_published,
    render_document,
    tidy_markdown,
)
from ise_archive.markdown.links import link_placeholder
from ise_archive.records import CaptureRef, Link, Post, Tag

BASE = "http://www.ise.gov/blog/a/b"
EDT = timezone(timedelta(hours=-4))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (date(2010, 6, 14), "Monday, June 14, 2010"),
        (
            datetime(2011, 10, 4, 12, 38, tzinfo=EDT),
            "Tuesday, October 4, 2011 12:38 PM EDT",
        ),
        (
            datetime(2013, 11, 20, 0, 5, tzinfo=ZoneInfo("America/New_York")),
            "Wednesday, November 20, 2013 12:05 AM EST",
        ),
        (
            datetime(2015, 2, 18, 9, 0, tzinfo=timezone(timedelta(hours=-5))),
            "Wednesday, February 18, 2015 9:00 AM EST",
        ),
        (
            datetime(2015, 2, 18, 14, 0, tzinfo=UTC),
            "Wednesday, February 18, 2015 2:00 PM UTC",
        ),
        (
            datetime(
                2015, 2, 18, 14, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))
            ),
            "Wednesday, February 18, 2015 2:00 PM UTC+05:30",
        ),
    ],
)
def test_format_published(value, expected):
    assert format_published(value) == expected


def test_document_numbers_the_author_link_before_body_and_tag_links():
    post = Post(
        url=BASE,
        title="T",
        author="Ann",
        author_url="http://www.ise.gov/users/ann",
        published=date(2010, 6, 14),
        tags=(Tag(name="DHS", url="http://www.ise.gov/category/free-tags/dhs"),),
    )
    body = f"See [this]{link_placeholder(0)}."
    markdown, links = render_document(post, body, [("http://x.org/", "this")])
    assert markdown == (
        "# T\n\nBy [Ann][1]\n\nPublished: Monday, June 14, 2010\n\n"
        "See [this][2].\n\nTags: [DHS][3]\n\n---\n\n"
        f"**Source URL:** <{BASE}>\n\n"
        "## Links\n\n"
        "1. <http://www.ise.gov/users/ann>\n"
        "2. <http://x.org/>\n"
        "3. <http://www.ise.gov/category/free-tags/dhs>\n\n"
        "[1]: http://www.ise.gov/users/ann\n"
        "[2]: http://x.org/\n"
        "[3]: http://www.ise.gov/category/free-tags/dhs\n"
    )
    assert [link.url for link in links] == [
        "http://www.ise.gov/users/ann",
        "http://x.org/",
        "http://www.ise.gov/category/free-tags/dhs",
    ]
    assert all(isinstance(link, Link) for link in links)


def test_tidy_markdown_keeps_one_blank_line_and_one_final_newline():
    assert tidy_markdown("\n\na  \n\n\n\nb\t\n\n") == "a\n\nb\n"
    assert tidy_markdown(" \n") == ""


def _archived_document(archive_spec: str) -> tuple[str, tuple[Link, ...]]:
    post = Post(
        url=BASE,
        title="T",
        author="ISE Bloggers",
        author_url="http://www.ise.gov/users/ise-bloggers",
        capture=CaptureRef(
            timestamp="20111006123456", archive_url="https://x/", original=BASE
        ),
    )
    targets = [("http://www.dni.gov/x", "DNI"), ("mailto:info@ise.gov", "mail")]
    body = f"[DNI]{link_placeholder(0)} [mail]{link_placeholder(1)}"
    return render_document(post, body, targets, parse_archive(archive_spec))


def test_every_link_gets_the_archive_url_at_the_capture_time() -> None:
    markdown, links = _archived_document("https://web.archive.org")
    assert links == (
        Link(
            n=1,
            url="http://www.ise.gov/users/ise-bloggers",
            text="ISE Bloggers",
            archived_url="https://web.archive.org/web/20111006123456/"
            "http://www.ise.gov/users/ise-bloggers",
        ),
        Link(
            n=2,
            url="http://www.dni.gov/x",
            text="DNI",
            archived_url="https://web.archive.org/web/20111006123456/"
            "http://www.dni.gov/x",
        ),
        Link(n=3, url="mailto:info@ise.gov", text="mail", archived_url=""),
    )
    section = markdown[markdown.index("## Links") :]
    assert section == (
        "## Links\n\n"
        "1. <http://www.ise.gov/users/ise-bloggers> (archived: "
        "<https://web.archive.org/web/20111006123456/"
        "http://www.ise.gov/users/ise-bloggers>)\n"
        "2. <http://www.dni.gov/x> (archived: "
        "<https://web.archive.org/web/20111006123456/http://www.dni.gov/x>)\n"
        "3. <mailto:info@ise.gov>\n\n"
        "[1]: http://www.ise.gov/users/ise-bloggers\n"
        "[2]: http://www.dni.gov/x\n"
        "[3]: mailto:info@ise.gov\n"
    )


def test_archived_links_follow_the_archive_software() -> None:
    _, links = _archived_document("pywb:https://webarchive.library.unt.edu/eot2016")
    assert links[1].archived_url == (
        "https://webarchive.library.unt.edu/eot2016/20111006123456/http://www.dni.gov/x"
    )


def test_no_capture_time_no_archived_links() -> None:
    post = Post(url=BASE, title="T")
    targets = [("http://www.dni.gov/x", "DNI")]
    markdown, links = render_document(
        post, f"[DNI]{link_placeholder(0)}", targets, parse_archive("https://a.org")
    )
    assert links == (Link(n=1, url="http://www.dni.gov/x", text="DNI"),)
    assert "archived" not in markdown
