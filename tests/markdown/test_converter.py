"""Tests of ise_archive.markdown.converter (and the link policy in .links)."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import bs4
import pytest
from bs4 import BeautifulSoup

from ise_archive.markdown.converter import BodyTag, render_markdown
from ise_archive.markdown.links import embed_page_url, safe_link_url
from ise_archive.records import Link, Post, RelatedPost, Tag

FIXTURES = Path(__file__).parents[1] / "fixtures" / "markdown"
BASE = "http://www.ise.gov/blog/ise-bloggers/social-media-and-law-enforcement-tweeting-front-line"
EDT = timezone(timedelta(hours=-4))
FREE_TAGS = "http://www.ise.gov/category/free-tags/"


def seed_post() -> Post:
    """The seed post's fields, typed by hand from its page (not from an extractor)."""
    tags = [
        ("DHS", "dhs"),
        ("fusion centers", "fusion-centers"),
        ("information sharing", "information-sharing"),
        ("law enforcement", "law-enforcement"),
        ("mission partners", "mission-partners"),
        ("see something, say something", "see-something-say-something"),
        ("state & local gov", "state-local-gov"),
        ("suspicious activity reporting", "suspicious-activity-reporting"),
    ]
    return Post(
        url=BASE,
        title="Social Media and Law Enforcement: Tweeting from the front line",
        author="ISE Bloggers",
        author_url="http://www.ise.gov/users/ise-bloggers",
        published=datetime(2011, 10, 4, 12, 38, tzinfo=EDT),
        tags=tuple(Tag(name=name, url=FREE_TAGS + slug) for name, slug in tags),
        related=(
            RelatedPost(
                title="Officer Safety in Indian Country – Reversing a Deadly Trend",
                url="http://www.ise.gov/blog/joe-laporte/"
                "officer-safety-indian-country-%E2%80%93-reversing-deadly-trend",
            ),
            RelatedPost(
                title="Information Sharing Success: FBI and state fusion center "
                "partner apprehend armed and dangerous fugitives",
                url="http://www.ise.gov/blog/fbi-denver-sac-james-yacone/"
                "information-sharing-success-fbi-and-state-fusion-center-partner-app",
            ),
            RelatedPost(
                title="The world of state and local justice information systems: "
                "Lessons from the NAJIS Conference",
                url="http://www.ise.gov/blog/ise-bloggers/"
                "world-state-and-local-justice-information-systems-lessons-najis-"
                "conference-0",
            ),
        ),
        nid=1426,
        template="d7_2011",
    )


def body(html: str, url: str = BASE) -> str:
    return render_markdown(Post(url=url, title="T"), html).body_markdown


def links(html: str) -> tuple[Link, ...]:
    return render_markdown(Post(url=BASE, title="T"), html).links


# -- the whole document ---------------------------------------------------------------


def test_seed_post_renders_the_expected_document():
    html = (FIXTURES / "seed-body.html").read_text(encoding="utf-8")
    expected = (FIXTURES / "seed-expected.md").read_text(encoding="utf-8")

    post = render_markdown(seed_post(), html)

    assert post.markdown == expected


def test_seed_post_fields_besides_the_markdown():
    html = (FIXTURES / "seed-body.html").read_text(encoding="utf-8")

    post = render_markdown(seed_post(), html)

    assert post.body_markdown.startswith("Last week, ISE staff attended")
    assert "[@shareandprotect](http://www.twitter.com/shareandprotect)" in (
        post.body_markdown
    )
    assert post.word_count == 505  # as in the dev corpus' gold body_text
    assert (
        post.content_sha256
        == hashlib.sha256(post.body_markdown.encode("utf-8")).hexdigest()
    )
    assert [link.url for link in post.links[:3]] == [
        "http://www.ise.gov/users/ise-bloggers",
        "http://www.twitter.com/shareandprotect",
        "http://www.facebook.com/MnPublicSafety",
    ]
    assert post.links[1] == Link(
        n=2, url="http://www.twitter.com/shareandprotect", text="@shareandprotect"
    )
    assert len(post.links) == 21
    assert post.title == seed_post().title and post.nid == 1426  # the rest is kept


