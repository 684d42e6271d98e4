"""Publication dates: machine-readable first, Eastern time, dates stay dates."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ise_archive.normalize import dates
from ise_archive.normalize.dates import SITE_TIMEZONE


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2011-10-04T12:38:00-04:00", "2011-10-04T12:38:00-04:00"),
        ("2013-11-20T09:50:00-05:00", "2013-11-20T09:50:00-05:00"),
        ("2011-10-04T16:38:00Z", "2011-10-04T12:38:00-04:00"),  # UTC -> Eastern
        ("2011-10-04T12:38:00", "2011-10-04T12:38:00-04:00"),  # naive = Eastern
        ("2015-02-18T15:40:00+00:00", "2015-02-18T10:40:00-05:00"),
        ("2011-10-04", "2011-10-04"),
    ],
)
def test_parse_iso_datetime(value: str, expected: str) -> None:
    assert dates.parse_iso_datetime(value).isoformat() == expected


@pytest.mark.parametrize("value", [None, "", "Tuesday", "2011-13-45T00:00:00"])
def test_parse_iso_datetime_rejects(value: str | None) -> None:
    assert dates.parse_iso_datetime(value) is None


def test_parse_drupal_created_is_month_first_eastern() -> None:
    assert dates.parse_drupal_created("Created 10/04/2011 - 12:38") == datetime(
        2011, 10, 4, 12, 38, tzinfo=SITE_TIMEZONE
    )
    assert dates.parse_drupal_created("Created 12/01/2013 - 09:05").isoformat() == (
        "2013-12-01T09:05:00-05:00"
    )
    assert dates.parse_drupal_created("Tue, 10/04/2011") == date(2011, 10, 4)
    assert dates.parse_drupal_created("13/45/2011 - 12:00") is None
    assert dates.parse_drupal_created("no date") is None


def test_parse_rfc822() -> None:
    parsed = dates.parse_rfc822("Tue, 04 Oct 2011 16:38:00 +0000")
    assert parsed.isoformat() == "2011-10-04T12:38:00-04:00"
    assert dates.parse_rfc822("yesterday") is None


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Tuesday, October 4, 2011", date(2011, 10, 4)),
        ("Tuesday, October 04, 2011", date(2011, 10, 4)),
        # a comment's 10/05/2011 is October 5 on this US site, never May 10
        ("10/05/2011", date(2011, 10, 5)),
        ("Thu, 05/17/2012 - 07:41", datetime(2012, 5, 17, 7, 41, tzinfo=SITE_TIMEZONE)),
        ("October 4, 2011 9:05 pm", datetime(2011, 10, 4, 21, 5, tzinfo=SITE_TIMEZONE)),
    ],
)
def test_parse_date_text(text: str, expected: date | datetime) -> None:
    assert dates.parse_date_text(text) == expected


@pytest.mark.parametrize("text", [None, "", "   ", "Posted by ISE Bloggers"])
def test_parse_date_text_without_a_date(text: str | None) -> None:
    assert dates.parse_date_text(text) is None


def test_in_site_timezone_keeps_the_instant() -> None:
    utc = datetime(2015, 6, 10, 15, 25, tzinfo=UTC)
    eastern = dates.in_site_timezone(utc)
    assert eastern == utc and eastern.isoformat() == "2015-06-10T11:25:00-04:00"
