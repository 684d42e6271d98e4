"""``ise-archive rebuild``: the whole dataset again, from the stored WARC files alone.

The WARC files hold every answer the crawl was given (CDX pages, captures, the
archive's redirects and "not archived" pages), so a rebuild runs *the same crawl*
again with them as its archive (:mod:`ise_archive.warc.replay`): discovery,
selection, duplicates and skips come out as they did, no request leaves the
machine, and the records are the current extractor's reading of the stored bytes.

Extraction is where the time goes, so a pool of processes extracts every stored
page *while* the crawl runs (:mod:`ise_archive.warc.readahead`: one sequential pass
over the WARC files indexes every stored answer for the crawl's download handler and
names the pages; the pool reads and extracts them, and the results reach the crawl
as they are done, :mod:`ise_archive.warc.prepared`): the crawl's own work and the
extraction share the cores. The crawl takes each result whose input is exactly the
one it would have read (same bytes, capture, headers and options), and reads any
other page itself.

A dataset is usually the work of several runs (nightly, incremental), each adding
its own WARC files: the rebuild replays them *in order*, one crawl per run, each
with the settings that run wrote in its files' ``warcinfo`` record and answered
only by the records of the runs up to it (a later run's answer to the same
question wins), all into one crawl state. So each replayed run sees what the
original run saw, decides what it decided, and the last one leaves the dataset the
last run left (versions found by earlier runs included). Politeness is off (nothing
is fetched). The crawl itself runs in a child
process (``python -m spiders.rebuild``): this module never imports Scrapy.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from ise_archive.dataset.paths import MANIFEST_FILE, WACZ_FILE, WARC_DIR
from ise_archive.errors import DatasetError
from ise_archive.exit_codes import ExitCode
from ise_archive.extract import ExtractOptions
from ise_archive.store.state import DEFAULT_STATE_PATH
from ise_archive.warc.prepared import PreparedWriter
from ise_archive.warc.readahead import StoredPage, extract_pages, index_pages
from ise_archive.warc.reader import reading, warc_files
from ise_archive.warc.replay import save_answers
from ise_archive.warc.writer import WarcLocation

logger = logging.getLogger(__name__)

#: The warcinfo fields where a crawl records the settings and arguments it ran with.
SETTINGS_FIELD = "ise-archive-settings"
ARGUMENTS_FIELD = "ise-archive-arguments"
#: ... and the extraction options its spider built from them (read pages alike).
OPTIONS_FIELD = "ise-archive-extract-options"

#: Settings that decide what a crawl requests and how it reads pages: stored in
#: every WARC file's warcinfo, replayed by a rebuild. Politeness, paths and WARC
#: writing are the rebuild's own (:data:`REBUILDS_OWN`).
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
    "ISE_ARCHIVE_CDX_PORT_FORMS",
    "ISE_ARCHIVE_FOLLOW_LISTINGS",
    "ISE_ARCHIVE_LISTING_SAMPLING",
    "ISE_ARCHIVE_MAX_PAGE_BYTES",
    "ISE_ARCHIVE_MAX_ATTEMPTS",
    "ISE_ARCHIVE_TRUNCATED_RETRIES",
    "ISE_ARCHIVE_RECHECK_RUNS",
    "ISE_ARCHIVE_MAX_FAILURE_SHARE",
    "ISE_ARCHIVE_PLAN_BATCH",
    "ISE_ARCHIVE_ATTACHMENTS",
    "ISE_ARCHIVE_MAX_ATTACHMENT_BYTES",
    "ISE_ARCHIVE_CHECK_LINKS",
)

#: The settings a rebuild does not take from the crawl: where things are, pacing,
#: WARC writing, the progress view (tests/warc/test_rebuild.py: every other
#: ISE_ARCHIVE_ setting must be replayed).
REBUILDS_OWN = (
    "ISE_ARCHIVE_STATE_PATH",
    "ISE_ARCHIVE_WARC_ENABLED",
    "ISE_ARCHIVE_WARC_MAX_BYTES",
    "ISE_ARCHIVE_REPLAY_WARC_DIR",
    "ISE_ARCHIVE_REPLAY_ANSWERS",
    "ISE_ARCHIVE_PREPARED_PAGES",
    "ISE_ARCHIVE_CDX_RPM",
    "ISE_ARCHIVE_REPLAY_RPS",
    "ISE_ARCHIVE_CDX_CONCURRENCY",
    "ISE_ARCHIVE_REPLAY_CONCURRENCY",
    "ISE_ARCHIVE_RATE_RECOVERY",
    "ISE_ARCHIVE_RETRY_AFTER_MAX",
    "ISE_ARCHIVE_STOP_ON_REFUSED",
    "ISE_ARCHIVE_UNREACHABLE_AFTER",
    "ISE_ARCHIVE_PROGRESS_INTERVAL",
    "ISE_ARCHIVE_PROGRESS_VIEW",
    "ISE_ARCHIVE_RETRY_BACKOFF_BASE",
    "ISE_ARCHIVE_RETRY_BACKOFF_MAX",
    "ISE_ARCHIVE_429_PAUSE",
    "ISE_ARCHIVE_429_BACKOFF",
    "ISE_ARCHIVE_429_MAX_RETRIES",
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

#: A WARC file's name: ``ise-archive-<run>-<n>.warc.gz`` (ise_archive.warc.writer).
_RUN_FILE = re.compile(r"^ise-archive-(?P<run>.+)-\d{5}\.warc\.gz$")


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


@dataclass(frozen=True, slots=True)
class StoredRun:
    """One crawl run as its WARC files tell it: its files (in order) and the
    settings, spider arguments and extraction options it ran with."""

    run_id: str
    files: tuple[str, ...]
    settings: dict[str, Any]
    arguments: dict[str, Any]
    options: dict[str, Any]


def stored_runs(warc_dir: Path) -> list[StoredRun]:
    """Every run that left WARC files under ``warc_dir``, oldest first.

    A run's files are named after it (``ise-archive-<run>-<n>.warc.gz``, run ids
    sort by time); its settings are read from its first file's ``warcinfo``.
    """
    files = warc_files(warc_dir)
    if not files:
        raise DatasetError(f"{warc_dir}: no WARC files to rebuild from")
    groups: dict[str, list[Path]] = {}
    for path in files:
        named = _RUN_FILE.match(path.name)
        groups.setdefault(named["run"] if named else path.name, []).append(path)
    return [
        StoredRun(run_id, tuple(p.name for p in paths), *_warcinfo_run(paths[0]))
        for run_id, paths in groups.items()
    ]


def stored_run(warc_dir: Path) -> tuple[dict[str, Any], ...]:
    """(settings, spider arguments, extraction options) of the newest run."""
    run = stored_runs(warc_dir)[-1]
    return run.settings, run.arguments, run.options


def _warcinfo_run(path: Path) -> tuple[dict[str, Any], ...]:
    with path.open("rb") as handle:
        with reading(path.name):
            record = next(iter(ArchiveIterator(handle)), None)
            info = record is not None and record.rec_type == "warcinfo"
            content = record.content_stream().read() if info else b""
        if info:
            fields = _warcinfo_fields(content)
            try:
                return tuple(
                    json.loads(fields.get(name, "{}"))
                    for name in (SETTINGS_FIELD, ARGUMENTS_FIELD, OPTIONS_FIELD)
                )
            except ValueError as exc:
                raise DatasetError(f"{path.name}: bad warcinfo: {exc}") from exc
    raise DatasetError(f"{path.name}: no warcinfo record")


def rebuild(source: Path, out: Path, *, workers: int | None = None) -> int:
    """Rebuild the dataset of ``source`` into ``out`` (may be ``source``).

    Returns the exit status of the replayed runs: the last one's, or 1 if an
    earlier one failed (each is run even so, as the nightly runs were), or the
    first that could not finish. ``out`` gets a copy of the WARC files (and the
    WACZ) when it is another directory, and the rebuilt crawl state.
    """
    runs = stored_runs(source / WARC_DIR)
    out.mkdir(parents=True, exist_ok=True)
    if out.resolve() != source.resolve():
        _copy_evidence(source, out)
    try:
        options = ExtractOptions(**runs[-1].options)
    except TypeError as exc:  # written by another version: the crawl reads alone
        logger.warning("Extraction options not reusable (%(exc)s)", {"exc": exc})
        options = ExtractOptions()
    state_path = out / DEFAULT_STATE_PATH
    state_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=state_path.parent, prefix="rebuild-") as work:
        last_run = _keep(source, out, Path(work))
        answers_by_file, pages = index_pages(out / WARC_DIR, options)
        workers = workers or max(1, (os.cpu_count() or 1) - 1)  # one is the crawl's
        reading = _ReadAhead(out / WARC_DIR, pages, options, Path(work), workers)
        try:
            status = _replay_runs(runs, answers_by_file, last_run, out, Path(work))
        except BaseException:  # Ctrl-C included: what the pool says adds nothing
            reading.stop(quietly=True)
            raise
        reading.stop()
        if status not in (ExitCode.OK, ExitCode.FAILED):
            return status
        for suffix in ("", "-wal", "-shm"):
            _remove(state_path.with_name(state_path.name + suffix))
        os.replace(Path(work) / "state.sqlite3", state_path)
    return int(status)


def _replay_runs(
    runs: list[StoredRun],
    answers_by_file: Mapping[str, Mapping[str, WarcLocation]],
    last_run: list[tuple[Path, Path]],
    out: Path,
    work: Path,
) -> int:
    """Replay ``runs`` in turn: the last one's status, or 1 if an earlier one
    failed, or the first status that is neither 0 nor 1."""
    answers: dict[str, WarcLocation] = {}
    worst = ExitCode.OK
    for number, run in enumerate(runs, start=1):
        for name in run.files:  # a later run's answer to a question wins
            answers.update(answers_by_file.get(name, {}))
        save_answers(work / "answers.pickle", answers)
        if number == len(runs):
            _restore(last_run, out)
        status = _replay(run, out, work)
        if status not in (ExitCode.OK, ExitCode.FAILED):
            return status
        worst = max(worst, status)
    return int(worst)


class _ReadAhead:
    """The pool extracting every stored page, run from a thread of this process
    while the replays run, its results handed to them as they come
    (:mod:`ise_archive.warc.prepared`, in ``work/prepared``)."""

    def __init__(
        self,
        warc_dir: Path,
        pages: list[StoredPage],
        options: ExtractOptions,
        work: Path,
        workers: int | None,
    ) -> None:
        self.stream = PreparedWriter(work / "prepared")
        self.stream.expect(key for key, _ in pages)
        self._results = extract_pages(warc_dir, pages, options, workers=workers)
        self._stopping = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="read-ahead")
        self._thread.start()

    def _run(self) -> None:
        try:
            for results in self._results:
                if self._stopping.is_set():
                    break
                self.stream.add(results)
        except BaseException as exc:  # raised again in the rebuild's thread
            self._failure = exc
        finally:
            self._results.close()  # cancels what was not started
            self.stream.finish()

    def stop(self, *, quietly: bool = False) -> None:
        """Wait for the pool (cancelling what the replays no longer need); raise
        what it failed with, unless ``quietly``."""
        self._stopping.set()
        self._thread.join()
        if self._failure is not None and not quietly:
            raise self._failure


def _replay(run: StoredRun, out: Path, work: Path) -> int:
    """Run the crawl of ``run`` again (``python -m spiders.rebuild``), answered from
    the index in ``work``; its exit status."""
    job = {
        "settings": {
            **{k: v for k, v in run.settings.items() if k in REPLAYED_SETTINGS},
            **UNPACED,
            "OUTPUT_DIR": str(out),
            "ISE_ARCHIVE_STATE_PATH": str(work / "state.sqlite3"),
            "ISE_ARCHIVE_REPLAY_WARC_DIR": str(out / WARC_DIR),
            "ISE_ARCHIVE_REPLAY_ANSWERS": str(work / "answers.pickle"),
            "ISE_ARCHIVE_PREPARED_PAGES": str(work / "prepared"),
        },
        "arguments": run.arguments,
    }
    job_path = work / "job.json"
    job_path.write_text(json.dumps(job), encoding="utf-8")
    logger.info("Replaying run %(run)s", {"run": run.run_id})
    return subprocess.run(
        [sys.executable, "-m", "spiders.rebuild", str(job_path)], check=False
    ).returncode


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


def _keep(source: Path, out: Path, work: Path) -> list[tuple[Path, Path]]:
    """Copies of the last run's manifest and WACZ, which the replays of earlier runs
    rewrite: put back before the last replay (:func:`_restore`), content that comes
    out the same keeps that run's id and time
    (:func:`ise_archive.dataset.manifest.crawl_of_content`) and its WACZ."""
    kept = []
    for name in (MANIFEST_FILE, WACZ_FILE):
        if (source / name).is_file():
            shutil.copy2(source / name, work / name)
            kept.append((work / name, out / name))
    return kept


def _restore(kept: list[tuple[Path, Path]], out: Path) -> None:
    for copy, target in kept:
        os.replace(copy, target)