def test_output_is_deterministic_and_hash_ignores_surroundings():
    html = (FIXTURES / "seed-body.html").read_text(encoding="utf-8")
    first = render_markdown(seed_post(), html)
    bare = render_markdown(Post(url=BASE, title="Other title"), html)

    assert render_markdown(seed_post(), html) == first
    assert bare.content_sha256 == first.content_sha256
    assert bare.body_markdown == first.body_markdown


# -- links ----------------------------------------------------------------------------


def test_document_links_are_reference_links_with_visible_list_and_definitions():
    post = render_markdown(
        Post(url=BASE, title="T", author="A", author_url="http://www.ise.gov/users/a"),
        '<p><a href="http://x.gov/p">one</a> and <a href="/contact">two</a></p>',
    )

    assert post.markdown == (
        "# T\n\nBy [A][1]\n\n[one][2] and [two][3]\n\n---\n\n"
        f"**Source URL:** <{BASE}>\n\n## Links\n\n"
        "1. <http://www.ise.gov/users/a>\n2. <http://x.gov/p>\n"
        "3. <http://www.ise.gov/contact>\n\n"
        "[1]: http://www.ise.gov/users/a\n[2]: http://x.gov/p\n"
        "[3]: http://www.ise.gov/contact\n"
    )


def test_repeated_url_keeps_its_number():
    html = (
        '<p><a href="http://a.gov/">A</a> <a href="http://b.gov/">B</a> '
        '<a href="http://a.gov/">A again</a></p>'
    )
    post = render_markdown(Post(url=BASE, title="T"), html)

    assert post.links == (
        Link(n=1, url="http://a.gov/", text="A"),
        Link(n=2, url="http://b.gov/", text="B"),
    )
    assert "[A][1] [B][2] [A again][1]" in post.markdown


def test_anchor_links_are_text_and_not_numbered():
    assert body('<p><a href="#top">Back to top</a> x</p>') == "Back to top x\n"
    assert links('<p><a href="#top">Back to top</a></p>') == ()


def test_mailto_is_kept():
    assert body('<p>Write <a href="mailto:info@ise.gov">us</a>.</p>') == (
        "Write [us](mailto:info@ise.gov).\n"
    )


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JavaScript:void(0)",
        " java\tscript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
    ],
)
def test_dangerous_links_are_dropped_keeping_their_text(href):
    html = f'<p>Please <a href="{href}" onclick="steal()">click here</a>.</p>'

    assert body(html) == "Please click here.\n"
    assert links(html) == ()


def test_relative_and_wayback_links_become_absolute():
    html = (
        '<p><a href="/about">a</a> '
        '<a href="/web/20111006123456/http://www.dhs.gov/x">b</a></p>'
    )

    assert [link.url for link in links(html)] == [
        "http://www.ise.gov/about",
        "http://www.dhs.gov/x",
    ]


def test_link_without_text_is_not_numbered():
    assert links('<p>a <a href="http://x.gov/"> </a> b</p>') == ()


def test_image_link_keeps_the_image_inside_the_link():
    html = '<p><a href="http://x.gov/big.jpg"><img src="/s.jpg" alt="Map"></a></p>'
    post = render_markdown(Post(url=BASE, title="T"), html)

    assert post.body_markdown == (
        "[![Map](http://www.ise.gov/s.jpg)](http://x.gov/big.jpg)\n"
    )
    assert post.links == (Link(n=1, url="http://x.gov/big.jpg", text="Map"),)


def test_images_are_inline_and_not_numbered():
    html = '<p><img src="/a.png" alt="A [chart]" title="Say &quot;hi&quot;"></p>'
    post = render_markdown(Post(url=BASE, title="T"), html)

    assert post.body_markdown == (
        '![A \\[chart\\]](http://www.ise.gov/a.png "Say \\"hi\\"")\n'
    )
    assert post.links == ()


