"""Answering a crawl's requests from the stored WARC records, for ``rebuild``.

A rebuild runs the same crawl again with the WARC files as its archive: every
request the crawler makes (a CDX page, a capture in raw mode, a redirect the archive
answered) is looked up by its URL among the stored records (a CDX page by what it
asks, :func:`answer_key`) and answered with what was stored. A capture record holds
what the *original* server sent, so the archive's replay of it is put back together
here: the original headers with ``Memento-Datetime`` from the capture date. An
archived redirect keeps its original ``Location``, as pywb replays it: the crawler
resolves it against the capture's own URL and time
(:func:`ise_archive.archive.wayback.redirect_target`), exactly where the Wayback
Machine's rewritten ``Location`` pointed.

:func:`page_extraction_key` names one extraction (bytes, capture, headers, options),
so extraction done ahead in other processes is only used by the crawler for
exactly the input it would have read itself.

This module does not run the crawler (see :mod:`ise_archive.warc.rebuild`).
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Mapping
from email.utils import formatdate
from pathlib import Path
from typing import Any

from ise_archive.archive.cdx import cdx_query_key
from ise_archive.warc.reader import StoredRecord, iter_heads
from ise_archive.warc.writer import CAPTURE_ROLES, WarcLocation

#: Headers the crawler leaves out of what it gives the extractor (the transfer's).
TRANSFER_HEADERS = frozenset(
    {"content-length", "content-encoding", "transfer-encoding"}
)


def answer_index(warc_dir: Path) -> dict[str, WarcLocation]:
    """:func:`answer_key` -> the stored record that answers it (a later run's wins).

    A capture is found under the memento URL it was fetched from
    (``WARC-Source-URI``), an archive answer under the URL asked.
    """
    return {
        answer_key(url): WarcLocation(filename, offset)
        for filename, offset, _, url, _ in iter_heads(warc_dir)
        if url
    }


def answer_key(url: str) -> str:
    """Where the answer to a request for ``url`` is indexed: a CDX query by what it
    asks (:func:`~ise_archive.archive.cdx.cdx_query_key`: the same question in
    another parameter order or encoding finds it), anything else by its URL."""
    return cdx_query_key(url) or url


def replayed_headers(record: StoredRecord) -> list[tuple[str, str]]:
    """The headers the archive answered with: as stored, or rebuilt for a capture.

    >>> from ise_archive.warc.reader import _record
    >>> replayed_headers(_record(date="2011-01-14T07:11:09Z",
    ...     headers=(("Location", "/blog/a"),)))
    [('Location', '/blog/a'), ('Memento-Datetime', 'Fri, 14 Jan 2011 07:11:09 GMT')]
    """
    headers = list(record.headers)
    if record.role not in CAPTURE_ROLES:
        return headers
    headers.append(("Memento-Datetime", formatdate(_epoch(record.date), usegmt=True)))
    return headers


def page_headers(headers: list[tuple[str, str]]) -> dict[str, str]:
    """What the crawler gives the extractor: lower-case names, no transfer headers,
    repeated names joined as Scrapy joins them."""
    merged: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        if key in TRANSFER_HEADERS:
            continue
        merged[key] = f"{merged[key]},{value}" if key in merged else value
    return merged


def page_extraction_key(
    body: bytes,
    *,
    original: str,
    timestamp: str,
    headers: Mapping[str, str],
    options: Any,
) -> str:
    """A name for one extraction's whole input: same key, same result."""
    digest = hashlib.sha256(body)
    for part in (original, timestamp, repr(sorted(headers.items())), repr(options)):
        digest.update(b"\0" + part.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def save_answers(path: Path, answers: Mapping[str, WarcLocation]) -> None:
    """Hand an answer index (:func:`answer_index`'s keys) to the crawl's download
    handlers (a pickle: both sides are this program, and the file lives in the
    rebuild's private work directory)."""
    _save(path, dict(answers))


def load_answers(path: str) -> dict[str, WarcLocation]:
    """The answer index :func:`save_answers` wrote at ``path``."""
    return _load(path)


def _save(path: Path, value: object) -> None:
    with path.open("wb") as handle:
        pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)


def _load(path: str) -> Any:
    with Path(path).open("rb") as handle:
        return pickle.load(handle)


def _epoch(warc_date: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(warc_date.replace("Z", "+00:00")).timestamp()
