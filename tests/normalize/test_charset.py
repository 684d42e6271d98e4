"""Decoding archived bytes: BOM, header, meta, then UTF-8 validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from ise_archive.normalize.charset import DecodedText, declared_encoding, decode_html

CP1252_PAGE = Path(__file__).parents[1] / "fixtures" / "dev" / "captures" / "c0029.bin"
TEXT = "Officer Safety – “Reversing” a Deadly Trend’s end…"


def test_cp1252_capture_with_bare_text_html_header() -> None:
    decoded = decode_html(CP1252_PAGE.read_bytes(), {"Content-Type": "text/html"})
    assert decoded.encoding == "windows-1252"
    assert "Officer Safety in Indian Country – Reversing a Deadly Trend" in decoded.text
    assert "\ufffd" not in decoded.text and "â€" not in decoded.text


@pytest.mark.parametrize(
    "headers",
    [
        None,
        {"Content-Type": "text/html"},
        {"content-type": "text/html; charset=utf-8"},  # mislabelled as UTF-8
        {"Content-Type": "text/html; charset=ISO-8859-1"},
    ],
)
def test_unlabelled_or_mislabelled_cp1252(headers: dict[str, str] | None) -> None:
    body = b"<p>" + TEXT.encode("cp1252") + b"</p>"
    assert decode_html(body, headers).text == f"<p>{TEXT}</p>"


@pytest.mark.parametrize(
    "headers",
    [None, {"Content-Type": "text/html; charset=iso-8859-1"}, {"Content-Type": "x"}],
)
def test_utf8_wins_over_a_western_label(headers: dict[str, str] | None) -> None:
    body = TEXT.encode("utf-8")
    assert decode_html(body, headers) == DecodedText(
        TEXT,
        "utf-8",
        "header" if headers and "charset" in headers["Content-Type"] else "default",
    )


def test_mixed_utf8_and_stray_cp1252_byte() -> None:
    decoded = decode_html("It’s ".encode() + b"\x93quoted\x94")
    assert decoded == DecodedText("It’s “quoted”", "utf-8+windows-1252", "default")


def test_undefined_cp1252_bytes_are_not_replacement_characters() -> None:
    assert decode_html(b"a\x81b\x9dc").text == "a\x81b\x9dc"


def test_bom_wins() -> None:
    body = "\ufeff<p>é</p>".encode("utf-16-le")
    assert decode_html(body, {"Content-Type": "text/html; charset=cp1252"}) == (
        DecodedText("<p>é</p>", "utf-16-le", "bom")
    )
    assert decode_html(b"\xef\xbb\xbf<p>\xc3\xa9</p>").text == "<p>é</p>"


def test_other_labels_are_trusted() -> None:
    body = "<meta charset='koi8-r'><p>Привет</p>".encode("koi8-r")
    assert decode_html(body).text == "<meta charset='koi8-r'><p>Привет</p>"


@pytest.mark.parametrize(
    "body,headers,expected",
    [
        (b'<meta charset="windows-1252">', None, ("cp1252", "meta")),
        (
            b'<meta http-equiv="Content-Type" content="text/html; charset=latin-1">',
            None,
            ("cp1252", "meta"),
        ),
        (b"<p>", {"Content-Type": "text/html; charset=UTF-8"}, ("utf-8", "header")),
        (b"<p>", {"Content-Type": "text/html; charset=bogus"}, (None, "default")),
        (b"<p>", None, (None, "default")),
    ],
)
def test_declared_encoding(
    body: bytes, headers: dict[str, str] | None, expected: tuple[str | None, str]
) -> None:
    assert declared_encoding(body, headers) == expected
