"""Tests of the CDX endpoint's answers, without HTTP."""

from __future__ import annotations

import json

import pytest

from tests.wayback.archive import CDX_FIELDS, QueryError
from tests.wayback.cdx_output import (
    CdxAnswer,
    answer_cdx_query,
    field_list,
    render_json,
    render_text,
)

FEED = "url=ise.gov/iseblog/feed&fl=timestamp,statuscode"


def test_text_rows_then_resume_key_after_a_blank_line():
    assert render_text([["2011", "200"], ["2012", "301"]], "k") == (
        b"2011 200\n2012 301\n\nk\n"
    )


def test_json_has_a_header_row_and_is_empty_without_rows():
    assert json.loads(render_json(("timestamp",), [["2011"]], "k")) == [
        ["timestamp"],
        ["2011"],
        [],
        ["k"],
    ]
    assert render_json(("timestamp",), [], None) == b"[]\n"


def test_field_list_defaults_to_every_field_and_refuses_unknown_ones():
    assert field_list("") == CDX_FIELDS
    assert field_list("timestamp, original") == ("timestamp", "original")
    with pytest.raises(QueryError, match="bogus"):
        field_list("timestamp,bogus")


def test_rows_are_capped_at_the_server_limit(wayback_archive):
    answer = answer_cdx_query(wayback_archive, FEED + "&output=json", max_rows=2)
    table = json.loads(answer.body)
    assert (answer.status, answer.content_type, len(table)) == (
        200,
        "application/json",
        3,
    )


def test_page_count_and_bad_queries(wayback_archive):
    pages = answer_cdx_query(wayback_archive, FEED + "&showNumPages=true", max_rows=9)
    bad = answer_cdx_query(wayback_archive, "url=x&fl=bogus", max_rows=9)
    assert (pages, bad.status, bad.content_type) == (
        CdxAnswer(200, "text/plain", b"1\n"),
        400,
        "text/plain",
    )