def test_data_uri_image_is_dropped_but_alt_kept():
    assert body('<p><img src="data:image/png;base64,AAAA" alt="Logo"></p>') == "Logo\n"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (
            '<p><iframe src="https://www.youtube.com/embed/abcDEF123_x?rel=0" '
            'title="YouTube video player"></iframe></p>',
            "[Video](https://www.youtube.com/watch?v=abcDEF123_x)\n",
        ),
        (
            '<object width="425"><param name="movie" '
            'value="http://www.youtube.com/v/abcDEF123_x&amp;hl=en"></param>'
            '<embed src="http://www.youtube.com/v/abcDEF123_x&amp;hl=en" '
            'type="application/x-shockwave-flash"></embed></object>',
            "[Video](https://www.youtube.com/watch?v=abcDEF123_x)\n",
        ),
        (
            '<iframe src="//player.vimeo.com/video/1234567" title="NSI training">'
            "</iframe>",
            "[Video: NSI training](https://vimeo.com/1234567)\n",
        ),
        (
            '<iframe src="http://maps.example.gov/embed?x=1"></iframe>',
            "[Embedded content](http://maps.example.gov/embed?x=1)\n",
        ),
        ('<iframe src="javascript:alert(1)"></iframe><p>after</p>', "after\n"),
    ],
)
def test_players_become_plain_links(html, expected):
    assert body(html) == expected


def test_embed_page_url_passes_other_urls_unchanged():
    assert embed_page_url("http://www.ise.gov/x") == "http://www.ise.gov/x"
    assert embed_page_url("https://www.youtube.com/embed/abcdefgh?start=30") == (
        "https://www.youtube.com/watch?v=abcdefgh&t=30s"
    )


def test_safe_link_url_without_base_drops_relative_links():
    assert safe_link_url("/contact", "") is None
    assert safe_link_url("ftp://ftp.ise.gov/a", "") == "ftp://ftp.ise.gov/a"


# -- stripped content -----------------------------------------------------------------


def test_scripts_styles_and_forms_are_stripped():
    html = (
        "<p>a<script>alert('x')</script><style>p{color:red}</style> b</p>"
        "<noscript><img src='/pixel.gif'></noscript>"
        "<form><input value='q'><button>Go</button>label</form>"
    )

    assert body(html) == "a b\n\nlabel\n"


def test_wayback_toolbar_is_stripped():
    html = (
        '<div id="wm-ipp-base"><div id="wm-ipp">Wayback Machine 47 captures</div></div>'
        "<p>Post text</p>"
    )

    assert body(html) == "Post text\n"


def test_comments_and_raw_html_never_reach_the_output():
    html = "<p>a <!-- secret --> <span onclick='x()'>b</span> <u>c</u></p>"

    assert body(html) == "a b c\n"


# -- block structure ------------------------------------------------------------------


def test_headings_are_atx():
    html = "<h2>Engaging <em>with</em> Minnesota</h2><p>x</p><h3>Issue #</h3><h4> </h4>"

    assert body(html) == "## Engaging *with* Minnesota\n\nx\n\n### Issue \\#\n"


def test_nested_lists():
    html = (
        "<ul><li>a<ul><li>b<ol><li>c</li><li>d</li></ol></li></ul></li><li>e</li></ul>"
    )

    assert body(html) == "- a\n  - b\n    1. c\n    2. d\n- e\n"


def test_ordered_list_start():
    assert body('<ol start="3"><li>c</li><li>d</li></ol>') == "3. c\n4. d\n"


def test_blockquote():
    html = "<blockquote><p>q1</p><p>q2 <b>bold</b></p></blockquote><p>after</p>"

    assert body(html) == "> q1\n>\n> q2 **bold**\n\nafter\n"


def test_table_is_gfm_with_escaped_pipes_and_padded_rows():
    html = (
        "<table><tr><th>Name|alias</th><th>Role</th></tr>"
        "<tr><td>Ann</td><td>lead</td><td>extra</td></tr>"
        "<tr><td><p>two</p><p>paras</p></td><td>x<br>y</td></tr></table>"
    )

    assert body(html) == (
        "| Name\\|alias | Role | |\n| --- | --- | --- |\n"
        "| Ann | lead | extra |\n| two paras | x y | |\n"
    )


