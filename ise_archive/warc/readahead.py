"""Reading every stored page ahead of a rebuild's crawl, on all cores.

Extraction is where a rebuild's time goes, so it is done first, for every stored
page at once: this process reads the WARC files once, in order, and a pool of
processes extracts (reading overlaps extraction). The same pass indexes every stored
answer, file by file, for the crawl's download handler
(:mod:`spiders.warc_replay`). The crawl then takes each result whose input is
exactly the one it would have read
(:func:`~ise_archive.warc.replay.page_extraction_key`).

This module does not run the crawl (see :mod:`ise_archive.warc.rebuild`).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from ise_archive.errors import IseArchiveError
from ise_archive.extract import ExtractOptions, PostPage
from ise_archive.warc.reader import iter_records
from ise_archive.warc.replay import (
    answer_key,
    page_extraction_key,
    page_headers,
    replayed_headers,
)
from ise_archive.warc.writer import CAPTURE_ROLES, WarcLocation

#: Pages handed to one worker at a time: large enough to amortise the pickling.
BATCH = 32
#: Batches in flight per worker: keeps every worker busy while the pass reads on,
#: and bounds the payloads held in memory (a batch is ~32 pages of ~10 kB).
AHEAD = 3

#: One page to extract: payload, original URL, timestamp, headers as the crawler
#: gives them to the extractor.
Page = tuple[bytes, str, str, dict[str, str]]


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
) -> tuple[dict[str, dict[str, WarcLocation]], dict[str, Any]]:
    """One pass over the WARC files: each file's answer index
    (:func:`~ise_archive.warc.replay.answer_index`'s keys, by file name) and every
    stored page extracted (:func:`prepare_extraction`).

    Each file is read once, in order (it was read three times: an index for the
    extraction, one seek per page, another index in the crawl); this process reads
    and the workers extract, so reading overlaps extraction.
    """
    answers: dict[str, dict[str, WarcLocation]] = {}
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


def _pages(
    warc_dir: Path, answers: dict[str, dict[str, WarcLocation]]
) -> Iterator[Page]:
    """Every stored page to extract, indexing every record into ``answers`` of its
    file on the way (a capture under the memento URL it came from, anything else
    under the URL asked)."""
    for record in iter_records(warc_dir):
        uri = record.source_uri if record.role in CAPTURE_ROLES else record.target_uri
        if uri:
            where = WarcLocation(record.filename, record.offset)
            answers.setdefault(record.filename, {})[answer_key(uri)] = where
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
