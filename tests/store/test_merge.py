from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date, datetime, timedelta, timezone

import pytest

from ise_archive.records import (
    Capture,
    CaptureRecord,
    CaptureRef,
    Image,
    Post,
    RelatedPost,
    Tag,
    Version,
)
from ise_archive.store.merge import merge_post, preference_key

BASE = "https://web.archive.org"
URL = "http://www.ise.gov/blog/ise-bloggers/welcome-ise-blog"
PRINT_URL = "http://www.ise.gov/print/blog/ise-bloggers/welcome-ise-blog"
EDT = timezone(timedelta(hours=-4))
PUBLISHED = datetime(2010, 6, 14, 9, 30, tzinfo=EDT)
TAG = Tag(name="ISE", url="http://www.ise.gov/category/free-tags/ise")
RELATED = RelatedPost(title="About ISE", url="http://www.ise.gov/about")
IMAGE = Image(url="http://www.ise.gov/sites/logo.png", alt="logo")
AUTHOR_URL = "http://www.ise.gov/users/ise-bloggers"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def cap(timestamp: str, original: str = URL, *, digest: str = "", status: str = "200"):
    return Capture(
        timestamp=timestamp,
        original=original,
        mimetype="text/html",
        status=status,
        digest=digest or f"D{timestamp}",
    )


def post(body: str = "Welcome to the blog.", **changes) -> Post:
    base = Post(
        url=URL,
        title="Welcome to the ISE Blog",
        author="ISE Bloggers",
        author_url=AUTHOR_URL,
        published=PUBLISHED,
        tags=(TAG,),
        related=(RELATED,),
        images=(IMAGE,),
        body_markdown=body,
        markdown=f"# Welcome\n\n{body}\n",
        word_count=len(body.split()),
        content_sha256=sha(body),
        nid=12,
        template="d7_2011",
    )
    return dataclasses.replace(base, **changes)


def record(capture: Capture, outcome: str = "record", **changes) -> CaptureRecord:
    return CaptureRecord(
        timestamp=capture.timestamp,
        original=capture.original,
        archive_url=f"{BASE}/web/{capture.timestamp}/{capture.original}",
        digest=capture.digest,
        status=capture.status,
        mimetype=capture.mimetype,
        outcome=outcome,
        archive="web.archive.org",
        **changes,
    )


def test_two_versions_newest_complete_capture_wins_and_every_capture_is_listed():
    v1, v2 = "Welcome to the blog.", "Welcome to the new ISE blog, edited."
    c2010 = cap("20100615000000")
    c2011 = cap(
        "20111006123456", "http://ise.gov:80/blog/ISE-Bloggers/welcome-ise-blog"
    )
    c2012 = cap(
        "20120101000000", "https://www.ise.gov/blog/ise-bloggers/welcome-ise-blog"
    )
    revisit = cap("20130101000000", digest=c2012.digest, status="-")
    redirect = cap("20140101000000", "http://www.ise.gov/node/12", status="301")
    new = post(v2, title="Welcome to the ISE Blog (updated)", template="d7_2014")
    extracted = [(c2010, post(v1)), (c2011, post(v1)), (c2012, new)]
    others = [(revisit, "duplicate"), (redirect, "skip:redirect")]

    merged = merge_post(extracted, others, archive_base_url=BASE + "/")

    assert merged == dataclasses.replace(
        new,
        capture=CaptureRef(
            timestamp="20120101000000",
            archive_url=f"{BASE}/web/20120101000000/{c2012.original}",
            original=c2012.original,
        ),
        captures=(
            record(c2010, content_sha256=sha(v1)),
            record(c2011, content_sha256=sha(v1)),
            record(c2012, used=True, content_sha256=sha(v2)),
            record(revisit, "duplicate", content_sha256=sha(v2)),
            record(redirect, "skip:redirect"),
        ),
        versions=(
            Version(
                content_sha256=sha(v1),
                word_count=4,
                title="Welcome to the ISE Blog",
                first_seen="20100615000000",
                last_seen="20111006123456",
                captures=2,
            ),
            Version(
                content_sha256=sha(v2),
                word_count=7,
                title="Welcome to the ISE Blog (updated)",
                first_seen="20120101000000",
                last_seen="20130101000000",
                captures=2,
            ),
        ),
    )


def test_print_page_loses_to_an_older_full_page():
    full, printed = cap("20110101000000"), cap("20150101000000", PRINT_URL)
    merged = merge_post(
        [(printed, post(template="print")), (full, post())],
        [],
        archive_base_url=BASE,
    )
    assert merged.capture == CaptureRef(
        timestamp=full.timestamp,
        archive_url=f"{BASE}/web/{full.timestamp}/{URL}",
        original=URL,
    )
    assert [r.used for r in merged.captures] == [True, False]