def test_table_without_header_uses_first_row():
    html = (
        "<table><tbody><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></tbody></table>"
    )

    assert body(html) == "| a | b |\n| --- | --- |\n| c | |\n"


def test_definition_list_and_preformatted_text():
    html = (
        "<dl><dt>NSI</dt><dd>Nationwide SAR Initiative</dd></dl><pre>a ```\n  b</pre>"
    )

    assert body(html) == (
        "**NSI**\n\nNationwide SAR Initiative\n\n````\na ```\n  b\n````\n"
    )


# -- inline text ----------------------------------------------------------------------


def test_br_is_a_hard_break_and_double_br_a_paragraph():
    assert body("<p><br>one<br>two<br><br>three<br></p>") == ("one\\\ntwo\n\nthree\n")


def test_br_before_a_nested_list_is_dropped():
    assert body("<ul><li>a<br><ul><li>b</li></ul></li></ul>") == "- a\n  - b\n"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (
            "<p>snake_case and _under_ and *star*</p>",
            "snake_case and \\_under\\_ and \\*star\\*\n",
        ),
        (
            "<p>[1] and `code` and back\\slash</p>",
            "\\[1\\] and \\`code\\` and back\\\\slash\n",
        ),
        (
            "<p>state &amp; local, &amp;amp; literal</p>",
            "state & local, \\&amp; literal\n",
        ),
        ("<p>5 &gt; 3, x|y, &lt;script&gt;</p>", "5 > 3, x|y, &lt;script>\n"),
        ("<p>1. not a list</p>", "1\\. not a list\n"),
        ("<p># not a heading</p>", "\\# not a heading\n"),
        ("<p>- not an item</p><p>+ nor</p>", "\\- not an item\n\n\\+ nor\n"),
        ("<p>&gt; not a quote</p>", "\\> not a quote\n"),
        ("<p>a<br>---</p>", "a\\\n\\---\n"),
        ("<p>In 2011. Done. C# is # 1 - yes</p>", "In 2011. Done. C# is # 1 - yes\n"),
        (
            "<p>Wow!<a href='http://x.gov/'>link</a></p>",
            "Wow\\![link](http://x.gov/)\n",
        ),
        ("<p>Done!</p>", "Done!\n"),
    ],
)
def test_escaping_is_correct_but_not_excessive(html, expected):
    assert body(html) == expected


def test_typographic_characters_and_spaces():
    html = "<p>Five\xa0Years\u2014and What\u2019s \u201cNext\u201d\u200b \u2013 "
    html += "caf\u00e9</p>"

    assert (
        body(html)
        == "Five Years\u2014and What\u2019s \u201cNext\u201d \u2013 caf\u00e9\n"
    )


def test_windows_1252_control_characters_are_repaired():
    assert body("<p>What\x92s \x93new\x94 \x96 now</p>") == (
        "What\u2019s \u201cnew\u201d \u2013 now\n"
    )


def test_whitespace_is_tidy():
    html = "  <p>  a \n\n  b  </p>\n\n\n<p></p><div>  </div>\n<p>c\t d</p>  "

    assert body(html) == "a b\n\nc d\n"


def test_empty_body():
    post = render_markdown(Post(url=BASE, title="T"), "")

    assert (post.body_markdown, post.word_count, post.links) == ("", 0, ())
    assert post.content_sha256 == hashlib.sha256(b"").hexdigest()
    assert post.markdown == f"# T\n\n---\n\n**Source URL:** <{BASE}>\n"


def test_word_count_counts_words_not_markup():
    html = (
        "<p>One <b>two</b> <a href='http://x.gov/a_b'>three</a> \u2013 four-five</p>"
        "<ul><li>six</li><li>seven<br>eight</li></ul><p>nine<img alt='not counted'></p>"
        "<table><tr><td>ten</td><td>eleven</td></tr></table>"
    )

    assert render_markdown(Post(url=BASE, title="T"), html).word_count == 10


# -- document parts -------------------------------------------------------------------


