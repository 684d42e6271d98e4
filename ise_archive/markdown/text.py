"""Plain text made safe for Markdown: character cleanup and backslash escapes.

Text from an archived page carries no-break and zero-width spaces, soft hyphens,
control characters and windows-1252 bytes misread as latin-1; :data:`TEXT_TABLE`
maps them away (``str.translate``). :func:`escape_text` then escapes what a
CommonMark reader would take for markup, and nothing more, so the Markdown reads
like the page. The converter (:mod:`ise_archive.markdown.converter`) escapes body
text with
it; the document layout (:mod:`ise_archive.markdown.document`) escapes titles, tag
and author names with :func:`escape_inline`. No HTML is parsed here.
"""

from __future__ import annotations

import logging
import re

logger = logging.getLogger(__name__)

# Private-use markers of ours, no-break/zero-width spaces, soft hyphens and C0
# controls in the input; C1 controls are windows-1252 bytes decoded as latin-1
# ("\x92" was a right single quote), mapped back to their characters.
TEXT_TABLE: dict[int, str | None] = {
    0xE000: None,
    0xE001: None,
    0xE002: None,
    0x00A0: " ",
    0x2007: " ",
    0x202F: " ",
    0x200B: None,
    0xFEFF: None,
    0x00AD: None,
    **{c: None for c in range(0x20) if c not in (0x09, 0x0A, 0x0D, 0x0C)},
    0x0C: " ",
    **{
        c: bytes([c]).decode("cp1252", errors="ignore") or None
        for c in range(0x80, 0xA0)
    },
}
_ESCAPE_ALWAYS = re.compile(r"([\\`*\[\]~])")
_ESCAPE_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")  # not inside a_word
_ESCAPE_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")  # "&amp;" would be decoded
_SCRIPT_SCHEME = re.compile(r"(?i)\b((?:java|vb)script):")
_ESCAPE_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")  # "<b>" would be raw HTML
# Block markers a text could be mistaken for at the start of a line:
# "# x", "> x", "- x", "+ x", "1. x", "2) x", "---", "==="
_LINE_START_MARKER = re.compile(
    r"^(?:#{1,6}(?=\s|$)|>|[-+](?=\s|$)|\d{1,9}(?=[.)](?:\s|$))|-{2,}\s*$|=+\s*$)"
)


def escape_text(text: str, *, at_line_start: bool, in_table: bool) -> str:
    """Backslash-escape what Markdown would read as markup, and nothing more.

    >>> print(escape_text(
    ...     "a_b _c_ [1] *x* & &amp; <b>", at_line_start=False, in_table=False))
    a_b \\_c\\_ \\[1\\] \\*x\\* & \\&amp; &lt;b>
    """
    # Each substitution runs only when its trigger character is there: most text
    # needs none, and a regex pass costs more than a substring test.
    if _ESCAPE_ALWAYS.search(text):
        text = _ESCAPE_ALWAYS.sub(r"\\\1", text)
    if "_" in text:
        text = _ESCAPE_UNDERSCORE.sub(r"\\_", text)
    if "&" in text:
        text = _ESCAPE_ENTITY.sub(r"\\&", text)
    if "<" in text:
        text = _ESCAPE_TAG_OPEN.sub("&lt;", text)
    if ":" in text:
        text = _SCRIPT_SCHEME.sub("\\1\\:", text)  # renders "javascript:" as text
    if in_table:
        text = text.replace("|", "\\|")
    if at_line_start:
        stripped = text.lstrip(" ")
        if _LINE_START_MARKER.match(stripped):
            text = _escape_marker(stripped)
    return text


def escape_inline(text: str) -> str:
    """Plain text (a title, tag or author name) escaped for an inline position."""
    text = " ".join(text.translate(TEXT_TABLE).split())
    return escape_text(text, at_line_start=False, in_table=False)


def _escape_marker(text: str) -> str:
    # "1. x" -> "1\. x"; "# x" -> "\# x"; "---" -> "\---"
    digits = len(text) - len(text.lstrip("0123456789"))
    if digits:
        return f"{text[:digits]}\\{text[digits:]}"
    return "\\" + text
