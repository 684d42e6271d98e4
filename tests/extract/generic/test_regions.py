"""Tests of ise_archive.extract.generic.regions: chrome, comments and text measures."""

from __future__ import annotations

import lxml.html

from ise_archive.extract.generic.regions import (
    in_chrome,
    in_comment,
    norm,
    text_len,
    tokens,
    walk_outside_chrome,
)

PAGE = """<html><body class="one-sidebar node-type-blog">
<div id="region-sidebar-second"><p id="s">Sidebar</p></div>
<article><header><p id="h">By Ann</p></header>
<p id="a">Text</p><div class="comment-wrapper"><p id="c">Comment</p></div></article>
<header id="page-header"><p id="ph">Site</p></header></body></html>"""


def doc() -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(PAGE)


def test_tokens_split_class_and_id_words_but_not_layout_classes():
    page = doc()
    assert tokens(page.get_element_by_id("region-sidebar-second")) == {
        "region",
        "sidebar",
        "second",
    }
    assert tokens(page.find("body")) == set()


def test_an_articles_own_header_is_not_chrome_the_pages_is():
    page = doc()
    found = {
        pid: (
            in_chrome(page.get_element_by_id(pid)),
            in_comment(page.get_element_by_id(pid)),
        )
        for pid in ("s", "h", "a", "c", "ph")
    }
    assert found == {
        "s": (True, False),
        "h": (False, False),
        "a": (False, False),
        "c": (True, True),
        "ph": (True, False),
    }


def test_walk_skips_chrome_subtrees_and_survives_deep_nesting():
    page = doc()
    # the walk never enters a <header>, not even an article's own
    ids = [el.get("id") for el in walk_outside_chrome(page) if el.tag == "p"]
    deep = leaf = lxml.html.Element("div")
    for _ in range(5000):
        leaf = lxml.html.etree.SubElement(leaf, "div")
    assert (ids, sum(1 for _ in walk_outside_chrome(deep))) == (["a"], 5001)


def test_norm_and_text_len_collapse_whitespace_and_no_break_spaces():
    assert norm(" a\xa0\n b ") == "a b"
    assert text_len(lxml.html.fromstring("<p> a \n <b>b</b> </p>")) == 3