def test_tail_with_related_and_tags_and_escaped_names():
    post = Post(
        url=BASE,
        title="C# [draft]: 1. *new*",
        related=(RelatedPost(title="Prior post", url="http://www.ise.gov/blog/a/b"),),
        tags=(
            Tag(name="state & local gov", url=FREE_TAGS + "state-local-gov"),
            Tag(name="see something, say something", url=""),
        ),
    )

    markdown = render_markdown(post, "<p>Body</p>").markdown

    assert markdown.startswith(
        "# C# \\[draft\\]: 1. \\*new\\*\n\nBody\n\n## Reference\n\n"
    )
    assert (
        "- [Prior post][1]\n\n"
        "Tags: [state & local gov][2] · see something, say something\n" in markdown
    )


def test_published_line_in_document():
    post = Post(url=BASE, title="T", published=date(2010, 6, 14))

    assert (
        "\n\nPublished: Monday, June 14, 2010\n\n" in render_markdown(post, "").markdown
    )


# -- CommonMark validity --------------------------------------------------------------


def parsed_links(markdown: str) -> tuple[list[str], list[str]]:
    """(link hrefs, literal text) of a document as a CommonMark parser reads it."""
    markdown_it = pytest.importorskip("markdown_it")
    tokens = markdown_it.MarkdownIt("commonmark").enable("table").parse(markdown)
    hrefs, texts = [], []
    for token in tokens:
        assert token.type not in ("html_block", "html_inline")
        for child in token.children or ():
            assert child.type != "html_inline"
            if child.type == "link_open":
                hrefs.append(child.attrs["href"])
            elif child.type == "text":
                texts.append(child.content)
    return hrefs, texts


def test_every_link_of_the_seed_document_resolves_in_commonmark():
    html = (FIXTURES / "seed-body.html").read_text(encoding="utf-8")
    post = render_markdown(seed_post(), html)

    hrefs, texts = parsed_links(post.markdown)

    urls = [link.url for link in post.links]
    # each numbered link is used in the text and listed once in the visible list
    assert set(hrefs) == {*urls, BASE}
    assert hrefs[-len(urls) :] == urls
    assert not [t for t in texts if re.search(r"\]\[\d+\]|\[\d+\]:", t)]
    body_hrefs, _ = parsed_links(post.body_markdown)
    # the body alone links inline, in reading order, to links 2-10 (1 is the byline)
    assert list(dict.fromkeys(body_hrefs)) == urls[1:10]


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        # markdownify collapses newlines between converted children, but never
        # below a <pre> (its find_parent("pre") check): the blank line stays.
        ("<pre><span>a\n</span><span>\nb</span></pre>", "```\na\n\nb\n```\n"),
        (
            "<pre><code><span>a\n</span><span>\nb</span></code></pre>",
            "```\na\n\nb\n```\n",
        ),
        # comments and a doctype are no text
        ("<!DOCTYPE html><p>x<!-- c --> y</p>", "x y\n"),
    ],
)
def test_tree_walk_keeps_preformatted_newlines_and_drops_non_text(html, expected):
    post = Post(url=BASE, title="T")
    assert render_markdown(post, html).body_markdown == expected


@pytest.mark.parametrize("name", ["pre", "table", "td", "a", "li", "o:p", "[document]"])
def test_body_tag_find_parent_answers_as_bs4_does(name: str) -> None:
    """BodyTag's plain walk up the tree finds what bs4's SoupStrainer search finds."""
    html = (
        "<div><pre><code><b>x</b></code></pre><table><tr><td><a href='/a'><i>y</i>"
        "</a><table><tr><td><pre>z<o:p>w</o:p></pre></td></tr></table></td></tr>"
        "</table><ul><li><ol><li><em>v</em></li></ol></li></ul></div>"
    )
    soup = BeautifulSoup(html, "lxml", element_classes={bs4.Tag: BodyTag})
    tags = soup.find_all(True)
    assert tags and all(isinstance(tag, BodyTag) for tag in tags)
    for tag in tags:
        assert tag.find_parent(name) is bs4.Tag.find_parent(tag, name)
    bold = soup.find("b")
    assert bold.find_parent("pre", attrs={"class": "x"}) is None  # asks bs4
