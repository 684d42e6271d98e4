"""Recognizing pages that are not posts, and reading their links."""

from __future__ import annotations

import lxml.html
import pytest

from ise_archive.extract import nonpost
from tests.extract.prepared import prepared_doc

BLOG = "http://www.ise.gov/blog/"


@pytest.mark.parametrize(
    "cid,base,expected",
    [
        ("c0001", "http://www.ise.gov/", ("other", "not-a-post:front-page")),
        ("c0002", "http://www.ise.gov/", ("other", "not-a-post:front-page")),
        ("c0004", "http://www.ise.gov/blog", ("listing", "not-a-post:listing")),
        ("c0032", BLOG + "kshemendra-paul", ("listing", "not-a-post:listing")),
        ("c0011", BLOG + "x/y", ("not_found", "not-a-post:soft-404")),
        ("c0027", BLOG + "x/y", ("not_found", "not-a-post:soft-404")),
        ("c0054", "http://www.ise.gov/", ("tag", "not-a-post:tag-page")),
        ("c0068", "http://www.ise.gov/", ("user", "not-a-post:user-page")),
        ("c0017", "http://ise.gov/", ("other", "not-a-post:redirect")),
    ],
)
def test_classify_page(cid: str, base: str, expected: tuple[str, str]) -> None:
    page_class = nonpost.classify_page(prepared_doc(cid, base))
    assert page_class == nonpost.PageClass(*expected)


@pytest.mark.parametrize("cid", ["c0015", "c0020", "c0063"])
def test_posts_are_not_classified_away(cid: str) -> None:
    assert nonpost.classify_page(prepared_doc(cid, BLOG + "a/b")) is None


def test_listing_post_urls_come_from_main_content_in_order() -> None:
    doc = prepared_doc("c0004", "http://www.ise.gov/blog")
    urls = nonpost.listing_post_urls(doc)
    assert urls[:3] == [
        BLOG + "ise-bloggers/social-media-and-law-enforcement-tweeting-front-line",
        BLOG + "ise-bloggers/world-state-and-local-justice-information-systems-"
        "lessons-najis-conference-0",
        BLOG + "fbi-denver-sac-james-yacone/information-sharing-success-fbi-and-"
        "state-fusion-center-partner-app",
    ]
    assert len(urls) == len(set(urls)) == 10
    assert nonpost.next_page_url(doc) == "http://www.ise.gov/blog?page=1"


def test_sidebar_posts_are_not_discovered() -> None:
    doc = prepared_doc("c0004", "http://www.ise.gov/blog")
    sidebar_list = doc.xpath("//div[@id='block-views-iseblog-recent-block']//ul")[0]
    sidebar_list.append(
        lxml.html.fragment_fromstring(
            '<li><a href="http://www.ise.gov/blog/a/sidebar-only">x</a></li>'
        )
    )
    assert doc.xpath("//a[@href='http://www.ise.gov/blog/a/sidebar-only']")
    assert BLOG + "a/sidebar-only" not in nonpost.listing_post_urls(doc)


def test_last_listing_page_has_no_next_page() -> None:
    doc = prepared_doc("c0052", "http://www.ise.gov/blog?page=2")
    assert nonpost.next_page_url(doc) is None
    assert len(nonpost.listing_post_urls(doc)) == 3


def test_redirect_target() -> None:
    doc = prepared_doc("c0017", "http://ise.gov/")
    assert nonpost.redirect_target(doc) == (
        BLOG + "ise-bloggers/social-media-and-law-enforcement-tweeting-front-line"
    )


WAYBACK_NOT_ARCHIVED = """<!DOCTYPE html><html><head>
<title>Wayback Machine</title></head><body><div id="positionHome">
<section><div id="error"><h2 class="blue">Hrm.</h2>
<p class="code">The Wayback Machine has not archived that URL.</p>
<p>This page is not available on the web because page does not exist</p>
</div></section></div></body></html>"""
WAYBACK_EXCLUDED = WAYBACK_NOT_ARCHIVED.replace(
    "has not archived that URL",
    "Sorry. This URL has been excluded from the Wayback Machine",
)


@pytest.mark.parametrize(
    "html,reason",
    [
        (WAYBACK_NOT_ARCHIVED, "archive-error:not-archived"),
        (WAYBACK_EXCLUDED, "archive-error:excluded"),
    ],
)
def test_wayback_error_pages(html: str, reason: str) -> None:
    page_class = nonpost.classify_page(lxml.html.document_fromstring(html))
    assert page_class == nonpost.PageClass("not_found", reason)


def test_other_node_types_are_not_posts() -> None:
    html = '<html><body class="page-node node-type-page"><p>About</p></body></html>'
    page_class = nonpost.classify_page(lxml.html.document_fromstring(html))
    assert page_class == nonpost.PageClass("other", "not-a-post:node-type-page")


