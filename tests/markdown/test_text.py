"""Tests of ise_archive.markdown.text: character cleanup and Markdown escapes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ise_archive.markdown.text import TEXT_TABLE, escape_inline, escape_text


@pytest.mark.parametrize(
    ("text", "at_line_start", "in_table", "expected"),
    [
        (
            "a_b _c_ [1] *x* & &amp; <b>",
            False,
            False,
            r"a_b \_c\_ \[1\] \*x\* & \&amp; &lt;b>",
        ),
        ("javascript:alert(1)", False, False, r"javascript\:alert(1)"),
        ("a | b", False, True, r"a \| b"),
        ("a | b", False, False, "a | b"),
        ("1. first", True, False, r"1\. first"),
        ("  # heading", True, False, r"\# heading"),
        ("---", True, False, r"\---"),
        ("# not at start", False, False, "# not at start"),
    ],
)
def test_escape_text(text, at_line_start, in_table, expected):
    assert escape_text(text, at_line_start=at_line_start, in_table=in_table) == expected


def test_text_table_maps_invisibles_and_misread_cp1252():
    assert "a\xa0b\u200b\xadc\x92s\x01".translate(TEXT_TABLE) == "a bc\u2019s"


def test_escape_inline_joins_whitespace_and_escapes():
    assert escape_inline("  C#\u00a0 [draft]\n*new* ") == r"C# \[draft\] \*new\*"


_REFERENCE_SUBS = (
    (r"([\\`*\[\]~])", r"\\\1"),
    (r"(?<![^\W_])_|_(?![^\W_])", r"\\_"),
    (r"&(?=#?[A-Za-z0-9]+;)", r"\\&"),
    (r"<(?=[A-Za-z/!?])", "&lt;"),
    (r"(?i)\b((?:java|vb)script):", "\\1\\:"),
)


@given(
    text=st.text(alphabet="ab_ &;#<>/!?:*[]`~\\|-1. jJavascript", max_size=40),
    in_table=st.booleans(),
)
def test_escape_text_skips_only_substitutions_that_would_change_nothing(text, in_table):
    """escape_text runs a substitution only when its trigger character is present;
    the result is that of running all of them."""
    expected = text
    for pattern, replacement in _REFERENCE_SUBS:
        expected = re.sub(pattern, replacement, expected)
    if in_table:
        expected = expected.replace("|", "\\|")
    assert escape_text(text, at_line_start=False, in_table=in_table) == expected
