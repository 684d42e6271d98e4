"""Dev fixtures parsed the way the page object hands them to template modules."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import lxml.html
from lxml.html import HtmlElement

from ise_archive.extract import replay
from ise_archive.normalize.charset import decode_html

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "dev"


@cache
def index_row(cid: str) -> dict[str, Any]:
    for line in (FIXTURES / "index.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["cid"] == cid:
            return row
    raise KeyError(cid)


def prepared_doc(cid: str, base_url: str) -> HtmlElement:
    """A fresh parse of capture ``cid`` with links restored against ``base_url``."""
    row = index_row(cid)
    body = (FIXTURES / "captures" / f"{cid}.bin").read_bytes()
    doc = lxml.html.document_fromstring(decode_html(body, row["headers"]).text)
    replay.restore_links(doc, base_url)
    return doc
