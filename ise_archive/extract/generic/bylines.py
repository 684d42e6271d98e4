"""Bylines of an unknown page, and dates written for people.

A byline ("Posted by ISE Bloggers on Tuesday, October 04, 2011", "Submitted by Joe
on Mon, 06/14/2010 - 09:00", "By Kshemendra Paul | June 10, 2015") is the generic
extractor's last evidence for the author and the date. :func:`find_bylines` finds
them in the post's own container, never in comments or chrome, and
:func:`parse_text_date` reads their dates the American way (``10/05/2011`` is
October 5), with dateparser only as the last resort. Who the author is, from a
byline or better evidence, is :mod:`ise_archive.extract.generic.evidence`.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from lxml.html import HtmlElement

from ise_archive.extract.generic.regions import (
    in_chrome,
    in_comment,
    norm,
    tokens,
    word_set,
)

logger = logging.getLogger(__name__)

#: The site ran on US Eastern time; a stated time without an offset is Eastern.
SITE_TZ = ZoneInfo("America/New_York")
# Class/id words of byline containers: ".submitted", ".post-info", ".dateline".
BYLINE_TOKENS = word_set(
    "submitted byline author meta posted info postinfo dateline date time created"
)
# (Panels' ".pane-node-created" holds the bare date "Wed, 11/20/2013 - 09:50".)
# "Posted by ISE Bloggers on Tuesday, October 04, 2011", "Submitted by Joe on Mon,
# 06/14/2010 - 09:00", "By Kshemendra Paul | June 10, 2015"
# "By Kshemendra Paul — June 10, 2015 11:25 AM" (the text-only theme)
BYLINE = re.compile(
    r"\b(?:posted|submitted|written|published)?\s*by:?\s+(?P<author>[^|\n]{2,80}?)"
    r"(?:\s+(?:on|at)\s+(?P<date>.+)"
    r"|(?:\s*[|\u2022·]\s*|\s+[-\u2013\u2014]\s+)(?P<date2>.+))?$",
    re.IGNORECASE,
)
# "06/14/2010 - 09:00", "10/04/2011", "6/14/2010 9:00 am", "06/10/2015 – 11:25 am",
# "10.04.2011 at 12:38 pm" (the 2017 archived export: dots, still month first)
_NUMERIC_DATE = re.compile(
    r"\b(?P<m>\d{1,2})(?P<sep>[/.])(?P<d>\d{1,2})(?P=sep)(?P<y>\d{4})"
    r"(?:\s*(?:[-\u2013\u2014]|at|,)?\s*(?P<H>\d{1,2}):(?P<M>\d{2})"
    r"\s*(?P<ampm>[ap]\.?m\.?)?)?",
    re.IGNORECASE,
)
# "October 04, 2011", "Oct. 4, 2011 at 9:00 AM", "May 16, 2012 – 11:45 am"
_WORD_DATE = re.compile(
    r"\b(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+"
    r"(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})"
    r"(?:\s*(?:[-\u2013\u2014]|at|,)?\s*(?P<H>\d{1,2}):(?P<M>\d{2})"
    r"\s*(?P<ampm>[ap]\.?m\.?)?)?",
    re.IGNORECASE,
)
# "02 May 2013 16:10", "2 May, 2013" (day first: the dni.gov Joomla chrome)
_DAY_FIRST_DATE = re.compile(
    r"\b(?P<d>\d{1,2})\s+(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
    r"[a-z]*\.?,?\s+(?P<y>\d{4})"
    r"(?:\s*(?:[-\u2013\u2014]|at|,)?\s*(?P<H>\d{1,2}):(?P<M>\d{2})"
    r"\s*(?P<ampm>[ap]\.?m\.?)?)?",
    re.IGNORECASE,
)
# A label alone in its element, naming the byline its parent holds: Views'
# "<span class="views-label">Author: </span>", a table's "<th>Posted:</th>"
BARE_LABEL = re.compile(
    r"^(?:author|written\s+by|posted(?:\s+by)?|published|created|date|by)\s*:?$",
    re.IGNORECASE,
)
# "Posted by ISE Bloggers on ...", "Submitted by admin on ..." (not a guest "By X")
POSTED_BY = re.compile(r"^(?:posted|submitted)\s+by\s", re.IGNORECASE)
# "By Kshemendra Paul", "Written by Joe LaPorte", "Posted on June 10, 2015 by Kshemendra
# Paul" (USWDS, WordPress), "Posted on February 18th, 2015" (a date line, no name)
_BY_LINE = re.compile(
    r"^(?:(?:posted|submitted|written|published)\b[^|\n]{0,60}?\s)?by\s"
    r"|^(?:posted|published|submitted)(?:\s+on\s|:\s*)\S"
    r"|^author:\s*\S",  # "Author: Marcus Delgado" (Views fields, metadata tables)
    re.IGNORECASE,
)
# Text nodes that may start a byline: "by" anywhere, "posted"/"published" lines
# (plain contains() tests: far cheaper than translate() on every text node).
_BYLINE_TEXT = (
    ".//text()[contains(., 'by') or contains(., 'By') or contains(., 'BY')"
    " or contains(., 'osted') or contains(., 'OSTED')"
    " or contains(., 'ublished') or contains(., 'UBLISHED')"
    " or contains(., 'uthor') or contains(., 'UTHOR')]"
)
# "Kshemendra Paul Wednesday, June 10, 2015": where a run-on byline's name ends
AUTHOR_END = re.compile(
    r"\s+(?:on\s+)?(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,|\d)", re.IGNORECASE
)
_MONTHS = (
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
)
DATEPARSER_SETTINGS = {
    "DATE_ORDER": "MDY",
    "PREFER_DAY_OF_MONTH": "first",
    "PREFER_DATES_FROM": "past",
    "REQUIRE_PARTS": ["day", "month", "year"],
    "RETURN_AS_TIMEZONE_AWARE": False,
}


def find_bylines(article: HtmlElement, body: HtmlElement) -> list[HtmlElement]:
    """Byline-like elements of the post, shortest first (a "By X" span before the
    "By X Wednesday, June 10" block around it): elements classed as bylines outside
    the body, then short lines reading "Posted by X ...", never inside comments.
    A "By X, outlet" line inside the body is a guest author's signature, not the
    account that posted it, so only "Posted/Submitted by" counts there."""
    found = []
    for el in article.iter():
        if (
            isinstance(el.tag, str)
            and el.tag not in ("html", "body")
            and tokens(el) & BYLINE_TOKENS
            and not (el is body or body in el.iterancestors())
        ):
            found.append(el)
    # "<p><i>Posted by <a href=...>ISE Bloggers</a> on Tuesday, ...</i></p>"
    for text in article.xpath(_BYLINE_TEXT):
        el = text.getparent()
        if text.is_tail or el.tag in ("a", "b", "strong"):
            el = el.getparent()
        if el is not None and BARE_LABEL.match(norm(el.text_content())):
            el = el.getparent()  # "<div><span>Posted: </span>February 18, ...</div>"
        if el is None or len(el) > 10:
            continue
        line = _BY_LINE if body not in (el, *el.iterancestors()) else POSTED_BY
        if line.match(norm(el.text_content())):
            found.append(el)
    found = [
        el
        for el in found
        if len(norm(el.text_content())) <= 200
        and not (in_comment(el) or in_chrome(el, stop=article))
    ]
    return sorted(found, key=lambda el: len(el.text_content()))


def parse_text_date(text: str) -> datetime | date | None:
    """A date written for people, read the American way (10/05/2011 is October 5)."""
    match = _NUMERIC_DATE.search(text)
    month = int(match.group("m")) if match else 0
    if not match:
        match = _WORD_DATE.search(text) or _DAY_FIRST_DATE.search(text)
        month = _MONTHS.index(match.group("mon").lower()) + 1 if match else 0
    if match:
        try:
            day = date(int(match.group("y")), month, int(match.group("d")))
        except ValueError:
            return None
        if match.group("H") is None:
            return day
        hour = int(match.group("H")) % 12 if match.group("ampm") else int(match["H"])
        if (match.group("ampm") or "").lower().startswith("p"):
            hour += 12
        if hour > 23 or int(match.group("M")) > 59:
            return day
        return datetime(
            day.year, day.month, day.day, hour, int(match["M"]), tzinfo=SITE_TZ
        )
    return _dateparser_date(text)


def _dateparser_date(text: str) -> datetime | date | None:
    """dateparser as the last resort: slow to import, so only when needed."""
    match = BYLINE.search(text)
    text = (match.group("date") or match.group("date2") or "") if match else text
    if not text or len(text) > 80 or not any(ch.isdigit() for ch in text):
        return None
    import dateparser  # lazy: it costs about half a second to import

    parsed = dateparser.parse(text, languages=["en"], settings=DATEPARSER_SETTINGS)
    return parsed.date() if parsed else None
