"""Tests for ise_archive.store.partial and the state's partial records."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest

from ise_archive.dataset.validation import record_validator, validate_record
from ise_archive.normalize.dates import SITE_TIMEZONE
from ise_archive.records import Capture, CaptureRef, Tag, Teaser
from ise_archive.store.partial import PARTIAL_NOTE, partial_post
from ise_archive.store.state import State
from tests.store.test_state import BASE, cap, identity, key, post

URL = "http://www.ise.gov/blog/joe-laporte/niem-32-and-beyond"
FEED = "http://www.ise.gov/iseblog/feed"
LISTING = "http://www.ise.gov/blog"
NIEM = Tag(name="NIEM", url="http://www.ise.gov/category/free-tags/niem")
XML = Tag(name="XML", url="http://www.ise.gov/category/free-tags/xml")


def ref(timestamp: str, original: str) -> CaptureRef:
    return CaptureRef(
        timestamp=timestamp,
        archive_url=f"{BASE}/web/{timestamp}/{original}",
        original=original,
    )


FROM_FEED = Teaser(
    url=URL,
    title="NIEM 3.2 and Beyond",
    author="Joe LaPorte",
    published=datetime(2015, 10, 6, 11, 0, tzinfo=SITE_TIMEZONE),
    tags=(NIEM,),
    body_html="<p>The latest NIEM release.</p>",
    source=ref("20160201120000", FEED),
)
FROM_LISTING = Teaser(
    url=URL,
    title="NIEM 3.2 and beyond (old title)",
    author="Joe LaPorte",
    author_url="http://www.ise.gov/users/joe-laporte",
    published=date(2015, 10, 6),
    tags=(NIEM, XML),
    body_html="<p>The latest NIEM release brings new domains and tooling.</p>",
    source=ref("20151101000000", LISTING),
)


def test_partial_record_combines_its_teasers_newest_first() -> None:
    record = partial_post([FROM_LISTING, FROM_FEED])
    assert record is not None
    assert (record.title, record.author, record.author_url, record.published) == (
        "NIEM 3.2 and Beyond",  # the newest source's
        "Joe LaPorte",
        "http://www.ise.gov/users/joe-laporte",  # only the listing states it
        FROM_FEED.published,
    )
    assert record.tags == (NIEM, XML)  # the fuller list
    assert record.body_markdown == (
        "The latest NIEM release brings new domains and tooling.\n"
    )  # the longer teaser
    assert record.capture == FROM_LISTING.source  # where that text came from
    assert record.sources == (
        f"{BASE}/web/20151101000000/{LISTING}",
        f"{BASE}/web/20160201120000/{FEED}",
    )
    assert (record.completeness, record.captures, record.template) == (
        "partial",
        (),
        "teaser",
    )


def test_partial_record_is_valid_and_its_document_says_partial() -> None:
    record = partial_post([FROM_FEED])
    assert record is not None
    validate_record(record.to_json(), record_validator())
    lines = record.markdown.split("\n\n")
    assert lines[:2] == ["# NIEM 3.2 and Beyond", PARTIAL_NOTE]


def test_partial_records_links_have_an_archived_way_in() -> None:
    """The post is gone, not what it linked to: each link gets its archive URL at
    the time of the feed capture the teaser came from, in that capture's archive."""
    linked = dataclasses.replace(
        FROM_FEED,
        body_html='<p>See <a href="https://www.niem.gov/">NIEM.gov</a>.</p>',
        source=CaptureRef(
            timestamp="20160201120000",
            archive_url=f"https://eot.example/eot2016/20160201120000/{FEED}",
            original=FEED,
        ),
    )
    record = partial_post([linked], archive_base_url=BASE)
    assert record is not None
    eot = "https://eot.example/eot2016/20160201120000/"
    assert [(link.url, link.archived_url) for link in record.links] == [
        ("https://www.niem.gov/", f"{eot}https://www.niem.gov/"),
        (NIEM.url, f"{eot}{NIEM.url}"),  # the tag's page
    ]
    assert "https://eot.example/eot2016/20160201120000/https://www.niem.gov/" in (
        record.markdown
    )


def test_no_partial_record_without_a_title() -> None:
    assert partial_post([dataclasses.replace(FROM_FEED, title="")]) is None
    assert partial_post([]) is None


@pytest.fixture
def state(tmp_path: Path):
    opened = State.open(tmp_path / "state.sqlite3")
    opened.begin_run("run-1", parameters={})
    yield opened
    opened.close()


def test_state_keeps_teasers_and_a_full_record_replaces_the_partial(
    state: State,
) -> None:
    other = dataclasses.replace(
        FROM_FEED, url="http://www.ise.gov/blog/a/early", published=date(2009, 1, 1)
    )
    assert state.add_teasers([FROM_FEED, FROM_LISTING, other]) == 3
    assert state.add_teasers([FROM_FEED]) == 1  # the same source again: replaced
    partial = [p.url for p in state.dataset_posts(archive_base_url=BASE)]
    assert partial == [other.url, URL]

    full = cap("20151007000000", URL)
    state.add_captures([full], identity)
    state.save_post(key(full), post(URL, date(2015, 10, 6)))
    records = list(state.dataset_posts(archive_base_url=BASE))
    assert [(r.url, r.completeness) for r in records] == [
        (other.url, "partial"),
        (URL, "full"),
    ]


def test_full_and_partial_records_come_out_in_published_order(state: State) -> None:
    early = "http://www.ise.gov/blog/a/early-full"
    late = "http://www.ise.gov/blog/a/late-full"
    for url, day in ((early, date(2010, 1, 1)), (late, date(2020, 1, 1))):
        capture = Capture(timestamp="20200101000000", original=url)
        state.add_captures([capture], identity)
        state.save_post(key(capture), post(url, day))
    state.add_teasers([FROM_FEED])
    assert [r.url for r in state.dataset_posts(archive_base_url=BASE)] == [
        early,
        URL,
        late,
    ]


def test_a_state_file_without_the_teasers_table_gains_it(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    State.open(path).close()
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE teasers")
    reopened = State.open(path)
    reopened.begin_run("run-2", parameters={})
    assert reopened.add_teasers([FROM_FEED]) == 1
    assert [p.url for p in reopened.partial_posts()] == [URL]
    reopened.close()
