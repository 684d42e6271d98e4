"""Publication dates of ise.gov posts, read the way the site meant them.

The site ran on US Eastern time, and a post's ``published`` value is the node's
creation time in America/New_York with its UTC offset (``2011-10-04T12:38:00-04:00``)
when the page states a time, and a plain date when it states only a day.

Machine-readable values come first: the RDFa ``content`` attribute Drupal prints
(``2011-10-04T12:38:00-04:00``), the print module's ``Created 10/04/2011 - 12:38``
(month first, Eastern wall-clock time) and RSS ``pubDate`` (RFC 822). Free text goes
to :mod:`dateparser` only as a last resort, with explicit settings, ``languages=["en"]``
and month-first order, imported lazily because its first call is slow.

This module does not look at HTML: callers pick the value out of the page.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, time
from email.utils import parsedate_to_datetime
from typing import Any
from zoneinfo import ZoneInfo

logger = logging.getLogger(__name__)

#: The site's time zone: every wall-clock time on ise.gov is Eastern.
SITE_TIMEZONE = ZoneInfo("America/New_York")

# 2011-10-04T12:38:00-04:00   2011-10-04 12:38   2011-10-04
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# 10/04/2011 - 12:38   (print module "Created"; comments "Thu, 05/17/2012 - 07:41")
# 06/14/2010 - 9:00am  (a Drupal 6 site configured with the 12-hour clock)
_DRUPAL_CREATED = re.compile(
    r"(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})"
    r"(?:\s*-\s*(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<ampm>[ap])?\.?m?\b)?",
    re.IGNORECASE,
)
# 12:38, 9:05 pm  (does free text state a time at all?)
_CLOCK_TIME = re.compile(r"\b\d{1,2}:\d{2}\b|\b\d{1,2}\s*[ap]\.?m\b", re.IGNORECASE)

_DATEPARSER_SETTINGS: dict[str, Any] = {
    "DATE_ORDER": "MDY",
    "PREFER_DAY_OF_MONTH": "first",
    "REQUIRE_PARTS": ["day", "month", "year"],
    "RETURN_AS_TIMEZONE_AWARE": False,
    "STRICT_PARSING": False,
}


def in_site_timezone(value: datetime) -> datetime:
    """A datetime as Eastern wall-clock time; a naive one is taken to be Eastern.

    >>> utc = datetime(2011, 10, 4, 16, 38, tzinfo=ZoneInfo("UTC"))
    >>> in_site_timezone(utc).isoformat()
    '2011-10-04T12:38:00-04:00'
    """
    if value.tzinfo is None:
        return value.replace(tzinfo=SITE_TIMEZONE)
    return value.astimezone(SITE_TIMEZONE)


def parse_iso_datetime(value: str | None) -> datetime | date | None:
    """An ISO 8601 value from an RDFa ``content`` attribute or ``<time datetime>``.

    >>> parse_iso_datetime("2011-10-04T12:38:00-04:00").isoformat()
    '2011-10-04T12:38:00-04:00'
    >>> parse_iso_datetime("2011-10-04")
    datetime.date(2011, 10, 4)
    """
    if not value:
        return None
    value = value.strip()
    if _ISO_DATE.match(value):
        return date.fromisoformat(value)
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        logger.debug("Not an ISO 8601 date: %(value)r", {"value": value})
        return None
    return in_site_timezone(parsed)


def parse_drupal_created(text: str | None) -> datetime | date | None:
    """Drupal's short format, month first: ``10/04/2011 - 12:38`` in Eastern time.

    >>> parse_drupal_created("Created 10/04/2011 - 12:38").isoformat()
    '2011-10-04T12:38:00-04:00'
    >>> parse_drupal_created("Tue, 10/04/2011")
    datetime.date(2011, 10, 4)
    >>> parse_drupal_created("Created 06/14/2010 - 1:05pm").isoformat()
    '2010-06-14T13:05:00-04:00'
    """
    match = _DRUPAL_CREATED.search(text or "")
    if not match:
        return None
    try:
        day = date(int(match["year"]), int(match["month"]), int(match["day"]))
        if match["hour"] is None:
            return day
        hour = int(match["hour"])
        if match["ampm"]:  # 12:05am is 00:05, 12:05pm is 12:05
            hour = hour % 12 + (12 if match["ampm"].lower() == "p" else 0)
        clock = time(hour, int(match["minute"]))
    except ValueError:
        return None
    return datetime.combine(day, clock, tzinfo=SITE_TIMEZONE)


def parse_rfc822(text: str | None) -> datetime | None:
    """An RSS ``pubDate`` (``Tue, 04 Oct 2011 12:38:00 -0400``) in Eastern time."""
    if not text:
        return None
    try:
        parsed = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return in_site_timezone(parsed)


def parse_date_text(text: str | None) -> datetime | date | None:
    """Last resort: a human-written date (``Tuesday, October 4, 2011``).

    Returns a datetime only when the text states a time of day, else a date.
    Numeric dates are read month first, as the site printed them.
    """
    if not text or not text.strip():
        return None
    created = parse_drupal_created(text)
    if created is not None:
        return created
    import dateparser  # lazily: importing and first use cost ~0.5 s

    parsed = dateparser.parse(
        text.strip(), languages=["en"], settings=dict(_DATEPARSER_SETTINGS)
    )
    if parsed is None:
        return None
    if _CLOCK_TIME.search(text):
        return in_site_timezone(parsed)
    return parsed.date()