def test_degraded_full_page_loses_to_a_complete_print_page():
    full, printed = cap("20160101000000"), cap("20110101000000", PRINT_URL)
    degraded = post(body="", word_count=0, content_sha256="", template="d7_2014")
    complete = post("Printed text.", template="print", tags=(), related=())
    merged = merge_post(
        [(full, degraded), (printed, complete)], [], archive_base_url=BASE
    )
    assert (merged.capture.original, merged.template, merged.body_markdown) == (
        PRINT_URL,
        "print",
        "Printed text.",
    )
    # the print template has no tags or related list: the full page gives them
    assert (merged.tags, merged.related) == ((TAG,), (RELATED,))
    # a capture without content has no version
    assert [v.content_sha256 for v in merged.versions] == [sha("Printed text.")]


def test_missing_fields_are_filled_from_the_next_best_capture_only():
    old, new = cap("20110101000000"), cap("20140101000000")
    lacking = post(
        "Same text.",
        author_url="",
        related=(),
        images=(),
        nid=None,
        template="d7_2014",
    )
    older = post("Same text.", links=())
    merged = merge_post([(old, older), (new, lacking)], [], archive_base_url=BASE)
    assert (merged.related, merged.images, merged.author_url, merged.nid) == (
        (RELATED,),
        (IMAGE,),
        AUTHOR_URL,
        12,
    )
    assert (merged.template, merged.capture.timestamp) == ("d7_2014", new.timestamp)


def test_author_url_is_not_taken_from_a_capture_naming_another_author():
    old, new = cap("20110101000000"), cap("20140101000000")
    merged = merge_post(
        [(old, post(author="Someone Else")), (new, post(author_url=""))],
        [],
        archive_base_url=BASE,
    )
    assert (merged.author, merged.author_url) == ("ISE Bloggers", "")


def test_author_and_author_url_are_filled_as_a_pair():
    old, new = cap("20110101000000"), cap("20140101000000")
    merged = merge_post(
        [(old, post()), (new, post(author="", author_url=""))],
        [],
        archive_base_url=BASE,
    )
    assert (merged.author, merged.author_url) == ("ISE Bloggers", AUTHOR_URL)


def test_tie_on_timestamp_goes_to_the_smaller_original_url():
    a = cap("20120101000000", "http://ise.gov/blog/ise-bloggers/welcome-ise-blog")
    b = cap("20120101000000", "http://www.ise.gov/blog/ise-bloggers/welcome-ise-blog")
    for order in ([(a, post()), (b, post())], [(b, post()), (a, post())]):
        assert merge_post(order, [], archive_base_url=BASE).capture.original == (
            a.original
        )


def test_output_is_deterministic_whatever_the_input_order():
    captures = [cap(f"201{i}0101000000") for i in range(6)]
    extracted = [
        (c, post(f"text {i % 2}", published=date(2010, 6, 14) if i else PUBLISHED))
        for i, c in enumerate(captures[:4])
    ]
    others = [(captures[4], "failed:http-503"), (captures[5], "duplicate")]
    first = merge_post(extracted, others, archive_base_url=BASE)
    again = merge_post(extracted[::-1], others[::-1], archive_base_url=BASE)
    assert json.dumps(first.to_json()) == json.dumps(again.to_json())


def test_capture_listed_twice_counts_once_as_extracted():
    c = cap("20120101000000")
    merged = merge_post([(c, post())], [(c, "duplicate")], archive_base_url=BASE)
    assert merged.captures == (
        record(c, used=True, content_sha256=sha(post().body_markdown)),
    )


def test_preference_key_orders_complete_full_newest():
    full_new = preference_key(cap("20150101000000"), post())
    full_old = preference_key(cap("20110101000000"), post())
    print_new = preference_key(cap("20160101000000", PRINT_URL), post())
    broken = preference_key(cap("20170101000000"), post(published=None))
    assert sorted([broken, print_new, full_old, full_new]) == [
        full_new,
        full_old,
        print_new,
        broken,
    ]


def test_merge_needs_a_parsed_capture():
    with pytest.raises(ValueError, match="at least one"):
        merge_post([], [(cap("20110101000000"), "duplicate")], archive_base_url=BASE)


def test_a_capture_of_another_archive_is_listed_under_it() -> None:
    eot = "pywb:https://webarchive.library.unt.edu/eot2016"
    c = dataclasses.replace(cap("20161101000000"), archive=eot)
    merged = merge_post([(c, post())], [], archive_base_url=BASE)
    url = f"https://webarchive.library.unt.edu/eot2016/20161101000000/{c.original}"
    assert (merged.captures[0].archive, merged.captures[0].archive_url) == (
        "eot2016",
        url,
    )
    assert merged.capture is not None and merged.capture.archive_url == url
