"""Tests of ise_archive.attachments.discovery: which URLs are attachments, prefixes."""

from __future__ import annotations

import pytest

from ise_archive.attachments.discovery import (
    AttachmentRef,
    discovery_prefixes,
    is_site_file,
    post_attachments,
)
from ise_archive.records import Image, Link, Post

POST = "http://www.ise.gov/blog/ise-bloggers/2011-annual-report-congress"
FLICKR = "https://farm7.staticflickr.com/6/smile-dallas.jpg"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://www.ise.gov/sites/default/files/ISE_AR_2011.pdf", True),
        ("https://ise.gov/sites/default/files/factsheet", True),
        ("http://ise.gov:80/files/slides.PPTX", True),
        ("http://www.ise.gov/docs/nsis/niem-one-pager.docx", True),
        ("https://www.ise.gov/sites/default/files/images/sar-map.JPG", True),
        ("http://www.ise.gov/blog/ise-bloggers/welcome-ise-blog", False),
        ("http://www.ise.gov/category/free-tags/dhs", False),
        ("http://www.dni.gov/files/documents/report.pdf", False),
        ("ftp://www.ise.gov/files/a.pdf", False),
        ("mailto:info@ise.gov", False),
        ("http://[broken/a.pdf", False),
    ],
)
def test_site_files_are_recognised_by_directory_or_extension(
    url: str, expected: bool
) -> None:
    assert is_site_file(url) is expected


def test_post_attachments_are_images_then_site_files_once_each() -> None:
    post = Post(
        url=POST,
        title="2011 Annual Report to Congress",
        images=(
            Image(url="http://www.ise.gov/sites/default/files/ar-cover.png", alt="c"),
            Image(url=FLICKR),
            Image(url="data:image/png;base64,AAAA"),
        ),
        links=(
            Link(n=1, url="http://www.ise.gov/users/ise-bloggers"),
            Link(n=2, url="http://www.ise.gov/sites/default/files/ISE_AR_2011.pdf"),
            Link(n=3, url="https://ise.gov/sites/default/files/ISE_AR_2011.pdf"),
            Link(n=4, url="http://www.ise.gov/sites/default/files/ar-cover.png"),
            Link(n=5, url="http://ise.gov/files/map.gif"),
            Link(n=6, url="http://www.dni.gov/files/report.pdf"),
        ),
    )
    assert post_attachments(post) == (
        AttachmentRef(
            url="http://www.ise.gov/sites/default/files/ar-cover.png", kind="image"
        ),
        AttachmentRef(
            url="https://farm7.staticflickr.com/6/smile-dallas.jpg", kind="image"
        ),
        AttachmentRef(
            url="http://www.ise.gov/sites/default/files/ISE_AR_2011.pdf", kind="file"
        ),
        AttachmentRef(url="http://ise.gov/files/map.gif", kind="image"),
    )


def test_a_post_without_files_has_no_attachments() -> None:
    post = Post(url=POST, title="T", links=(Link(n=1, url="http://www.dni.gov/"),))
    assert post_attachments(post) == ()


def test_few_prefixes_cover_every_file_under_both_site_hosts() -> None:
    urls = [
        "http://www.ise.gov/sites/default/files/ISE_AR_2011.pdf",
        "https://ise.gov/sites/default/files/images/sar-map.jpg",
        "http://www.ise.gov/sites/default/files/nested/deep/x.docx",
        "http://ise.gov/files/slides.pptx",
        "http://www.ise.gov/docs/nsis/niem-one-pager.docx",
        "https://farm7.staticflickr.com/6/a.jpg",
        "https://farm7.staticflickr.com/6/b.jpg",
    ]
    assert discovery_prefixes(urls) == (
        "farm7.staticflickr.com/6/",
        "ise.gov/docs/nsis/",
        "ise.gov/files/",
        "ise.gov/sites/default/files/",
        "www.ise.gov/docs/nsis/",
        "www.ise.gov/files/",
        "www.ise.gov/sites/default/files/",
    )


def test_a_prefix_inside_another_is_not_asked_again() -> None:
    assert discovery_prefixes(
        ["http://a.example/img/x.png", "http://a.example/img/2011/y.png"]
    ) == ("a.example/img/",)
