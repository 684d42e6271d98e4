"""Tests of ise_archive.extract.generic.body: finding the body, and cleaning it."""

from __future__ import annotations

import lxml.html

from ise_archive.extract.generic.body import body_container, clean_body, densest_block
from tests.extract.generic.test_reader import PARA, POST, parse, trap_page


def test_comments_stay_out_of_the_body() -> None:
    doc = parse(trap_page().encode(), POST)
    container = body_container(doc)
    assert container is not None
    body = clean_body(container, "A Post")
    assert [p.text_content() for p in body.iter()] == [
        body.text_content(),
        PARA,
        PARA,
        PARA,
    ]


def test_a_drupal_body_field_beats_density():
    doc = lxml.html.document_fromstring(
        f"<html><body><div class='field-name-body'><div property='content:encoded'>"
        f"<p>{PARA}</p></div></div><div class='other'><p>{PARA}</p><p>{PARA}</p>"
        f"<p>{PARA}</p></div></body></html>"
    )
    assert body_container(doc) is doc.find_class("field-name-body")[0][0]


def test_density_prefers_paragraphs_over_a_column_of_links():
    links = "".join(f"<p><a href='/x{i}'>{PARA}</a></p>" for i in range(6))
    doc = lxml.html.document_fromstring(
        f"<html><body><div id='links'>{links}</div>"
        f"<div id='story'><p>{PARA}</p><p>{PARA}</p></div></body></html>"
    )
    assert densest_block(doc) is doc.get_element_by_id("story")


def test_cleanup_drops_bylines_tags_and_hidden_helpers_keeping_tail_text():
    container = lxml.html.fragment_fromstring(
        "<div><h2>A Post</h2><p>Posted by Joe on 10/04/2011</p><p>Keep"
        "<span class='element-invisible'>hidden</span> this</p>"
        "<div class='field-name-field-tags'><a href='/t'>DHS</a></div>"
        "<p>Text<sup class='print-footnote'> [1]</sup> tail</p></div>"
    )
    body = clean_body(container, "A Post")
    assert lxml.html.tostring(body, encoding="unicode") == (
        "<div><p>Keep this</p><p>Text tail</p></div>"
    )
    assert len(container) == 5  # the container itself is left alone
