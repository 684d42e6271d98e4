"""Tests for ise_archive.extract.teasers: what feeds and listings say of each post."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from ise_archive.extract import extract
from ise_archive.extract.nonpost import parse_feed
from ise_archive.extract.teasers import feed_teasers
from ise_archive.normalize.dates import SITE_TIMEZONE
from ise_archive.records import CaptureRef, Skip, Tag, Teaser

DEV = Path(__file__).resolve().parents[1] / "fixtures" / "dev"
ROWS = {
    row["cid"]: row
    for row in map(json.loads, (DEV / "index.jsonl").read_text("utf-8").splitlines())
}
TAGS = "http://www.ise.gov/category/free-tags/"


def read(cid: str) -> Skip:
    row = ROWS[cid]
    result = extract(
        (DEV / "captures" / f"{cid}.bin").read_bytes(),
        url=row["original"],
        timestamp=row["timestamp"],
    )
    assert isinstance(result, Skip)
    return result


def source(cid: str) -> CaptureRef:
    row = ROWS[cid]
    return CaptureRef(
        timestamp=row["timestamp"],
        archive_url=f"https://web.archive.org/web/{row['timestamp']}/{row['original']}",
        original=row["original"],
    )


def eastern(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SITE_TIMEZONE)


FEED_AND_LISTINGS = [
    cid for cid, row in ROWS.items() if row["kind"] in ("feed", "listing")
]


@pytest.mark.parametrize("cid", FEED_AND_LISTINGS)
def test_every_listed_post_has_a_titled_teaser(cid: str) -> None:
    skip = read(cid)
    assert [t.url for t in skip.teasers] == list(skip.discovered)
    for teaser in skip.teasers:
        assert teaser.title and teaser.published and teaser.author
        assert teaser.source == skip.capture
        assert "read more" not in teaser.body_html.lower()


def test_feed_item_becomes_a_teaser() -> None:
    skip = read("c0059")
    niem = next(t for t in skip.teasers if t.title == "NIEM 3.2 and Beyond")
    assert niem == Teaser(
        url="http://www.ise.gov/blog/joe-laporte/niem-32-and-beyond",
        title="NIEM 3.2 and Beyond",
        author="Joe LaPorte",
        published=eastern(2015, 10, 6, 11, 0),
        tags=(Tag(name="NIEM", url=TAGS + "niem"),),
        body_html="<div><p>The latest NIEM release brings new domains and smoother "
        "tooling.</p></div>",
        source=source("c0059"),
    )


def test_listing_teaser_of_the_2014_theme() -> None:
    skip = read("c0006")
    assert skip.teasers[0] == Teaser(
        url="http://www.ise.gov/blog/tamara-wells/geospatial-standards-and-ise",
        title="Geospatial Standards and the ISE",
        author="Tamara Wells",
        author_url="http://www.ise.gov/users/tamara-wells",
        published=eastern(2013, 9, 10, 10, 10),
        body_html='<div><div class="field-item even" property="content:encoded">'
        "<p>Maps are only as useful as the data behind them. Common geospatial "
        "standards make that data shareable.</p></div></div>",
        source=source("c0006"),
    )


def test_listing_teaser_of_the_2011_theme_has_its_tags() -> None:
    teaser = read("c0004").teasers[0]
    assert (
        teaser.title == "Social Media and Law Enforcement: Tweeting from the front line"
    )
    assert teaser.published == eastern(2011, 10, 4, 12, 38)
    assert [t.name for t in teaser.tags][:3] == [
        "DHS",
        "fusion centers",
        "information sharing",
    ]


ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://www.ise.gov/">
  <title>ISE Blog</title>
  <entry>
    <title>Atom &amp; the ISE</title>
    <link rel="alternate" href="https://www.ise.gov/blog/Tamara-Wells/atom-ise"/>
    <link rel="enclosure" href="https://www.ise.gov/files/a.pdf"/>
    <published>2016-03-01T09:30:00-05:00</published>
    <author><name>Tamara Wells</name></author>
    <category term="niem" label="NIEM" scheme="https://www.ise.gov/category/free-tags/niem"/>
    <summary type="html">&lt;p&gt;Short.&lt;/p&gt;&lt;p&gt;&lt;a
      href="/blog/tamara-wells/atom-ise"&gt;Read more&lt;/a&gt;&lt;/p&gt;</summary>
  </entry>
  <entry><title>Not a post</title><link href="https://www.ise.gov/about"/></entry>
</feed>
"""


def test_atom_entries_become_teasers_and_other_entries_do_not() -> None:
    root = parse_feed(ATOM)
    assert root is not None
    assert feed_teasers(root, None) == (
        Teaser(
            url="http://www.ise.gov/blog/tamara-wells/atom-ise",
            title="Atom & the ISE",
            author="Tamara Wells",
            published=eastern(2016, 3, 1, 9, 30),
            tags=(Tag(name="NIEM", url=TAGS + "niem"),),
            body_html="<div><p>Short.</p></div>",
        ),
    )
