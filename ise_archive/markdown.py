"""Render a post as Markdown: the article body alone, and the whole document.

:func:`render_markdown` turns the isolated body fragment of a post (the Drupal body
field, as an HTML string) into ``body_markdown`` with BeautifulSoup and
:class:`BodyConverter`, a markdownify converter subclass holding our rules, then lays
out the whole document the way the site's print module did (title, byline, date,
body, Reference list, tags, Source URL, numbered Links list) — but with every link
clickable: the text carries reference-style links ``[text][n]`` and the Links
section shows the numbered URLs *and* ends with the ``[n]: url`` definitions.

The layout and every rule are described in ``docs/markdown.md``; which URLs may be
linked and how they are numbered lives in :mod:`ise_archive.markdown_links`. This
module does not find the body on a page (the template extractors do) and does not
decode bytes. It is pure: the same post and body always give byte-identical output,
whatever the machine's locale or time zone.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from datetime import date, datetime, timedelta
from typing import ClassVar

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from markdownify import (
    ATX,
    MarkdownConverter,
    chomp,
    should_remove_whitespace_inside,
    should_remove_whitespace_outside,
)

from ise_archive.markdown_links import (
    LinkTable,
    embed_link_tag,
    link_destination,
    link_placeholder,
    render_links_section,
    resolve_placeholders,
    safe_link_url,
)
from ise_archive.records import Post

logger = logging.getLogger(__name__)

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# The site ran on US Eastern time; a fixed offset of -4/-5 hours is EDT/EST there.
_EASTERN_NAMES = {timedelta(hours=-4): "EDT", timedelta(hours=-5): "EST"}
_ZONE_ABBREVIATION = re.compile(r"^[A-Z]{2,5}$")  # "EDT", not "UTC-04:00"
#: Separates tags on the ``Tags:`` line (a tag name may itself contain ", ").
TAG_SEPARATOR = " · "

#: Elements whose content never reaches the document.
DROPPED_TAGS = frozenset(
    {"script", "style", "noscript", "template", "head", "title", "meta", "link"}
    | {"base", "button", "input", "select", "textarea", "option", "optgroup"}
    | {"datalist", "svg", "math", "canvas", "map", "area", "applet", "frameset"}
    | {"noframes", "param", "source", "track", "dialog"}
)
#: Players and frames: replaced by a plain link to what they show.
EMBED_TAGS = ("iframe", "frame", "object", "embed", "video", "audio")
# Wayback Machine toolbar containers ("wm-ipp-base", "wm-ipp", "donato").
_TOOLBAR_ID = re.compile(r"^(?:wm-ipp|donato)")
#: Elements that start a new line of the output (and a new run of words).
BLOCK_TAGS = frozenset(
    {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}
    | {"td", "th", "tr", "table", "thead", "tbody", "tfoot", "caption", "dd", "dt"}
    | {"dl", "pre", "figure", "figcaption", "section", "article", "header", "footer"}
    | {"aside", "nav", "main", "address", "hr", "center", "body", "html"}
    | {"[document]", "x-embed"}
)
#: Deeper elements are flattened to their text: markdownify recurses per element.
MAX_DEPTH = 80
MAX_COLSPAN = 50

_BR = "\ue000"  # a <br>, until we know whether it ends a block
# Private-use markers of ours, no-break/zero-width spaces, soft hyphens and C0
# controls in the input; C1 controls are windows-1252 bytes decoded as latin-1
# ("\x92" was a right single quote), mapped back to their characters.
_TEXT_TABLE: dict[int, str | None] = {
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
_SPACES = re.compile(r"[ \t\r\n]+")
_ESCAPE_ALWAYS = re.compile(r"([\\`*\[\]~])")
_ESCAPE_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")  # not inside a_word
_ESCAPE_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")  # "&amp;" would be decoded
_SCRIPT_SCHEME = re.compile(r"(?i)\b((?:java|vb)script):")
_SCRIPTISH = re.compile(r"(?i)(<(?=script)|(?:java|vb)script(?=:))")
_ESCAPE_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")  # "<b>" would be raw HTML
# Block markers a text could be mistaken for at the start of a line:
# "# x", "> x", "- x", "+ x", "1. x", "2) x", "---", "==="
_LINE_START_MARKER = re.compile(
    r"^(?:#{1,6}(?=\s|$)|>|[-+](?=\s|$)|\d{1,9}(?=[.)](?:\s|$))|-{2,}\s*$|=+\s*$)"
)
_BREAK_RUN = re.compile("(?:[ ]*\ue000\n[ ]*){2,}")
_LEADING_BREAKS = re.compile("^(?:\\s*\ue000\n)+")
_TRAILING_BREAKS = re.compile("(?:\ue000\n?\\s*)+$")
# A break right before a blank line, a list item, heading, fence or table row is
# no break at all (the next block starts anyway); "\" there would show literally.
_BREAK_BEFORE_BLOCK = re.compile(
    "\ue000\n(?=[ >]*(?:\n|$|[-+*] |\\d{1,9}[.)] |#{1,6} |```|\\|))"
)
_WORD = re.compile(r"\S*[^\W_]\S*")  # a run of non-space holding a letter or digit
_FENCE = re.compile(r"^[ >]*(`{3,})\s*$")  # ``` or ```` as convert_pre writes them
_INNER_SPACES = re.compile(r"(?<=\S) {2,}(?=\S)")
_INLINE_CONTEXT = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "td", "th"})
# (leading newlines, content, trailing newlines) of a converted child
_NEWLINES = re.compile(r"^(\n*)((?:.*[^\n])?)(\n*)$", re.DOTALL)


class BodyConverter(MarkdownConverter):
    """markdownify with our rules; one instance renders one body.

    Links are written as ``[text]`` plus a private-use marker naming an entry of
    :attr:`targets`; :func:`render_markdown` later turns the markers into
    ``(url)`` for the body alone and ``[n]`` for the whole document.
    """

    class Options(MarkdownConverter.DefaultOptions):
        autolinks = False
        bullets = "-"
        heading_style = ATX
        strong_em_symbol = "*"
        escape_asterisks = False  # escape_text() does all escaping
        escape_underscores = False
        escape_misc = False
        keep_inline_images_in: ClassVar[list[str]] = ["td", "th"]
        table_infer_header = True

    def __init__(self, *, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url
        #: (url, text) of every link written, in writing order.
        self.targets: list[tuple[str, str]] = []
        self._words: list[tuple[int, str]] = []
        self._table_widths: dict[int, int] = {}

    # -- entry points -------------------------------------------------------------

    def render_body(self, soup: BeautifulSoup) -> str:
        """The Markdown of a parsed body fragment (cleaned in place first)."""
        _clean_tree(soup, self.base_url)
        text = self.convert_soup(soup)
        text = _BREAK_BEFORE_BLOCK.sub("\n", _tidy_breaks(text))
        return _collapse_spaces(text.replace(_BR, "\\"))

    def word_count(self) -> int:
        """Words of the body text: runs of non-space characters holding a letter or
        digit, blocks and ``<br>`` separating words, image alt text not counted."""
        pieces: list[str] = []
        last_block = -1
        for block, text in self._words:
            if block != last_block:
                pieces.append(" ")
                last_block = block
            pieces.append(text)
        return len(_WORD.findall("".join(pieces)))

    @staticmethod
    def escape_text(text: str, *, at_line_start: bool, in_table: bool) -> str:
        """Backslash-escape what Markdown would read as markup, and nothing more.

        >>> print(BodyConverter.escape_text(
        ...     "a_b _c_ [1] *x* & &amp; <b>", at_line_start=False, in_table=False))
        a_b \\_c\\_ \\[1\\] \\*x\\* & \\&amp; &lt;b>
        """
        text = _ESCAPE_ALWAYS.sub(r"\\\1", text)
        text = _ESCAPE_UNDERSCORE.sub(r"\\_", text)
        text = _ESCAPE_ENTITY.sub(r"\\&", text)
        text = _ESCAPE_TAG_OPEN.sub("&lt;", text)
        text = _SCRIPT_SCHEME.sub("\\1\\:", text)  # renders "javascript:" as text
        if in_table:
            text = text.replace("|", "\\|")
        if at_line_start:
            stripped = text.lstrip(" ")
            if _LINE_START_MARKER.match(stripped):
                text = _escape_marker(stripped)
        return text

    # -- tree walk ------------------------------------------------------------------

    def process_tag(self, node, parent_tags=None):
        """markdownify 1.2's ``process_tag`` without its per-element
        ``find_parent('pre')`` (a third of the run time): ``parent_tags`` knows."""
        parent_tags = parent_tags if parent_tags is not None else set()
        remove_inside = should_remove_whitespace_inside(node)
        children = [
            child for child in node.children if not _can_ignore(child, remove_inside)
        ]
        child_tags = set(parent_tags)
        child_tags.add(node.name)
        if node.name in _INLINE_CONTEXT:
            child_tags.add("_inline")
        if node.name in ("pre", "code", "kbd", "samp"):
            child_tags.add("_noformat")
        strings = [self.process_element(child, child_tags) for child in children]
        strings = [s for s in strings if s]
        if node.name != "pre" and "pre" not in parent_tags:
            strings = _join_newlines(strings)
        convert = self.get_conv_fn_cached(node.name)
        text = "".join(strings)
        return convert(node, text, parent_tags=parent_tags) if convert else text

    # -- text -----------------------------------------------------------------------

    def process_text(self, el: NavigableString, parent_tags: set[str] | None = None):
        parent_tags = parent_tags or set()
        text = str(el).translate(_TEXT_TABLE)
        if "pre" not in parent_tags:
            text = _SPACES.sub(" ", text)
            prev, nxt, parent = el.previous_sibling, el.next_sibling, el.parent
            if _is_block(prev) or (_is_block(parent) and prev is None):
                text = text.lstrip(" ")
            if _is_block(nxt) or (_is_block(parent) and nxt is None):
                text = text.rstrip(" ")
        if text:
            self._words.append((_block_id(el), text))
        if "_noformat" in parent_tags:
            # code shows text as is: a zero-width space defuses "<script"/"javascript:"
            return _SCRIPTISH.sub("\\1\u200b", text)
        text = self.escape_text(
            text,
            at_line_start=_starts_line(el),
            in_table=bool(parent_tags & {"td", "th"}),
        )
        if text.endswith("!") and isinstance(el.next_sibling, Tag):
            text = text[:-1] + "\\!"  # "Wow!" + "[link]" would read as "![image]"
        return text

    def convert_br(self, el, text, parent_tags):
        self._words.append((id(el), " "))
        if "pre" in parent_tags:
            return "\n"
        if "_inline" in parent_tags:
            return " "
        return _BR + "\n"

    # -- blocks ---------------------------------------------------------------------

    def convert_p(self, el, text, parent_tags):
        return super().convert_p(el, _tidy_breaks(text), parent_tags)

    def convert_div(self, el, text, parent_tags):
        return super().convert_div(el, _tidy_breaks(text), parent_tags)

    convert_article = convert_section = convert_center = convert_div
    convert_header = convert_footer = convert_aside = convert_nav = convert_div
    convert_main = convert_figure = convert_address = convert_div

    def convert_li(self, el, text, parent_tags):
        return super().convert_li(el, _tidy_breaks(text), parent_tags)

    def convert_blockquote(self, el, text, parent_tags):
        return super().convert_blockquote(el, _tidy_breaks(text), parent_tags)

    def convert_hN(self, n, el, text, parent_tags):
        if "_inline" in parent_tags:
            return text
        text = " ".join(_tidy_breaks(text).replace(_BR, " ").split())
        if not text:
            return ""
        # "Issue #" would lose its "#" as an ATX closing sequence
        text = re.sub(r"(^|\s)(#+)$", r"\1\\\2", text)
        return f"\n\n{'#' * max(1, min(6, n))} {text}\n\n"

    def convert_dt(self, el, text, parent_tags):
        text = " ".join(_tidy_breaks(text).replace(_BR, " ").split())
        if "_inline" in parent_tags or not text:
            return f" {text} " if text else ""
        return f"\n\n**{text}**\n\n"

    def convert_dd(self, el, text, parent_tags):
        return self.convert_div(el, text, parent_tags)

    convert_dl = convert_div

    def convert_pre(self, el, text, parent_tags):
        if not text.strip("\n"):
            return ""
        text = text.strip("\n")
        ticks = max((len(run) for run in re.findall(r"`+", text)), default=0)
        fence = "`" * max(3, ticks + 1)
        return f"\n\n{fence}\n{text}\n{fence}\n\n"

    convert_strike = MarkdownConverter.convert_del

    # -- links, images, embeds ------------------------------------------------------

    def convert_a(self, el, text, parent_tags):
        if "_noformat" in parent_tags:
            return text
        prefix, suffix, text = chomp(_one_line(text))
        if not text:
            return " " if prefix or suffix else ""
        url = safe_link_url(el.get("href"), self.base_url)
        if url is None:
            return f"{prefix}{text}{suffix}"
        return f"{prefix}[{text}]{self._target(url, _plain_text(el))}{suffix}"

    def convert_img(self, el, text, parent_tags):
        alt = _clean_attr(el.get("alt"))
        src = safe_link_url(el.get("src"), self.base_url)
        inline = "_inline" in parent_tags and el.parent.name not in ("td", "th")
        if src is None or src.startswith("mailto:") or inline:
            return self._escape_inline(alt)
        title = _clean_attr(el.get("title"))
        title = title.replace("\\", "\\\\").replace('"', '\\"')
        title_part = f' "{title}"' if title else ""
        destination = link_destination(src.replace("|", "%7C"))
        return f"![{self._escape_inline(alt)}]({destination}{title_part})"

    def convert_x_embed(self, el, text, parent_tags):
        url = el.get("data-url") or ""
        label = el.get("data-label") or "Embedded content"
        link = f"[{self._escape_inline(label)}]{self._target(url, label)}"
        return f" {link} " if "_inline" in parent_tags else f"\n\n{link}\n\n"

    # -- tables ---------------------------------------------------------------------

    def convert_table(self, el, text, parent_tags):
        if parent_tags & {"td", "th"}:  # a table in a cell: its text only
            return f" {text.strip()} "
        return super().convert_table(el, text, parent_tags)

    def convert_td(self, el, text, parent_tags):
        text = " ".join(text.replace(_BR, " ").split())
        if parent_tags & {"td", "th"}:
            return f" {text} "
        return f" {text} |" * _colspan(el)

    convert_th = convert_td

    def convert_tr(self, el, text, parent_tags):
        if parent_tags & {"td", "th"}:
            return f" {text} "
        table = el.find_parent("table")
        width = self._table_width(table) if table is not None else 0
        cells = el.find_all(["td", "th"], recursive=False)
        missing = width - sum(_colspan(cell) for cell in cells)
        row = "|" + text + "  |" * max(0, missing) + "\n"
        if table is not None and table.find("tr") is el:
            row += "| " + " | ".join(["---"] * max(1, width)) + " |\n"
        return row

    # -- helpers --------------------------------------------------------------------

    def _target(self, url: str, text: str) -> str:
        self.targets.append((url, text))
        return link_placeholder(len(self.targets) - 1)

    def _escape_inline(self, text: str) -> str:
        return self.escape_text(text, at_line_start=False, in_table=True)

    def _table_width(self, table: Tag) -> int:
        key = id(table)
        if key not in self._table_widths:
            rows = [
                row for row in table.find_all("tr") if row.find_parent("table") is table
            ]
            self._table_widths[key] = max(
                (
                    sum(
                        _colspan(c) for c in row.find_all(["td", "th"], recursive=False)
                    )
                    for row in rows
                ),
                default=0,
            )
        return self._table_widths[key]


def render_markdown(post: Post, body_html: str) -> Post:
    """``post`` with its Markdown, links, word count and content hash filled in.

    ``body_html`` is the isolated article body; its links should already be
    absolute and unwrapped from Wayback form, but relative ones are resolved against
    ``post.url`` anyway. ``content_sha256`` hashes ``body_markdown``, which uses
    inline links and so does not depend on what surrounds the body.
    """
    converter = BodyConverter(base_url=post.url)
    body = converter.render_body(BeautifulSoup(body_html, "lxml"))
    table = LinkTable()
    head = _render_head(post, table)  # numbers the author link first
    doc_body = resolve_placeholders(body, converter.targets, table.number)
    tail = _render_tail(post, table)
    links = table.links()
    parts = (
        head,
        doc_body,
        tail,
        _render_source(post.url),
        render_links_section(links),
    )
    body_markdown = tidy_markdown(resolve_placeholders(body, converter.targets, None))
    return dataclasses.replace(
        post,
        body_markdown=body_markdown,
        markdown=tidy_markdown("\n\n".join(p for p in parts if p)),
        links=links,
        word_count=converter.word_count(),
        content_sha256=hashlib.sha256(body_markdown.encode("utf-8")).hexdigest(),
    )


def format_published(value: datetime | date | None) -> str:
    """A publication time in words, independent of the machine's locale and zone.

    >>> format_published(date(2011, 10, 4))
    'Tuesday, October 4, 2011'
    >>> from datetime import timezone
    >>> format_published(datetime(2011, 10, 4, 12, 38,
    ...     tzinfo=timezone(timedelta(hours=-4))))
    'Tuesday, October 4, 2011 12:38 PM EDT'
    """
    if value is None:
        return ""
    day = f"{_DAYS[value.weekday()]}, {_MONTHS[value.month - 1]} {value.day}, "
    day += str(value.year)
    if not isinstance(value, datetime):
        return day
    hour = value.hour % 12 or 12
    text = f"{day} {hour}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"
    zone = _zone_name(value)
    return f"{text} {zone}" if zone else text


def escape_inline(text: str) -> str:
    """Plain text (a title, tag or author name) escaped for an inline position."""
    text = " ".join(text.translate(_TEXT_TABLE).split())
    return BodyConverter.escape_text(text, at_line_start=False, in_table=False)


def tidy_markdown(text: str) -> str:
    """No trailing spaces, at most one blank line in a row, one final newline."""
    lines = [line.rstrip() for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return text + "\n" if text else ""


# -- document layout ------------------------------------------------------------------


def _render_head(post: Post, table: LinkTable) -> str:
    title = re.sub(r"(^|\s)(#+)$", r"\1\\\2", escape_inline(post.title))
    lines = [f"# {title or 'Untitled'}"]
    if post.author:
        lines.append(f"By {_reference(post.author, post.author_url, post.url, table)}")
    published = format_published(post.published)
    if published:
        lines.append(f"Published: {published}")
    return "\n\n".join(lines)


def _render_tail(post: Post, table: LinkTable) -> str:
    parts = []
    base = post.url
    related = [_reference(r.title, r.url, base, table) for r in post.related if r.title]
    if related:
        parts.append("## Reference\n\n" + "\n".join(f"- {r}" for r in related))
    tags = [_reference(t.name, t.url, base, table) for t in post.tags if t.name]
    if tags:
        parts.append("Tags: " + TAG_SEPARATOR.join(tags))
    return "\n\n".join(parts)


def _reference(text: str, url: str, base: str, table: LinkTable) -> str:
    """``[text][n]``, or the text alone when ``url`` may not be linked."""
    label = escape_inline(text)
    safe = safe_link_url(url, base) if url else None
    return f"[{label}][{table.number(safe, text)}]" if safe else label


def _render_source(url: str) -> str:
    return f"---\n\n**Source URL:** <{url}>" if url else "---"


def _zone_name(value: datetime) -> str:
    offset = value.utcoffset()
    if offset is None:
        return ""
    name = value.tzname() or ""
    if _ZONE_ABBREVIATION.match(name):
        return name
    if offset in _EASTERN_NAMES:
        return _EASTERN_NAMES[offset]
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


# -- tree cleaning --------------------------------------------------------------------


def _clean_tree(soup: BeautifulSoup, base_url: str) -> None:
    """Drop what never reaches the document, turn players into links, flatten depth.

    One iterative walk: the point of flattening is to survive trees too deep for
    recursion (markdownify recurses once per element).
    """
    stack: list[tuple[Tag, int]] = [(soup, 0)]
    while stack:
        tag, depth = stack.pop()
        for child in list(tag.contents):
            if not isinstance(child, Tag):
                continue
            if _is_dropped(child):
                child.decompose()
            elif child.name in EMBED_TAGS:
                child.replace_with(embed_link_tag(soup, child, base_url))
            elif depth >= MAX_DEPTH:
                child.replace_with(NavigableString(child.get_text(" ")))
            else:
                stack.append((child, depth + 1))


def _is_dropped(tag: Tag) -> bool:
    return tag.name in DROPPED_TAGS or bool(_TOOLBAR_ID.match(tag.get("id") or ""))


# -- small helpers --------------------------------------------------------------------


def _can_ignore(child: object, remove_inside: bool) -> bool:
    """markdownify's rule: comments and whitespace at block edges produce nothing."""
    if isinstance(child, Tag):
        return False
    if isinstance(child, Comment) or not isinstance(child, NavigableString):
        return True
    if child.strip():
        return False
    if remove_inside and (not child.previous_sibling or not child.next_sibling):
        return True
    return should_remove_whitespace_outside(
        child.previous_sibling
    ) or should_remove_whitespace_outside(child.next_sibling)


