"""Render a post as Markdown: the article body alone, and the whole document.

:func:`render_markdown` turns the isolated body fragment of a post (the Drupal body
field, as an HTML string) into ``body_markdown`` with BeautifulSoup and
:class:`BodyConverter`, a markdownify converter subclass holding our rules, and
hands the converted body to :mod:`ise_archive.markdown.document`, which lays out
the whole document the way the site's print module did, with every link clickable.

Around the converter: :mod:`ise_archive.markdown.pruning` removes what never reaches
the output before conversion, :mod:`ise_archive.markdown.text` escapes text, and
:mod:`ise_archive.markdown.links` decides which URLs may be linked and numbers them.
Every rule is described in ``docs/markdown.md``. This module does not find the body
on a page (the template extractors do) and does not decode bytes. It is pure: the
same post and body always give byte-identical output, whatever the machine's locale
or time zone.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from typing import ClassVar

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from markdownify import ATX, MarkdownConverter, chomp

from ise_archive.archive.archives import WebArchive
from ise_archive.markdown.document import render_document, tidy_markdown
from ise_archive.markdown.links import (
    link_destination,
    link_placeholder,
    resolve_placeholders,
    safe_link_url,
)
from ise_archive.markdown.pruning import prune_body_tree
from ise_archive.markdown.text import TEXT_TABLE, escape_text
from ise_archive.records import Post

logger = logging.getLogger(__name__)

#: Elements that start a new line of the output (and a new run of words).
BLOCK_TAGS = frozenset(
    {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}
    | {"td", "th", "tr", "table", "thead", "tbody", "tfoot", "caption", "dd", "dt"}
    | {"dl", "pre", "figure", "figcaption", "section", "article", "header", "footer"}
    | {"aside", "nav", "main", "address", "hr", "center", "body", "html"}
    | {"[document]", "x-embed"}
)
MAX_COLSPAN = 50

_BR = "\ue000"  # a <br>, until we know whether it ends a block
_SPACES = re.compile(r"[ \t\r\n]+")
_SCRIPTISH = re.compile(r"(?i)(<(?=script)|(?:java|vb)script(?=:))")
# <img title="javascript:alert(1)">: the scheme in an image title
_TITLE_SCHEME = re.compile(r"(?i)\b((?:java|vb)script):")
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


class BodyTag(Tag):
    """The bs4 ``Tag`` of a parsed body, whose ``find_parent(name)`` walks up.

    markdownify asks ``node.find_parent("pre")`` of every element it converts,
    and bs4 answers each call by building a ``SoupStrainer``: that was about a
    third of the conversion time. A plain walk up the parents gives the same
    answer (the lxml HTML builder gives no tag a namespace prefix, so a name
    without ``:`` matches ``Tag.name`` alone); any other query goes to bs4.
    Installed with ``BeautifulSoup(..., element_classes={Tag: BodyTag})``.
    """

    def find_parent(self, name=None, attrs=None, **kwargs):
        if type(name) is not str or attrs or kwargs or ":" in name:
            return super().find_parent(name, attrs, **kwargs)
        parent = self.parent
        while parent is not None:
            if parent.name == name:
                return parent
            parent = parent.parent
        return None


class BodyConverter(MarkdownConverter):
    """markdownify with our rules; one instance renders one body.

    Only markdownify's documented hooks are overridden (``Options``, ``convert_*``
    and ``process_text``); its own ``process_tag`` walks the tree. The
    ``find_parent("pre")`` it asks of every element is answered by
    :class:`BodyTag`, the soup's element class, instead of a bs4 search.

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
        prune_body_tree(soup, self.base_url)
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

    # -- text -----------------------------------------------------------------------

    def process_text(self, el: NavigableString, parent_tags: set[str] | None = None):
        parent_tags = parent_tags or set()
        text = str(el).translate(TEXT_TABLE)
        if "pre" not in parent_tags:
            # the substitution changes only text with a newline, tab, CR or two
            # spaces in a row; most text nodes have none
            if "\n" in text or "  " in text or "\t" in text or "\r" in text:
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
        text = escape_text(
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
        # a title is shown as text: "javascript:" in it is written "javascript\:",
        # and "<" as the entity CommonMark reads back in a title (no "<script")
        title = _TITLE_SCHEME.sub("\\1\\:", title).replace("<", "&lt;")
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
        missing = width - sum(_colspan(cell) for cell in _cells(el))
        row = "|" + text + "  |" * max(0, missing) + "\n"
        if table is not None and _first_row(table) is el:
            row += "| " + " | ".join(["---"] * max(1, width)) + " |\n"
        return row

    # -- helpers --------------------------------------------------------------------

    def _target(self, url: str, text: str) -> str:
        self.targets.append((url, text))
        return link_placeholder(len(self.targets) - 1)

    def _escape_inline(self, text: str) -> str:
        return escape_text(text, at_line_start=False, in_table=True)

    def _table_width(self, table: Tag) -> int:
        key = id(table)
        if key not in self._table_widths:
            rows = [
                row for row in table.find_all("tr") if row.find_parent("table") is table
            ]
            self._table_widths[key] = max(
                (sum(_colspan(c) for c in _cells(row)) for row in rows),
                default=0,
            )
        return self._table_widths[key]


def render_markdown(
    post: Post, body_html: str, archive: WebArchive | None = None
) -> Post:
    """``post`` with its Markdown, links, word count and content hash filled in.

    ``archive`` is the archive the post was captured from: each link gets its
    replay URL there at the post's capture time (see ``render_document``).

    ``body_html`` is the isolated article body; its links should already be
    absolute and unwrapped from Wayback form, but relative ones are resolved against
    ``post.url`` anyway. ``content_sha256`` hashes ``body_markdown``, which uses
    inline links and so does not depend on what surrounds the body.
    """
    converter = BodyConverter(base_url=post.url)
    soup = BeautifulSoup(body_html, "lxml", element_classes={Tag: BodyTag})
    body = converter.render_body(soup)
    markdown, links = render_document(post, body, converter.targets, archive)
    body_markdown = tidy_markdown(resolve_placeholders(body, converter.targets, None))
    return dataclasses.replace(
        post,
        body_markdown=body_markdown,
        markdown=markdown,
        links=links,
        word_count=converter.word_count(),
        content_sha256=hashlib.sha256(body_markdown.encode("utf-8")).hexdigest(),
    )


# -- small helpers --------------------------------------------------------------------


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
        elif "  " in line:
            line = _INNER_SPACES.sub(" ", line)
        lines.append(line)
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(text.replace(_BR, " ").split()) if "\n" in text else text


def _plain_text(el: Tag) -> str:
    text = " ".join(el.get_text(" ").translate(TEXT_TABLE).split())
    if not text:
        img = el.find("img")
        text = _clean_attr(img.get("alt")) if img is not None else ""
    return text


def _clean_attr(value: object) -> str:
    if isinstance(value, list):  # multi-valued attributes come back as lists
        value = " ".join(str(v) for v in value)
    return " ".join(str(value or "").translate(TEXT_TABLE).split())


def _cells(row: Tag) -> list[Tag]:
    """The ``td``/``th`` children of a row (``find_all`` without a SoupStrainer)."""
    return [c for c in row.children if isinstance(c, Tag) and c.name in ("td", "th")]


def _first_row(table: Tag) -> Tag | None:
    """The first ``tr`` inside ``table``, as ``table.find("tr")`` finds it."""
    for node in table.descendants:
        if isinstance(node, Tag) and node.name == "tr":
            return node
    return None


def _colspan(cell: Tag) -> int:
    value = str(cell.get("colspan") or "1").strip()
    return max(1, min(MAX_COLSPAN, int(value))) if value.isdigit() else 1
