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
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from warcio.exceptions import ArchiveLoadFailed

from ise_archive.dataset.paths import WACZ_FILE, WARC_DIR
from ise_archive.errors import DamagedWarc, DatasetError
from ise_archive.warc.reader import warc_files
from ise_archive.warc.writer import end_of_whole_records, warc_date

logger = logging.getLogger(__name__)

#: What py-wacz (warcio inside) raises on a WARC file it cannot read: a cut or
#: garbled record header gives warcio's AttributeError (reader.next_record).
#: Not OSError: the zip it writes can fail for want of space (exit 74).
UNREADABLE = (ArchiveLoadFailed, AttributeError, EOFError, ValueError, zlib.error)

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


def create_wacz(warcs: list[Path], pages: Iterable[Page] | str, target: Path) -> Path:
    """Write ``target`` (a WACZ of ``warcs`` listing ``pages``), atomically.

    ``pages`` may be given as the text of :func:`pages_jsonl` already."""
    if not warcs:
        raise DatasetError("no WARC files to package as WACZ")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".wacz-") as work:
        pages_path = Path(work) / "pages.jsonl"
        text = pages if isinstance(pages, str) else pages_jsonl(pages)
        pages_path.write_text(text, encoding="utf-8")
        partial = Path(work) / WACZ_FILE
        args = ["create", "-o", str(partial), "-p", str(pages_path), "--copy-pages"]
        try:
            status = _quietly(args + [str(path) for path in warcs])
        except UNREADABLE as exc:
            raise _damage(warcs, exc) from exc
        if status:
            raise DatasetError(f"wacz create failed (status {status}) for {target}")
        os.replace(partial, target)
    return target


def package_evidence(output_dir: Path, pages: Iterable[Page]) -> list[str]:
    """The WARC files under ``output_dir/warc`` and their WACZ, made or kept.

    The WACZ is rebuilt only when its WARC files or page list changed (a WACZ
    stamps its creation time, so an unchanged run keeps the same bytes). Returns
    the paths (relative to ``output_dir``) to list in the manifest.
    """
    warcs = warc_files(output_dir / WARC_DIR)
    if not warcs:
        return []
    listed = [f"{WARC_DIR}/{path.name}" for path in warcs]
    text = pages_jsonl(pages)
    target = output_dir / WACZ_FILE
    try:
        if not _is_current(target, warcs, text):
            create_wacz(warcs, text, target)
    except DamagedWarc as exc:
        # the records are still rebuilt from what can be read (docs/evidence.md);
        # only the package waits for sound files: verify names the damage
        logger.warning(
            "The WACZ was not made: %(file)s: %(reason)s",
            {"file": exc.filename, "reason": exc.reason},
        )
        return listed
    return [*listed, WACZ_FILE]


def _is_current(target: Path, warcs: list[Path], pages_text: str) -> bool:
    try:
        with zipfile.ZipFile(target) as package:
            names = {n for n in package.namelist() if n.startswith("archive/")}
            pages = package.read("pages/pages.jsonl").decode("utf-8")
    except (OSError, KeyError, zipfile.BadZipFile, UnicodeDecodeError):
        return False
    return names == {f"archive/{p.name}" for p in warcs} and pages == pages_text


def _damage(warcs: list[Path], exc: BaseException) -> DamagedWarc:
    """What py-wacz could not read: the first file with a cut or garbled record
    (py-wacz names none), found by reading each to its last whole record."""
    for path in warcs:
        if end_of_whole_records(path) < path.stat().st_size:
            return DamagedWarc(path.name, "cut or damaged inside a record")
    return DamagedWarc(warcs[0].name, f"unreadable: {type(exc).__name__}: {exc}")


def validate_wacz(path: Path) -> bool:
    """Whether py-wacz's ``wacz validate`` accepts ``path``."""
    return _quietly(["validate", "-f", str(path)]) == 0


def _quietly(args: list[str]) -> int:
    """Run a ``wacz`` command in process, its chatter (print) sent to the debug log."""
    # imported here: py-wacz imports frictionless (0.3 s of CPU), which a run
    # whose WACZ is already current (a rebuild, a run with nothing new) never uses
    from wacz.main import main as wacz_main

    chatter = io.StringIO()
    with contextlib.redirect_stdout(chatter):
        status = wacz_main(args)
    logger.debug("wacz %(args)s: %(out)s", {"args": args[0], "out": chatter.getvalue()})
    return int(status or 0)
