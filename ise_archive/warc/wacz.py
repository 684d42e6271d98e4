"""Packaging the WARC files as one WACZ (py-wacz), for ReplayWeb.page and pywb.

The WACZ holds every WARC file, their CDXJ index and a page list: the post captures
the dataset's records were built from, with their titles, so ReplayWeb.page opens on
a list of the posts. It is built with py-wacz's own ``wacz create`` (``--copy-pages``
with our ``pages.jsonl``), under a temporary name, then renamed into place.

This module does not decide which captures are pages: the caller passes them.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from wacz.main import main as wacz_main

from ise_archive.dataset.paths import WACZ_FILE
from ise_archive.errors import DatasetError
from ise_archive.warc.writer import warc_date

logger = logging.getLogger(__name__)

PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "ise.gov posts"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    """A capture to list in the WACZ: its original URL, capture time and title."""

    url: str
    timestamp: str
    title: str


def pages_jsonl(pages: Iterable[Page]) -> str:
    """The WACZ ``pages/pages.jsonl`` text: a header line, then one page per line.

    >>> print(pages_jsonl([Page(url="http://x/a", timestamp="20110114071109",
    ...                         title="A")]), end="")
    {"format": "json-pages-1.0", "id": "pages", "title": "ise.gov posts"}
    {"url": "http://x/a", "ts": "2011-01-14T07:11:09Z", "title": "A"}
    """
    lines = [json.dumps(PAGES_HEADER)]
    for page in pages:
        entry = {"url": page.url, "ts": warc_date(page.timestamp), "title": page.title}
        lines.append(json.dumps(entry, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def create_wacz(warcs: list[Path], pages: Iterable[Page], target: Path) -> Path:
    """Write ``target`` (a WACZ of ``warcs`` listing ``pages``), atomically."""
    if not warcs:
        raise DatasetError("no WARC files to package as WACZ")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".wacz-") as work:
        pages_path = Path(work) / "pages.jsonl"
        pages_path.write_text(pages_jsonl(pages), encoding="utf-8")
        partial = Path(work) / WACZ_FILE
        args = ["create", "-o", str(partial), "-p", str(pages_path), "--copy-pages"]
        status = _quietly(args + [str(path) for path in warcs])
        if status:
            raise DatasetError(f"wacz create failed (status {status}) for {target}")
        os.replace(partial, target)
    return target


def validate_wacz(path: Path) -> bool:
    """Whether py-wacz's ``wacz validate`` accepts ``path``."""
    return _quietly(["validate", "-f", str(path)]) == 0


def _quietly(args: list[str]) -> int:
    """Run a ``wacz`` command in process, its chatter (print) sent to the debug log."""
    chatter = io.StringIO()
    with contextlib.redirect_stdout(chatter):
        status = wacz_main(args)
    logger.debug("wacz %(args)s: %(out)s", {"args": args[0], "out": chatter.getvalue()})
    return int(status or 0)
