"""Undoing the Wayback Machine's replay additions."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from ise_archive.extract import replay

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "dev"
SEED = "http://www.ise.gov/blog/ise-bloggers/social-media-and-law-enforcement-tweeting-front-line"


def _replayed(cid: str) -> str:
    return (FIXTURES / "replay" / f"{cid}.html").read_text(encoding="utf-8")


def test_replay_info_reads_wombat_call() -> None:
    assert replay.replay_info(_replayed("c0015")) == replay.ReplayInfo(
        url=SEED, timestamp="20111006123456"
    )


def test_raw_capture_is_not_a_replay() -> None:
    raw = (FIXTURES / "captures" / "c0015.bin").read_text(encoding="utf-8")
    assert replay.replay_info(raw) is None


def test_strip_replay_removes_toolbar_head_include_and_scripts() -> None:
    doc = lxml.html.document_fromstring(_replayed("c0015"))
    replay.strip_replay(doc)
    html = lxml.html.tostring(doc, encoding="unicode")
    for archive_text in (
        "wm-ipp",
        "wombat.js",
        "__wm.",
        "/_static/",
        "athena.js",
        "WAYBACK TOOLBAR",
        "Wayback Rewrite",
        "donato",
    ):
        assert archive_text not in html
    # the page's own head and body survive
    assert doc.xpath("//link[@rel='canonical']")
    assert doc.xpath("//meta[@http-equiv='Content-Type']")
    assert doc.xpath("//h1[@id='page-title']/text()") == [
        "Social Media and Law Enforcement: Tweeting from the front line"
    ]
    assert doc.xpath("//body/div[@id='skip-link']")


def test_restore_links_unwraps_every_url() -> None:
    doc = lxml.html.document_fromstring(_replayed("c0015"))
    replay.strip_replay(doc)
    replay.restore_links(doc, SEED)
    values = doc.xpath("//@href | //@src | //@action")
    assert values
    assert not [v for v in values if "/web/" in v or "archive.org" in v]
    assert not [v for v in values if not v.startswith(("http", "#", "mailto:"))]
    assert doc.xpath("//link[@rel='shortlink']/@href") == [
        "http://www.ise.gov/node/1426"
    ]


@pytest.mark.parametrize(
    "value,expected",
    [
        (
            "/web/20111006123456/http://www.ise.gov/contact",
            "http://www.ise.gov/contact",
        ),
        (
            "https://web.archive.org/web/2011im_/http://www.ise.gov/a.png",
            "http://www.ise.gov/a.png",
        ),
        ("/web/20111006123456/http://www.dni.gov/", "http://www.dni.gov/"),
        ("/contact", "http://www.ise.gov/contact"),
        ("other-post", "http://www.ise.gov/blog/ise-bloggers/other-post"),
        ("?page=1", SEED + "?page=1"),
        ("https://ise.gov:80/contact", "http://www.ise.gov/contact"),
        ("https://www.ise.gov/contact", "http://www.ise.gov/contact"),
        ("mailto:info@ise.gov", "mailto:info@ise.gov"),
        ("#comments", "#comments"),
        ("/blog/../about", "http://www.ise.gov/about"),
        ("http://example.org/a b", "http://example.org/a%20b"),
        ("https://twitter.com/#%21/x", "https://twitter.com/#%21/x"),
    ],
)
def test_restore_url(value: str, expected: str) -> None:
    assert replay.restore_url(value, SEED, "http://www.ise.gov") == expected
    assert replay.restore_url(value, SEED) == expected


@pytest.mark.parametrize(
    "base,expected",
    [
        (None, "http://www.ise.gov/blog/a/b"),
        ("http://www.ise.gov/", "http://www.ise.gov/"),
        (
            "https://web.archive.org/web/20130807143300/http://www.ise.gov/",
            "http://www.ise.gov/",
        ),
        ("/web/20130807143300/https://ise.gov:443/blog/", "http://www.ise.gov/blog/"),
        ("https://web.archive.org/web/20130807143300/", "http://www.ise.gov/blog/a/b"),
    ],
)
def test_link_base_is_the_unwrapped_base_href(base: str | None, expected: str) -> None:
    head = f'<base href="{base}">' if base else ""
    doc = lxml.html.document_fromstring(
        f"<html><head>{head}</head><body><a href='x'>x</a></body></html>"
    )
    assert replay.link_base(doc, "http://www.ise.gov/blog/a/b") == expected


def test_feed_end_is_found_before_the_archive_trailer() -> None:
    text = "<rss><channel/></rss>\n<!-- FILE ARCHIVED ON x -->\n<!--\nplayback -->"
    assert replay.without_trailing_comments(text).endswith("</rss>")
