"""``ise-archive rebuild``: the whole dataset again, from the stored WARC files alone.

The WARC files hold every answer the crawl was given (CDX pages, captures, the
archive's redirects and "not archived" pages), so a rebuild runs *the same crawl*
again with them as its archive (:mod:`ise_archive.warc.replay`): discovery,
selection, duplicates and skips come out as they did, no request leaves the
machine, and the records are the current extractor's reading of the stored bytes.

Extraction is where the time goes, so it is done first, for every stored page at
once, by a pool of processes (:func:`read_ahead`: one sequential pass over the WARC
files, which also indexes every stored answer for the crawl's download handler); the
crawl then takes each result whose input is exactly the one it would have read (same
bytes, capture, headers and options), and reads any other page itself.

The settings that shape a crawl (discovery prefixes and years, selection, limits)
are read from the ``warcinfo`` record of the newest WARC file, where the crawl wrote
them; politeness is off (nothing is fetched). The crawl itself runs in a child
process (``python -m spiders.rebuild``): this module never imports Scrapy.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from ise_archive.dataset.paths import MANIFEST_FILE, WACZ_FILE, WARC_DIR
from ise_archive.errors import DatasetError, IseArchiveError
from ise_archive.extract import ExtractOptions, PostPage
from ise_archive.store.state import DEFAULT_STATE_PATH
from ise_archive.warc.reader import iter_records, warc_files
from ise_archive.warc.replay import (
    answer_key,
    page_extraction_key,
    page_headers,
    replayed_headers,
    save_prepared,
)
from ise_archive.warc.writer import CAPTURE_ROLES, WarcLocation

logger = logging.getLogger(__name__)

#: The warcinfo fields where a crawl records the settings and arguments it ran with.
SETTINGS_FIELD = "ise-archive-settings"
ARGUMENTS_FIELD = "ise-archive-arguments"
#: ... and the extraction options its spider built from them (read pages alike).
OPTIONS_FIELD = "ise-archive-extract-options"

#: Settings that decide what a crawl requests and how it reads pages: stored in
#: every WARC file's warcinfo, replayed by a rebuild. Politeness, paths and WARC
#: writing are the rebuild's own.
REPLAYED_SETTINGS = (
    "WAYBACK_BASE_URL",
    "ISE_ARCHIVE_MORE_ARCHIVES",
    "ISE_ARCHIVE_ARCHIVE_URL_BASE",
    "ISE_ARCHIVE_CDX_PREFIXES",
    "ISE_ARCHIVE_FROM_YEAR",
    "ISE_ARCHIVE_TO_YEAR",
    "ISE_ARCHIVE_CDX_WINDOW_YEARS",
    "ISE_ARCHIVE_CDX_PAGE_SIZE",
    "ISE_ARCHIVE_CDX_FILTERS",
    "ISE_ARCHIVE_CDX_COLLAPSE",
    "ISE_ARCHIVE_FOLLOW_LISTINGS",
    "ISE_ARCHIVE_MAX_PAGE_BYTES",
    "ISE_ARCHIVE_MAX_ATTEMPTS",
    "ISE_ARCHIVE_TRUNCATED_RETRIES",
    "ISE_ARCHIVE_MAX_FAILURE_SHARE",
    "ISE_ARCHIVE_PLAN_BATCH",
    "ISE_ARCHIVE_ATTACHMENTS",
    "ISE_ARCHIVE_MAX_ATTACHMENT_BYTES",
    "ISE_ARCHIVE_CHECK_LINKS",
)

#: Nothing is fetched, so nothing needs pacing.
UNPACED = {
    "ISE_ARCHIVE_CDX_RPM": 1e9,
    "ISE_ARCHIVE_REPLAY_RPS": 1e9,
    "ISE_ARCHIVE_CDX_CONCURRENCY": 16,
    "ISE_ARCHIVE_REPLAY_CONCURRENCY": 64,
    "CONCURRENT_REQUESTS": 64,
    "ISE_ARCHIVE_PROGRESS_INTERVAL": 0,
    "RETRY_ENABLED": False,
    "ISE_ARCHIVE_WARC_ENABLED": False,
    "LOG_LEVEL": "WARNING",
}

#: Pages handed to one worker at a time: large enough to amortise the pickling.
BATCH = 32
#: Batches in flight per worker: keeps every worker busy while the pass reads on,
#: and bounds the payloads held in memory (a batch is ~32 pages of ~10 kB).
AHEAD = 3

#: One page to extract: payload, original URL, timestamp, headers as the crawler
#: gives them to the extractor.
Page = tuple[bytes, str, str, dict[str, str]]


def crawl_info(
    settings: Mapping[str, Any],
    arguments: Mapping[str, Any],
    options: ExtractOptions,
    *,
    to_year: int,
) -> dict[str, Any]:
    """What a crawl writes into each WARC file's ``warcinfo`` so a rebuild runs the
    same crawl: the :data:`REPLAYED_SETTINGS` among ``settings`` (``TO_YEAR`` 0,
    "this year", pinned to ``to_year``), the spider arguments, the extraction
    options."""
    replayed = {
        name: list(value) if isinstance(value, (list, tuple)) else value
        for name, value in settings.items()
        if name in REPLAYED_SETTINGS
    }
    if not replayed.get("ISE_ARCHIVE_TO_YEAR"):
        replayed["ISE_ARCHIVE_TO_YEAR"] = to_year
    return {
        "operator": "ise-archive crawl",
        SETTINGS_FIELD: replayed,
        ARGUMENTS_FIELD: {k: v for k, v in arguments.items() if v is not None},
        OPTIONS_FIELD: {
            "max_bytes": options.max_bytes,
            "archive_base_url": options.archive_base_url,
        },
    }


def stored_run(warc_dir: Path) -> tuple[dict[str, Any], ...]:
    """(settings, spider arguments, extraction options) of the newest WARC file's
    crawl."""
    files = warc_files(warc_dir)
    if not files:
        raise DatasetError(f"{warc_dir}: no WARC files to rebuild from")
    with files[-1].open("rb") as handle:
        for record in ArchiveIterator(handle):
            if record.rec_type != "warcinfo":
                break
            fields = _warcinfo_fields(record.content_stream().read())
            try:
                return tuple(
                    json.loads(fields.get(name, "{}"))
                    for name in (SETTINGS_FIELD, ARGUMENTS_FIELD, OPTIONS_FIELD)
                )
            except ValueError as exc:
                raise DatasetError(f"{files[-1].name}: bad warcinfo: {exc}") from exc
    raise DatasetError(f"{files[-1].name}: no warcinfo record")


def prepare_extraction(
    warc_dir: Path, options: ExtractOptions, *, workers: int | None = None
) -> dict[str, Any]:
    """Extract every stored page, in ``workers`` processes (all cores by default).

    Returns :func:`~ise_archive.warc.replay.page_extraction_key` -> the page's
    :class:`~ise_archive.records.Post` or :class:`~ise_archive.records.Skip`, or
    the :class:`~ise_archive.errors.ExtractionError` it raised.
    """
    return read_ahead(warc_dir, options, workers=workers)[1]


def read_ahead(
    warc_dir: Path, options: ExtractOptions, *, workers: int | None = None
) -> tuple[dict[str, WarcLocation], dict[str, Any]]:
    """One pass over the WARC files: the answer index
    (:func:`~ise_archive.warc.replay.answer_index`) and every stored page extracted
    (:func:`prepare_extraction`).

    Each file is read once, in order (it was read three times: an index for the
    extraction, one seek per page, another index in the crawl); this process reads
    and the workers extract, so reading overlaps extraction.
    """
    answers: dict[str, WarcLocation] = {}
    batches = _batches(_pages(warc_dir, answers), BATCH)
    prepared: dict[str, Any] = {}
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        for batch in batches:
            prepared.update(_extract_batch(batch, options))
        return answers, prepared
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: deque[Future[list[tuple[str, Any]]]] = deque()
        for batch in batches:
            pending.append(pool.submit(_extract_batch, batch, options))
            if len(pending) >= AHEAD * workers:
                prepared.update(pending.popleft().result())
        while pending:
            prepared.update(pending.popleft().result())
    return answers, prepared


def _pages(warc_dir: Path, answers: dict[str, WarcLocation]) -> Iterator[Page]:
    """Every stored page to extract, indexing every record into ``answers`` on the
    way (a capture under the memento URL it came from, anything else under the URL
    asked; a later run's record wins)."""
    for record in iter_records(warc_dir):
        uri = record.source_uri if record.role in CAPTURE_ROLES else record.target_uri
        if uri:
            answers[answer_key(uri)] = WarcLocation(record.filename, record.offset)
        if record.role == "capture" and record.status == 200:
            headers = page_headers(replayed_headers(record))
            yield record.payload, record.target_uri, record.timestamp, headers


def _batches(pages: Iterable[Page], size: int) -> Iterator[list[Page]]:
    batch: list[Page] = []
    for page in pages:
        batch.append(page)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def rebuild(source: Path, out: Path, *, workers: int | None = None) -> int:
    """Rebuild the dataset of ``source`` into ``out`` (may be ``source``).

    Returns the crawl's exit status. ``out`` gets a copy of the WARC files (and the
    WACZ) when it is another directory, and the rebuilt crawl state.
    """
    warc_dir = source / WARC_DIR
    settings, arguments, stored_options = stored_run(warc_dir)
    out.mkdir(parents=True, exist_ok=True)
    if out.resolve() != source.resolve():
        _copy_evidence(source, out)
    try:
        options = ExtractOptions(**stored_options)
    except TypeError as exc:  # written by another version: the crawl reads alone
        logger.warning("Extraction options not reusable (%(exc)s)", {"exc": exc})
        options = ExtractOptions()
    state_path = out / DEFAULT_STATE_PATH
    state_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=state_path.parent, prefix="rebuild-") as work:
        prepared_path = Path(work) / "prepared.pickle"
        answers, prepared = read_ahead(out / WARC_DIR, options, workers=workers)
        save_prepared(prepared_path, prepared, answers)
        job = {
            "settings": {
                **{k: v for k, v in settings.items() if k in REPLAYED_SETTINGS},
                **UNPACED,
                "OUTPUT_DIR": str(out),
                "ISE_ARCHIVE_STATE_PATH": str(Path(work) / "state.sqlite3"),
                "ISE_ARCHIVE_REPLAY_WARC_DIR": str(out / WARC_DIR),
                "ISE_ARCHIVE_PREPARED_PAGES": str(prepared_path),
            },
            "arguments": arguments,
        }
        job_path = Path(work) / "job.json"
        job_path.write_text(json.dumps(job), encoding="utf-8")
        status = subprocess.run(
            [sys.executable, "-m", "spiders.rebuild", str(job_path)], check=False
        ).returncode
        if status in (0, 1):
            for suffix in ("", "-wal", "-shm"):
                _remove(state_path.with_name(state_path.name + suffix))
            os.replace(Path(work) / "state.sqlite3", state_path)
    return status


