"""Turn the bytes of an archived page into text, without mojibake.

ise.gov served UTF-8, except for a stretch when some pages went out as
windows-1252 while the HTTP header said only ``text/html`` (and Apache's own pages
said ``iso-8859-1``). The Wayback Machine stores the bytes as served, so the label
cannot be trusted. The chain used here:

1. a byte-order mark wins (UTF-8, UTF-16);
2. else the charset of the HTTP ``Content-Type`` header, else the document's
   ``<meta charset>`` / ``http-equiv`` declaration, else nothing;
3. a label of the UTF-8 / Latin-1 / windows-1252 / ASCII family (or no label) is
   then *validated*: the bytes are read as UTF-8, and every byte that is not part of
   a valid UTF-8 sequence is read as windows-1252 (the superset of Latin-1 that
   browsers use for both labels). A pure windows-1252 page thus decodes exactly as
   windows-1252, a UTF-8 page exactly as UTF-8, and a UTF-8 page with a stray
   windows-1252 byte keeps both its curly quotes and its UTF-8 text;
4. any other label (``shift_jis``, ``koi8-r``...) is trusted.

Never ``?`` for a dash, never ``â€™``, and no U+FFFD for the five byte values that
windows-1252 leaves undefined: those map to the C1 control characters, as WHATWG
decoders do.

This module does not parse HTML; it only looks at the first bytes for a ``<meta>``
declaration (through :mod:`w3lib.encoding`).
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding

logger = logging.getLogger(__name__)

#: Labels whose bytes are validated as UTF-8 and repaired as windows-1252.
_WESTERN_OR_UTF8 = frozenset({"utf-8", "latin-1", "iso8859-1", "cp1252", "ascii"})

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

#: ``bytes.decode("utf-8", "surrogateescape")`` turns an invalid byte B into the lone
#: surrogate U+DC00+B; this table turns it into what windows-1252 says B is.
_ESCAPED_CP1252 = {
    0xDC00 + byte: bytes([byte]).decode("cp1252", errors="ignore") or chr(byte)
    for byte in range(0x80, 0x100)
}

#: A character that came from a valid multi-byte UTF-8 sequence (not an escape).
_DECODED_NON_ASCII = re.compile("[^\x00-\x7f\udc80-\udcff]")

#: How far into the document a ``<meta charset>`` is looked for (HTML says 1024).
_META_SCAN_BYTES = 4096


@dataclass(frozen=True, slots=True)
class DecodedText:
    """A page's text and how it was decoded (for logs and tests)."""

    text: str
    #: ``utf-8``, ``windows-1252``, ``utf-8+windows-1252`` (mixed) or a codec name.
    encoding: str
    #: Where the label came from: ``bom``, ``header``, ``meta`` or ``default``.
    source: str


def header_value(headers: Mapping[Any, Any] | None, name: str) -> str | None:
    """A header's (first) value, looked up case-insensitively (archives vary the
    case). Takes plain ``str`` mappings and Scrapy's ``Headers`` alike: bytes keys
    and values, a list of values per name.

    >>> header_value({b"Memento-Datetime": [b"Fri, 14 Jan 2011 07:11:09 GMT"]},
    ...              "memento-datetime")
    'Fri, 14 Jan 2011 07:11:09 GMT'
    """
    if not headers:
        return None
    lowered = name.lower()
    for key, value in headers.items():
        key_text = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        if key_text.lower() != lowered:
            continue
        if isinstance(value, (list, tuple)):
            if not value:
                return None
            value = value[0]
        return value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return None


def declared_encoding(
    body: bytes, headers: Mapping[str, str] | None = None
) -> tuple[str | None, str]:
    """The encoding the page claims, as a Python codec name, and where it said so.

    >>> declared_encoding(b"<meta charset='windows-1252'>")
    ('cp1252', 'meta')
    >>> declared_encoding(b"<p>x", {"content-type": "text/html; charset=UTF-8"})
    ('utf-8', 'header')
    """
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name, "bom"
    content_type = header_value(headers, "Content-Type")
    label = http_content_type_encoding(content_type) if content_type else None
    if label:
        return _codec_name(label), "header"
    label = html_body_declared_encoding(body[:_META_SCAN_BYTES])
    if label:
        return _codec_name(label), "meta"
    return None, "default"


def decode_html(body: bytes, headers: Mapping[str, str] | None = None) -> DecodedText:
    """Decode a page's bytes following the chain in the module docstring.

    >>> decode_html(b"caf\\xe9 \\x96 ok").text
    'café – ok'
    >>> decode_html("café – ok".encode(), {"Content-Type": "text/html"}).encoding
    'utf-8'
    """
    name, source = declared_encoding(body, headers)
    if source == "bom":
        assert name is not None
        bom_length = 3 if name == "utf-8" else 2
        text = body[bom_length:].decode(name, errors="replace")
        return DecodedText(text, name, source)
    if name is None or name in _WESTERN_OR_UTF8:
        text, encoding = decode_utf8_or_cp1252(body)
        if (
            name not in (None, "utf-8", "ascii")
            and encoding == "utf-8"
            and (not body.isascii())
        ):
            logger.debug("Page labelled %(label)s is UTF-8", {"label": name})
        return DecodedText(text, encoding, source)
    assert name is not None
    return DecodedText(body.decode(name, errors="replace"), name, source)


def decode_utf8_or_cp1252(body: bytes) -> tuple[str, str]:
    """Read bytes as UTF-8, and each byte that is not valid UTF-8 as windows-1252.

    >>> decode_utf8_or_cp1252("It’s".encode() + b" \\x93quoted\\x94")
    ('It’s “quoted”', 'utf-8+windows-1252')
    """
    try:  # valid UTF-8, the common case: no escapes to look for
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text = body.decode("utf-8", errors="surrogateescape")
    if text.isascii() or not _has_escapes(text):
        return text, "utf-8"
    repaired = text.translate(_ESCAPED_CP1252)
    mixed = _DECODED_NON_ASCII.search(text) is not None
    return repaired, "utf-8+windows-1252" if mixed else "windows-1252"


def _has_escapes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _codec_name(label: str) -> str | None:
    """A label as a Python codec name; Latin-1 and its aliases all read as cp1252."""
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        logger.debug("Unknown charset label %(label)r", {"label": label})
        return None
    return "cp1252" if name in {"latin-1", "iso8859-1"} else name
