"""A post as a Markdown file with YAML front matter (``posts/<yyyy>/<mm>/<slug>.md``).

Static-site generators and note tools read the header between the ``---`` lines. Its
values come from archived pages, so every string is written as a YAML double-quoted
scalar with everything outside YAML's printable set escaped: a title such as
``Q&A: "yes" --- no`` or one holding a U+2028 line separator reads back exactly, and
no value can end the header early. This module only renders text; it writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ise_archive.records import Post

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\t": "\\t", "\n": "\\n", "\r": "\\r"}
#: The characters :func:`_escape` changes; all others are written as they are: C0
#: and C1 controls (NEL among them), quote, backslash, LS, PS, the byte-order mark,
#: surrogates and U+FFFE/U+FFFF, e.g. the ``"`` and the line end of ``Q&A: "yes"``.
_NEEDS_ESCAPE = re.compile(
    r'[\x00-\x1f"\\\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]'
)


def yaml_string(text: str) -> str:
    r"""``text`` as a YAML double-quoted scalar that YAML 1.1 and 1.2 read back.

    >>> yaml_string('Q&A: "yes"\n')
    '"Q&A: \\"yes\\"\\n"'
    """
    # one regex pass: most strings (titles, URLs, tags) need no escape at all
    return '"' + _NEEDS_ESCAPE.sub(_escape_match, text) + '"'


def render_post_document(post: Post) -> str:
    """The whole Markdown file of ``post``: front matter, then its ``markdown``.

    Line ends are ``\\n`` and the file ends with exactly one newline, so the bytes
    depend only on the record.
    """
    capture = post.capture
    fields = [
        ("title", yaml_string(post.title)),
        ("author", yaml_string(post.author)),
        ("published", _optional(post.published and post.published.isoformat())),
        ("tags", _string_list(tag.name for tag in post.tags)),
        ("url", yaml_string(post.url)),
        ("archive_url", _optional(capture and capture.archive_url)),
        ("capture_timestamp", _optional(capture and capture.timestamp)),
    ]
    if post.completeness != "full":  # full documents keep their header unchanged
        fields.append(("completeness", yaml_string(post.completeness)))
        fields.append(("sources", _string_list(post.sources)))
    header = "".join(f"{key}: {value}\n" for key, value in fields)
    body = (post.markdown or post.body_markdown).replace("\r\n", "\n")
    body = body.replace("\r", "\n").strip("\n")
    return f"---\n{header}---\n\n{body}\n" if body else f"---\n{header}---\n"


def _optional(text: str | None) -> str:
    return yaml_string(text) if text else "null"


def _string_list(items: Iterable[str]) -> str:
    return "[" + ", ".join(yaml_string(item) for item in items) + "]"


def _escape_match(match: re.Match[str]) -> str:
    return _escape(match.group())


def _escape(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    if 0x20 <= code <= 0x7E or _printable_beyond_ascii(code):
        return char
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _printable_beyond_ascii(code: int) -> bool:
    # YAML's c-printable minus the characters YAML 1.1 reads as line breaks (NEL,
    # LS, PS), the byte-order mark and surrogates.
    if code in (0x2028, 0x2029, 0xFEFF):
        return False
    return 0xA0 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code >= 0x10000
