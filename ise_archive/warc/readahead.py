"""Reading every stored page for a rebuild, on all cores, while its crawl runs.

Extraction is where a rebuild's time goes. :func:`index_pages` reads the WARC
files once, in order: it indexes every stored answer for the crawl's download
handler (:mod:`spiders.warc_replay`) and names every page to extract (its
:func:`~ise_archive.warc.replay.page_extraction_key` and where it is stored).
:func:`extract_pages` then has a pool of processes read and extract those pages,
each worker reading its own records from the files, and yields the results as
they are done: the rebuild hands them to its crawl as they come
(:mod:`ise_archive.warc.prepared`), so the extraction runs beside the crawl
instead of before it. The crawl takes each result whose input is exactly the one
it would have read (same bytes, capture, headers and options) and reads any other
page itself.

This module does not run the crawl (see :mod:`ise_archive.warc.rebuild`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from ise_archive.errors import IseArchiveError
from ise_archive.extract import ExtractOptions, PostPage
from ise_archive.warc.reader import StoredRecord, iter_records, read_record
from ise_archive.warc.replay import (
    answer_key,
    page_extraction_key,
    page_headers,
    replayed_headers,
)
from ise_archive.warc.writer import CAPTURE_ROLES, WarcLocation

#: Pages handed to one worker at a time: large enough to amortise the pickling,
#: small enough that the crawl, which waits for the batch of the page it reads
#: next, never waits long.
BATCH = 16

#: How much lower the pool's processes run than the crawl (``nice``): the crawl is
#: the rebuild's critical path (it waits for nothing once the pool is ahead), so it
#: gets a core first and the pool every cycle it leaves.
POOL_NICENESS = 10

#: One page to extract: its key and where its record is.
StoredPage = tuple[str, WarcLocation]
#: Each WARC file's answer index: file name -> answer key -> record.
Answers = dict[str, dict[str, WarcLocation]]


def index_pages(
    warc_dir: Path, options: ExtractOptions
) -> tuple[Answers, list[StoredPage]]:
    """One pass over the WARC files: each file's answer index
    (:func:`~ise_archive.warc.replay.answer_index`'s keys, by file name: a capture
    under the memento URL it came from, anything else under the URL asked) and
    every stored page to extract, in file order, each once.
    """
    answers: Answers = {}
    pages: dict[str, WarcLocation] = {}
    for record in iter_records(warc_dir):
        where = WarcLocation(record.filename, record.offset)
        uri = record.source_uri if record.role in CAPTURE_ROLES else record.target_uri
        if uri:
            answers.setdefault(record.filename, {})[answer_key(uri)] = where
        # a page stopped at its size cap kept no bytes: the crawl refuses it unread
        if record.role == "capture" and record.status == 200 and not record.truncated:
            pages.setdefault(_page_key(record, options), where)
    return answers, list(pages.items())


def extract_pages(
    warc_dir: Path,
    pages: list[StoredPage],
    options: ExtractOptions,
    *,
    workers: int | None = None,
) -> Iterator[list[tuple[str, Any]]]:
    """Read and extract ``pages`` in ``workers`` processes (all cores by default):
    each batch's ``(key, Post | Skip | ExtractionError)``, as it is done.

    The processes start here, in the caller's thread (the results may be taken
    in another: forking from the thread that waits for them would copy its locks
    mid-use); closing the iterator early cancels the batches not yet started.
    """
    batches = [pages[i : i + BATCH] for i in range(0, len(pages), BATCH)]
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        return (_extract_batch(warc_dir, batch, options) for batch in batches)
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_yield_to_crawl)
    futures = [
        pool.submit(_extract_batch, warc_dir, batch, options) for batch in batches
    ]
    return _as_done(pool, futures)


def _as_done(
    pool: ProcessPoolExecutor, futures: list[Future[list[tuple[str, Any]]]]
) -> Iterator[list[tuple[str, Any]]]:
    try:
        for future in as_completed(futures):
            yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def prepare_extraction(
    warc_dir: Path, options: ExtractOptions, *, workers: int | None = None
) -> dict[str, Any]:
    """Every stored page extracted: key -> its Post, Skip or ExtractionError (the
    extraction alone, as ``benchmarks/rebuild.py`` times it)."""
    _, pages = index_pages(warc_dir, options)
    prepared: dict[str, Any] = {}
    for results in extract_pages(warc_dir, pages, options, workers=workers):
        prepared.update(results)
    return prepared


def _yield_to_crawl() -> None:
    if hasattr(os, "nice"):  # POSIX
        os.nice(POOL_NICENESS)


def _page_key(record: StoredRecord, options: ExtractOptions) -> str:
    return page_extraction_key(
        record.payload,
        original=record.target_uri,
        timestamp=record.timestamp,
        headers=page_headers(replayed_headers(record)),
        options=options,
    )


def _extract_batch(
    warc_dir: Path, batch: list[StoredPage], options: ExtractOptions
) -> list[tuple[str, Any]]:
    results: list[tuple[str, Any]] = []
    for key, where in batch:
        record = read_record(warc_dir, where.filename, where.offset)
        page = PostPage(
            record.payload,
            url=record.target_uri,
            timestamp=record.timestamp,
            headers=page_headers(replayed_headers(record)),
            options=options,
        )
        try:
            results.append((key, page.to_item()))
        except IseArchiveError as exc:
            results.append((key, exc))
    return results
