"""The body tree pruned before conversion: what never reaches the Markdown.

Before :class:`ise_archive.markdown.converter.BodyConverter` sees a body, one
iterative walk
drops scripts, styles, form controls, embedded documents and Wayback toolbar
remnants, replaces players and frames with a plain link to what they show (see
:func:`ise_archive.markdown.links.embed_link_tag`), and flattens anything nested
deeper than :data:`MAX_DEPTH` to its text, because markdownify recurses once per
element and a hostile page nests thousands deep. It changes the tree in place and
renders nothing.
"""

from __future__ import annotations

import logging
import re

from bs4 import BeautifulSoup, NavigableString, Tag

from ise_archive.markdown.links import embed_link_tag

logger = logging.getLogger(__name__)

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
#: Deeper elements are flattened to their text: markdownify recurses per element.
MAX_DEPTH = 80


def prune_body_tree(soup: BeautifulSoup, base_url: str) -> None:
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