def test_feed_post_urls() -> None:
    rss = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<item><link>http://www.ise.gov/blog/a/one</link></item>"
        "<item><link>https://ise.gov:80/blog/A/two?</link></item>"
        "<item><link>http://www.ise.gov/blog/a/one</link></item>"
        "<item><link>http://www.ise.gov/about</link></item>"
        "</channel></rss>"
    )
    root = nonpost.parse_feed(rss)
    assert nonpost.feed_post_urls(root) == [BLOG + "a/one", BLOG + "a/two"]


def test_feed_url_from_the_feed_itself() -> None:
    rss = (
        '<rss xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
        "<link>http://www.ise.gov/iseblog/feed</link>"
        '<atom:link href="https://www.ise.gov/iseblog/feed" rel="self"/>'
        "</channel></rss>"
    )
    assert (
        nonpost.feed_url(nonpost.parse_feed(rss)) == "https://www.ise.gov/iseblog/feed"
    )
    assert nonpost.feed_url(nonpost.parse_feed("<rss><channel/></rss>")) is None


def test_atom_feed_post_urls() -> None:
    atom = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry>'
        '<link rel="alternate" href="http://www.ise.gov/blog/a/one"/></entry></feed>'
    )
    assert nonpost.feed_post_urls(nonpost.parse_feed(atom)) == [BLOG + "a/one"]


def test_html_is_not_a_feed() -> None:
    assert nonpost.parse_feed("<html><body><p>rss</p></body></html>") is None


@pytest.mark.parametrize(
    "html,expected",
    [
        (
            "<title>Error 404 – Information Sharing Environment</title><p>Sorry.</p>",
            ("not_found", "not-a-post:soft-404"),
        ),
        (
            "<title>ISE</title><h1 class='usa-display'>Page not found</h1>",
            ("not_found", "not-a-post:soft-404"),
        ),
        (
            "<title>403 Forbidden – ISE.gov</title><h1>Sign in</h1>",
            ("other", "not-a-post:access-denied"),
        ),
        (
            "<title>X | ISE</title><div role='alert'><h1>Access denied</h1></div>",
            ("other", "not-a-post:access-denied"),
        ),
        ("<title>404 Reasons to Share Information | ISE</title><h1>404 R</h1>", None),
    ],
)
def test_error_pages_in_any_layout(html: str, expected: tuple[str, str] | None) -> None:
    """Without Drupal's ``#page-title``: the first ``<h1>`` or an HTTP error title."""
    found = nonpost.classify_page(lxml.html.document_fromstring(html))
    assert found == (nonpost.PageClass(*expected) if expected else None)


POST = BLOG + "ise-bloggers/welcome-ise-blog"


@pytest.mark.parametrize(
    "head,redirect",
    [
        (f'<meta http-equiv="refresh" content="0; url={POST}">', True),
        ('<meta http-equiv="Refresh" content="3;URL=\'/blog/a/b\'">', True),
        ('<meta http-equiv="refresh" content="1800">', False),  # periodic reload
        (f'<meta http-equiv="refresh" content="600; url={POST}">', False),
    ],
)
def test_meta_refresh_is_a_redirect_only_when_immediate(
    head: str, redirect: bool
) -> None:
    doc = lxml.html.document_fromstring(
        f"<html><head>{head}<title>x</title></head><body><p>x</p></body></html>"
    )
    page_class = nonpost.classify_page(doc)
    if redirect:
        assert page_class == nonpost.PageClass("other", "not-a-post:redirect")
    else:
        assert page_class is None


@pytest.mark.parametrize(
    "script,target",
    [
        ('window.location = "/blog/ise-bloggers/welcome-ise-blog";', POST),
        (
            "location.replace('http://www.ise.gov/blog/ise-bloggers/welcome-ise-blog')",
            POST,
        ),
        (
            'document.location.href = "https:\\/\\/web.archive.org\\/web\\/2013\\/'
            'http:\\/\\/www.ise.gov\\/blog\\/ise-bloggers\\/welcome-ise-blog";',
            POST,
        ),
        # wombat's prologue in every replayed inline script is not a redirect
        ('let location = _____WB$wombat$assign$function_____("location");', None),
    ],
)
def test_script_redirect_target(script: str, target: str | None) -> None:
    doc = lxml.html.document_fromstring(
        f"<html><head><script>{script}</script></head><body></body></html>"
    )
    expected = "not-a-post:redirect" if target else "not-a-post:no-article"
    assert nonpost.no_article_class(doc).reason == expected
    assert nonpost.redirect_target(doc, "http://www.ise.gov/node/1") == target
