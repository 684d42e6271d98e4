"""Tests of the replay rewriter: links, include, toolbar and trailer."""

from __future__ import annotations

import dataclasses

import pytest

from tests.wayback.archive import CaptureRow
from tests.wayback.rewrite import epoch_seconds, rewrite_replay_page

ORIGIN = "http://127.0.0.1:8765"
ROW = CaptureRow(
    cid="x",
    urlkey="gov,ise)/blog/a",
    timestamp="20111009213310",
    original="http://www.ise.gov/blog/a",
    mimetype="text/html",
    statuscode="200",
    digest="D",
    length="1",
)
PAGE = (
    b"<html><head><title>A</title>"
    b'<link rel="stylesheet" href="/misc/a.css">'
    b"<style>@import url('/modules/b.css');</style></head>"
    b'<body class="x"><a href="/blog">Blog</a> <a href="#top">Top</a>'
    b' <img src="http://www.ise.gov/logo.png"> <a href="mailto:a@b">Mail</a>'
    b" <a href='/web/2011/http://x/'>Kept</a> \xe9</body></html>"
)


def rewritten(neighbours: list[CaptureRow] | None) -> str:
    # retrieved at 2017-01-20 14:03:11 UTC
    page = rewrite_replay_page(PAGE, ROW, ORIGIN, neighbours, retrieved=1484920991)
    return page.decode("latin-1")


def test_links_keep_their_form_and_get_the_modifier_of_their_tag():
    page = rewritten(None)
    web = "/web/20111009213310"
    assert [
        f'href="{web}cs_/http://www.ise.gov/misc/a.css"' in page,
        f"@import url('{web}cs_/http://www.ise.gov/modules/b.css')" in page,
        f'<a href="{web}/http://www.ise.gov/blog">' in page,
        f'src="{ORIGIN}{web}im_/http://www.ise.gov/logo.png"' in page,
        '<a href="#top">' in page,
        '<a href="mailto:a@b">' in page,
        "<a href='/web/2011/http://x/'>" in page,
        page.count("\xe9") == 1,
    ] == [True] * 8


def test_include_follows_head_and_trailer_ends_the_page():
    page = rewritten(None)
    head_end = page.index("<head>") + len("<head>")
    assert page[head_end:].startswith('<script src="//archive.org/includes/athena.js"')
    assert "<!-- BEGIN WAYBACK TOOLBAR INSERT -->" not in page
    assert "FILE ARCHIVED ON 21:33:10 Oct 09, 2011 AND RETRIEVED FROM THE\n" in page
    assert "INTERNET ARCHIVE ON 14:03:11 Jan 20, 2017." in page
    assert page.endswith("load_resource: 12.004\n-->")


def test_toolbar_links_the_neighbouring_captures():
    before = dataclasses.replace(ROW, timestamp="20110101000000")
    page = rewritten([before, ROW])
    toolbar = page[page.index('<body class="x">') :]
    assert toolbar.startswith('<body class="x">\n<!-- BEGIN WAYBACK TOOLBAR INSERT')
    assert (
        f'<a href="{ORIGIN}/web/20110101000000/http://www.ise.gov/blog/a"'
        ' title="20110101000000">Previous capture</a>'
    ) in toolbar
    assert "Next capture" not in toolbar
    assert ">2 captures</a>" in toolbar


@pytest.mark.parametrize(
    ("ts", "epoch"),
    [("20111009213310", 1318195990), ("2011", 1293840000), ("201100", 1293840000)],
)
def test_epoch_seconds_pads_short_timestamps_to_their_start(ts, epoch):
    assert epoch_seconds(ts) == epoch
