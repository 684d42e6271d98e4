"""Tests of ise_archive.markdown.pruning: the body tree before conversion."""

from __future__ import annotations

from bs4 import BeautifulSoup

from ise_archive.markdown.pruning import MAX_DEPTH, prune_body_tree

BASE = "http://www.ise.gov/blog/a/b"


def pruned(html: str) -> str:
    soup = BeautifulSoup(html, "lxml")
    prune_body_tree(soup, BASE)
    return str(soup.body)


def test_scripts_forms_and_toolbar_are_dropped():
    assert (
        pruned(
            "<p>a<script>x()</script><input value=v><b>b</b></p>"
            '<div id="wm-ipp-base"><p>toolbar</p></div><style>p{}</style>'
        )
        == "<body><p>a<b>b</b></p></body>"
    )


def test_players_become_link_elements():
    html = pruned('<iframe src="https://www.youtube.com/embed/Ab3_x-Yz1"></iframe>')
    assert html.startswith("<body><x-embed ")
    assert 'data-url="https://www.youtube.com/watch?v=Ab3_x-Yz1"' in html


def test_deep_trees_are_flattened_below_max_depth():
    depth = MAX_DEPTH + 20
    soup = BeautifulSoup(
        "<div>" * depth + "<b>deep</b> text" + "</div>" * depth, "lxml"
    )
    prune_body_tree(soup, BASE)
    deepest = max(len(list(tag.parents)) for tag in soup.find_all(True))
    # MAX_DEPTH levels of elements are kept (counting <html>); the rest is text
    assert (deepest, soup.get_text()) == (MAX_DEPTH, "deep  text")
