"""The template selectors select what their plain ``//`` spelling selects.

Selectors are written ``/descendant::x[...]`` (and ``descendant::x[...]`` for
``.//x[...]``) because libxml2 evaluates ``//x[p]`` as a child step from every node
of the page, two to three times slower; without a positional predicate the two
select the same nodes. This checks every compiled selector of the template modules
against its ``//`` spelling on every fixture page.
"""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import pytest
from lxml import etree

from ise_archive.extract import fields, nonpost, page
from ise_archive.extract import replay as replay_module
from ise_archive.extract.templates import d7_2011, d7_2014, print_page
from ise_archive.normalize.charset import decode_html

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MODULES = (d7_2011, d7_2014, fields, nonpost, page, print_page, replay_module)
#: Rewrites other than ``//`` -> ``/descendant::``, with their plain spelling.
PLAIN_SPELLINGS = {
    "//@class[contains(., 'print-source_url')]/..//a/@href": (
        "//*[contains(@class, 'print-source_url')]//a/@href"
    ),
    "//@typeof[contains(., 'sioc:Item')]/../@about": (
        "//*[contains(@typeof, 'sioc:Item')]/@about"
    ),
}


def _plain(path: str) -> str:
    """The ``//`` spelling: ``/descendant::`` -> ``//``, ``descendant::`` -> ``.//``."""
    if path in PLAIN_SPELLINGS:
        return PLAIN_SPELLINGS[path]
    plain = path.replace("/descendant::", "//")
    return re.sub(r"(^|[\s\[|(])descendant::", r"\1.//", plain)


def _selectors() -> list[tuple[str, etree.XPath]]:
    found = []
    for module in MODULES:
        for name, value in vars(module).items():
            values = value if isinstance(value, tuple) else (value,)
            for xpath in values:
                if isinstance(xpath, etree.XPath) and (
                    "descendant::" in xpath.path or xpath.path in PLAIN_SPELLINGS
                ):
                    found.append((f"{module.__name__}.{name}", xpath))
    return found


def _pages() -> list[lxml.html.HtmlElement]:
    paths = [
        *sorted((FIXTURES / "dev" / "captures").glob("*.bin")),
        *sorted((FIXTURES / "dev" / "replay").glob("*.html")),
        *sorted((FIXTURES / "unseen").glob("*.html")),
    ]
    docs = []
    for path in paths:
        text = decode_html(path.read_bytes(), None).text
        if "<html" in text[:4096].lower():
            docs.append(lxml.html.document_fromstring(text))
    return docs


PAGES = _pages()


def test_the_selectors_and_pages_are_found() -> None:
    assert len(_selectors()) > 20
    assert len(PAGES) > 80


@pytest.mark.parametrize(("name", "xpath"), _selectors(), ids=lambda v: str(v))
def test_selector_selects_what_its_plain_spelling_selects(
    name: str, xpath: etree.XPath
) -> None:
    plain = etree.XPath(_plain(xpath.path))
    assert "descendant::" not in plain.path
    for doc in PAGES:  # relative selectors too: from the root, .//x is every x
        assert xpath(doc) == plain(doc), (name, xpath.path)