def _join_newlines(strings: list[str]) -> list[str]:
    """Collapse the newlines between converted children to at most two."""
    joined = [""]
    for string in strings:
        leading, content, trailing = _NEWLINES.match(string).groups()
        if joined[-1] and leading:
            leading = "\n" * min(2, max(len(joined.pop()), len(leading)))
        joined.extend((leading, content, trailing))
    return joined


def _is_block(node: object) -> bool:
    return isinstance(node, Tag) and node.name in BLOCK_TAGS


def _block_id(node: NavigableString | Tag) -> int:
    parent = node.parent
    while parent is not None and parent.name not in BLOCK_TAGS:
        parent = parent.parent
    return id(parent)


def _starts_line(el: NavigableString) -> bool:
    """True when the text begins a line: first in its block or after a block/<br>."""
    node: Tag | NavigableString = el
    while True:
        prev = node.previous_sibling
        while prev is not None and (
            isinstance(prev, Comment)
            or (isinstance(prev, NavigableString) and not prev.strip())
        ):
            prev = prev.previous_sibling
        if prev is not None:
            return isinstance(prev, Tag) and (prev.name == "br" or _is_block(prev))
        node = node.parent
        if node is None or _is_block(node):
            return True


def _escape_marker(text: str) -> str:
    # "1. x" -> "1\. x"; "# x" -> "\# x"; "---" -> "\---"
    digits = len(text) - len(text.lstrip("0123456789"))
    if digits:
        return f"{text[:digits]}\\{text[digits:]}"
    return "\\" + text