def _extract_batch(batch: list[Page], options: ExtractOptions) -> list[tuple[str, Any]]:
    results: list[tuple[str, Any]] = []
    for payload, url, timestamp, headers in batch:
        key = page_extraction_key(
            payload, original=url, timestamp=timestamp, headers=headers, options=options
        )
        page = PostPage(
            payload, url=url, timestamp=timestamp, headers=headers, options=options
        )
        try:
            results.append((key, page.to_item()))
        except IseArchiveError as exc:
            results.append((key, exc))
    return results


def _copy_evidence(source: Path, out: Path) -> None:
    """The WARC files (hard-linked when possible), the WACZ and the manifest, into
    ``out``. With the manifest, a rebuild whose content comes out the same keeps
    the crawl's id and time (:func:`ise_archive.dataset.manifest.crawl_of_content`):
    the content was crawled then, not now."""
    target = out / WARC_DIR
    target.mkdir(parents=True, exist_ok=True)
    for path in warc_files(source / WARC_DIR):
        copy = target / path.name
        if copy.exists():
            continue
        try:
            os.link(path, copy)
        except OSError:
            shutil.copy2(path, copy)
    for name in (WACZ_FILE, MANIFEST_FILE):
        if (source / name).is_file() and not (out / name).exists():
            shutil.copy2(source / name, out / name)


def _warcinfo_fields(content: bytes) -> Mapping[str, str]:
    fields: dict[str, str] = {}
    for line in content.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip()] = value.strip()
    return fields


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
