"""``manifest.json``: what a dataset holds, which run wrote it, and from where.

The manifest lists every file with its checksum (what ``ise-archive validate``
checks), the tool version, the archives read, the run's parameters and counts, and
the ``crawl`` block: the id and UTC start of the run that wrote the content and
whether it finished (``complete``, with ``incomplete_reason``). This module builds the
manifest as data; :mod:`ise_archive.dataset.writer` writes it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ise_archive.dataset.card import archive_title
from ise_archive.dataset.paths import CARD_FILE, MANIFEST_FILE, safe_join
from ise_archive.errors import DatasetError

#: 2: ``crawl`` (run id, UTC time, complete, reason) and ``archives`` were added.
MANIFEST_FORMAT = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class RunInfo:
    """What the manifest and card say about the run that made the dataset.

    ``archives`` are the roots fetched from (default: ``source_archive``, the base
    of every ``archive_url``, which differs when a local mirror stands in).
    ``run_id`` and ``started`` (UTC) name the crawl;
    ``complete`` is False, with ``incomplete_reason``, when the run stopped before
    it had processed every capture it listed (blocked, interrupted, discovery
    failed), so a reader knows the dataset may lack posts.

    The run's time is the only clock value in the dataset, and it changes only with
    the content: a run that changes nothing else keeps the previous run's id and
    time, so an unchanged archive still gives a byte-identical dataset (every run
    has its own report in ``runs/``).
    """

    tool_version: str
    source_archive: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    archives: tuple[str, ...] = ()
    run_id: str | None = None
    started: datetime | None = None
    complete: bool = True
    incomplete_reason: str = ""


def render_manifest(
    run: RunInfo,
    parameters: Any,
    counts: Mapping[str, Any],
    entries: Mapping[str, tuple[str, int]],
) -> dict[str, Any]:
    """``manifest.json`` without its ``crawl`` block (see :func:`crawl_of_content`)."""
    return {
        "manifest_format": MANIFEST_FORMAT,
        "tool": {"name": "ise-archive", "version": run.tool_version},
        "source_archive": run.source_archive,
        "archives": [dict(a) for a in archives_used(run)],
        "parameters": parameters,
        "counts": dict(counts),
        "files": file_list(entries),
    }


def file_list(entries: Mapping[str, tuple[str, int]]) -> list[dict[str, Any]]:
    return [
        {"path": path, "sha256": sha256, "size": size}
        for path, (sha256, size) in sorted(entries.items())
        if path != MANIFEST_FILE
    ]


def archives_used(run: RunInfo) -> list[dict[str, str]]:
    """``[{title, url}]`` of each archive the run fetched from, titled by what it
    is (a local imitation is not the Internet Archive)."""
    urls = dict.fromkeys(u.rstrip("/") for u in run.archives or (run.source_archive,))
    return [{"title": archive_title(url), "url": url} for url in urls]


def crawl_block(run: RunInfo) -> dict[str, Any]:
    """The manifest's ``crawl`` block: which run wrote this, when, and if it ended."""
    started = run.started.astimezone(UTC) if run.started else None
    return {
        "run_id": run.run_id,
        "started": started.strftime("%Y-%m-%dT%H:%M:%SZ") if started else None,
        "complete": run.complete,
        "incomplete_reason": None if run.complete else (run.incomplete_reason or "?"),
    }


def crawl_of_content(
    root: Path, manifest: Mapping[str, Any], crawl: dict[str, Any]
) -> dict[str, Any]:
    """``crawl``, or the previous manifest's when nothing but the run changed.

    Compared: everything in the manifest except the card (which shows the time) and
    the run's id and time. So a quiet re-run leaves every file as it was.
    """
    try:
        previous = json.loads(safe_join(root, MANIFEST_FILE).read_bytes())
    except (OSError, ValueError):
        return crawl
    if not isinstance(previous, dict) or not isinstance(previous.get("crawl"), dict):
        return crawl
    old_crawl = previous["crawl"]
    same_run = {k: old_crawl.get(k) for k in ("complete", "incomplete_reason")} == {
        k: crawl[k] for k in ("complete", "incomplete_reason")
    }
    if same_run and _content_key(previous) == _content_key(manifest):
        return {
            **crawl,
            "run_id": old_crawl.get("run_id"),
            "started": old_crawl.get("started"),
        }
    return crawl


def _content_key(manifest: Mapping[str, Any]) -> Any:
    files = manifest.get("files")
    listed = (
        sorted(
            json.dumps(f, sort_keys=True)
            for f in files
            if isinstance(f, dict) and f.get("path") not in (CARD_FILE, MANIFEST_FILE)
        )
        if isinstance(files, list)
        else None
    )
    rest = {k: v for k, v in manifest.items() if k not in ("files", "crawl")}
    return json.dumps(rest, sort_keys=True, default=str), listed


def plain_parameters(value: Any) -> Any:
    """Run parameters as JSON data; paths become strings, sets sorted lists."""
    if isinstance(value, Mapping):
        return {str(k): plain_parameters(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_parameters(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(plain_parameters(v) for v in value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise DatasetError(f"run parameter {value!r} cannot be written as JSON")
