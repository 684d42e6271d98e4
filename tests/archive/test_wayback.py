"""Tests for ise_archive.archive.wayback: replay URLs and reading replay answers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from scrapy.http import Headers

from ise_archive.archive.wayback import (
    archive_error_reason,
    archive_url,
    capture_timestamp_to_datetime,
    is_archived_response,
    parse_archive_url,
    raw_capture_url,
    redirect_target,
)

POST = "http://www.ise.gov/blog/ise-bloggers/welcome-ise-blog"
MEMENTO = {"Memento-Datetime": "Tue, 28 Sep 2010 12:01:41 GMT"}

# The archive's own pages, as web.archive.org words them.
NOT_ARCHIVED_PAGE = (
    b"<html><body><p>Hrm.</p><p>Wayback Machine doesn&apos;t have that page "
    b"archived.</p></body></html>"
)
EXCLUDED_PAGE = (
    b"<html><body><p>Sorry.</p><p>This URL has been excluded from the Wayback "
    b"Machine.</p></body></html>"
)
CRAWL_TIME_REDIRECT_PAGE = (
    b'<html><body><p class="code">Got an HTTP 302 response at crawl time</p>'
    b'<p class="code shift target">Redirecting to...</p>'
    b'<p class="impatient"><a href="/web/20130510031507/http://www.ise.gov/blog/a/b">'
    b"Impatient?</a></p></body></html>"
)


def test_raw_and_human_replay_urls():
    assert (
        raw_capture_url("https://web.archive.org/", "20100928120141", POST + "?")
        == f"https://web.archive.org/web/20100928120141id_/{POST}?"
    )
    assert (
        archive_url("http://127.0.0.1:8080", "20100928120141", POST)
        == f"http://127.0.0.1:8080/web/20100928120141/{POST}"
    )


@pytest.mark.parametrize(
    ("url", "parsed"),
    [
        (
            f"https://web.archive.org/web/20100928120141id_/{POST}",
            ("20100928120141", "id_", POST),
        ),
        (
            f"https://web.archive.org/web/20100928120141/{POST}",
            ("20100928120141", "", POST),
        ),
        (
            f"//web.archive.org/web/20100928120141im_/{POST}",
            ("20100928120141", "im_", POST),
        ),
        (f"/web/20100928120141/{POST}", ("20100928120141", "", POST)),
        ("/web/2010*/ise.gov/blog", ("2010", "*", "http://ise.gov/blog")),
        (
            "/web/20100928120141/http:/www.ise.gov/blog",
            ("20100928120141", "", "http://www.ise.gov/blog"),
        ),
        (
            "/web/20100928120141ID_/https://www.ise.gov/blog?page=1",
            ("20100928120141", "id_", "https://www.ise.gov/blog?page=1"),
        ),
        (
            f"http://archive.test/wayback/web/20100928120141/{POST}",
            ("20100928120141", "", POST),
        ),
    ],
    ids=[
        "absolute-id",
        "absolute",
        "scheme-relative",
        "path-relative",
        "calendar",
        "collapsed-scheme",
        "upper-modifier",
        "under-a-path",
    ],
)
def test_parse_archive_url(url, parsed):
    assert parse_archive_url(url) == parsed


@pytest.mark.parametrize(
    "url", [POST, "/blog/ise-bloggers", "https://web.archive.org/web/", "/web/x/y"]
)
def test_parse_archive_url_refuses_other_urls(url):
    assert parse_archive_url(url) is None


REQUEST = "https://web.archive.org/web/20130510031507id_/http://www.ise.gov/node/1643"
TARGET = "http://www.ise.gov/blog/ise-bloggers/after-boston"


@pytest.mark.parametrize(
    ("location", "target"),
    [
        (
            f"https://web.archive.org/web/20130504110251id_/{TARGET}",
            ("20130504110251", TARGET),
        ),
        (
            f"//web.archive.org/web/20130504110251id_/{TARGET}",
            ("20130504110251", TARGET),
        ),
        (f"/web/20130504110251id_/{TARGET}", ("20130504110251", TARGET)),
        (f"  /web/20130504110251/{TARGET}\r\n", ("20130504110251", TARGET)),
        # an archived redirect whose Location the archive did not rewrite
        (TARGET, ("20130510031507", TARGET)),
        ("/blog/ise-bloggers/after-boston", ("20130510031507", TARGET)),
        ("mailto:ise@dni.gov", None),
    ],
    ids=[
        "absolute",
        "scheme-relative",
        "path-relative",
        "padded",
        "unrewritten",
        "unrewritten-relative",
        "not-http",
    ],
)
def test_redirect_target_resolves_every_location_form(location, target):
    assert redirect_target(location, REQUEST) == target


def test_redirect_target_needs_an_archive_url_somewhere():
    assert redirect_target("/blog/x", "http://www.ise.gov/node/1") is None


@pytest.mark.parametrize(
    ("headers", "archived"),
    [
        (MEMENTO, True),
        ({"memento-datetime": "Tue, 28 Sep 2010 12:01:41 GMT"}, True),
        (Headers({"Memento-Datetime": "Tue, 28 Sep 2010 12:01:41 GMT"}), True),
        ({"Content-Type": "text/html"}, False),
        (Headers({"X-Archive-Redirect-Reason": "found capture at 20130504"}), False),
        ({}, False),
    ],
    ids=["dict", "lower-case", "scrapy", "none", "scrapy-none", "empty"],
)
def test_is_archived_response(headers, archived):
    assert is_archived_response(headers) is archived


@pytest.mark.parametrize(
    ("status", "headers", "body", "reason"),
    [
        (200, MEMENTO, b"<html>post</html>", None),
        (404, MEMENTO, b"<html>Page not found</html>", None),
        (301, MEMENTO, b"", None),
        (404, {}, NOT_ARCHIVED_PAGE, "archive-error:not-archived"),
        (200, {}, NOT_ARCHIVED_PAGE, "archive-error:not-archived"),
        (
            403,
            {},
            b"<html>Sorry. This site is blocked.</html>",
            "archive-error:blocked",
        ),
        (200, {}, EXCLUDED_PAGE, "archive-error:excluded"),
        (200, {}, CRAWL_TIME_REDIRECT_PAGE, "archive-error:crawl-time-redirect"),
        (200, MEMENTO, CRAWL_TIME_REDIRECT_PAGE, "archive-error:crawl-time-redirect"),
        (
            302,
            Headers({"X-Archive-Redirect-Reason": "found capture at 2013"}),
            b"",
            None,
        ),
        (200, {}, b"<html>an archive without memento headers</html>", None),
        (502, {}, b"<html>Bad Gateway</html>", "archive-error:http-502"),
    ],
    ids=[
        "archived-200",
        "archived-404",
        "archived-301",
        "not-archived",
        "not-archived-200",
        "blocked",
        "excluded",
        "crawl-time-redirect",
        "crawl-time-redirect-memento",
        "nearest-capture-redirect",
        "no-memento-headers",
        "gateway",
    ],
)
def test_archive_error_reason(status, headers, body, reason):
    assert archive_error_reason(status, headers, body) == reason


@pytest.mark.parametrize(
    ("ts", "when"),
    [
        ("20100928120141", datetime(2010, 9, 28, 12, 1, 41, tzinfo=UTC)),
        ("2010", datetime(2010, 1, 1, tzinfo=UTC)),
        ("201009", datetime(2010, 9, 1, tzinfo=UTC)),
        ("20101", datetime(2010, 10, 1, tzinfo=UTC)),
    ],
)
def test_capture_timestamp_to_datetime(ts, when):
    assert capture_timestamp_to_datetime(ts) == when


@pytest.mark.parametrize("ts", ["201", "2010092812014100", "2010x928", "20101340"])
def test_capture_timestamp_to_datetime_refuses_non_timestamps(ts):
    with pytest.raises(ValueError):
        capture_timestamp_to_datetime(ts)