def _tidy_breaks(text: str) -> str:
    """Two or more <br> in a row end a paragraph; <br> at either end of a block go."""
    if _BR not in text:
        return text
    text = _BREAK_RUN.sub("\n\n", text)
    text = _LEADING_BREAKS.sub("", text)
    return _TRAILING_BREAKS.sub("", text)


def _collapse_spaces(text: str) -> str:
    """One space between words (spaces around comments or empty links add up),
    except inside fenced code."""
    lines, fence = [], ""
    for line in text.split("\n"):
        match = _FENCE.match(line)
        if fence:
            fence = "" if match and match.group(1) == fence else fence
        elif match:
            fence = match.group(1)
        else:
            line = _INNER_SPACES.sub(" ", line)
        lines.append(line)
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(text.replace(_BR, " ").split()) if "\n" in text else text


def _plain_text(el: Tag) -> str:
    text = " ".join(el.get_text(" ").translate(_TEXT_TABLE).split())
    if not text:
        img = el.find("img")
        text = _clean_attr(img.get("alt")) if img is not None else ""
    return text


def _clean_attr(value: object) -> str:
    if isinstance(value, list):  # multi-valued attributes come back as lists
        value = " ".join(str(v) for v in value)
    return " ".join(str(value or "").translate(_TEXT_TABLE).split())


def _colspan(cell: Tag) -> int:
    value = str(cell.get("colspan") or "1").strip()
    return max(1, min(MAX_COLSPAN, int(value))) if value.isdigit() else 1
