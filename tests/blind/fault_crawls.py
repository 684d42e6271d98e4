"""Crawls of a harsh archive for the blind fault round (``test_faults_*.py``).

Written from the README and docs/ only. Each case serves the dev corpus from the
local Wayback imitation with faults the live archives inflict, runs the real
``scrapy crawl ise_blog`` and holds it to what the docs promise: the documented
exit code, every capture accounted for (``record + duplicate + skip + failed +
pending = captures_discovered``), nothing lost in silence, and a dataset that
``ise-archive validate`` and ``verify`` accept. Pauses are shortened (the
RELAXED settings of tests/e2e/crawl.py) and discovery asks one window of years
(``ISE_ARCHIVE_CDX_WINDOW_YEARS``), so a crawl takes a few seconds.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.blind.conftest import cli
from tests.e2e.crawl import last_report, read_records, run_crawl
from tests.wayback.archive import Archive
from tests.wayback.fixtures import DEV_CORPUS
from tests.wayback.server import RequestRecord, WaybackServer

#: one CDX window over the corpus's years: 14 CDX requests instead of 54
SMALL = {
    "ISE_ARCHIVE_FROM_YEAR": "2010",
    "ISE_ARCHIVE_TO_YEAR": "2017",
    "ISE_ARCHIVE_CDX_WINDOW_YEARS": "8",
    "LOG_LEVEL": "WARNING",
}


#: the exit code a FaultRun gets when the crawl was killed at its timeout
HUNG = -999


def _text(output: bytes | str | None) -> str:
    if isinstance(output, bytes):
        return output.decode("utf-8", "replace")
    return output or ""


@dataclass
class FaultRun:
    """One finished crawl: the process, its dataset and what the archive saw."""

    exit_code: int
    stdout: str
    stderr: str
    out: Path
    report: dict[str, Any]
    log: list[RequestRecord]
    seconds: float
    injected: dict[str, int]
    #: the archive's port: a next run must see the same WAYBACK_BASE_URL, or
    #: every record's archive_url changes
    port: int = 0

    def shown(self) -> str:
        """What a failed assertion prints: exit, report essentials, output heads."""
        keys = (
            "status",
            "reasons",
            "captures_discovered",
            "fetched",
            "failed",
            "discovery_failed",
            "accounting",
            "requests_by_status",
        )
        essentials = {k: self.report.get(k) for k in keys}
        return (
            f"exit {self.exit_code} in {self.seconds:.1f}s; injected {self.injected}\n"
            f"report: {json.dumps(essentials)}\n"
            f"stdout: {self.stdout[:1200]}\nstderr: {self.stderr[:2500]}"
        )


def dev_archive() -> Archive:
    return Archive.from_directory(DEV_CORPUS)


def crawl(
    server: WaybackServer, out: Path, *, timeout: float = 60, **settings: str
) -> FaultRun:
    """The real crawl of ``server`` into ``out`` (SMALL settings + ``settings``)."""
    mark = len(server.requests_log)
    started = time.monotonic()
    try:
        proc = run_crawl(server.base_url, out, timeout=timeout, **{**SMALL, **settings})
    except subprocess.TimeoutExpired as exc:
        # a hang is a finding, not an error of the test: report what it printed
        proc = subprocess.CompletedProcess(
            exc.cmd, HUNG, _text(exc.stdout), _text(exc.stderr)
        )
    seconds = time.monotonic() - started
    reports = sorted((out / "runs").glob("*.json")) if (out / "runs").is_dir() else []
    report = last_report(out) if reports else {}
    return FaultRun(
        proc.returncode,
        proc.stdout,
        proc.stderr,
        out,
        report,
        server.requests_log[mark:],
        seconds,
        server.faults.injected(),
        server.port,
    )


def fault_crawl(
    out: Path,
    spec: str = "",
    *,
    archive: Archive | None = None,
    max_rows: int = 150_000,
    timeout: float = 60,
    port: int = 0,
    **settings: str,
) -> FaultRun:
    """Serve ``archive`` (default: the dev corpus) with the faults of ``spec``
    (on ``port``, 0: any free one) and crawl it once."""
    server = WaybackServer(archive or dev_archive(), max_rows=max_rows, port=port)
    with server:
        if spec:
            server.faults.configure(spec)
        return crawl(server, out, timeout=timeout, **settings)


@dataclass(frozen=True)
class Posts:
    """What a dataset says of its posts, to compare a faulted crawl with a clean
    one: each full record's content and the capture it was read from, and the
    URLs of the partial records."""

    full: dict[str, tuple[str, str]]
    partial: frozenset[str]


def dataset_posts(out: Path) -> Posts:
    records = read_records(out, completeness=None)
    full = {
        r["url"]: (r["content_sha256"], r["capture"]["timestamp"])
        for r in records
        if r["completeness"] == "full"
    }
    partial = frozenset(r["url"] for r in records if r["completeness"] == "partial")
    return Posts(full, partial)


def assert_accounting_adds_up(run: FaultRun, *, pending: int = 0) -> None:
    """The docs' promise: record + duplicate + skip + failed + pending =
    captures_discovered, and every failure has a reason."""
    counts = run.report["accounting"]
    assert sum(counts.values()) == run.report["captures_discovered"], run.shown()
    assert counts["pending"] == pending, run.shown()
    failed_this_run = sum(run.report["failed"].values())
    assert failed_this_run <= counts["failed"], run.shown()


def assert_dataset_accepted(out: Path) -> None:
    """``ise-archive validate`` and ``verify`` both pass on the dataset."""
    validate = cli("validate", out)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    verify = cli("verify", out)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def assert_no_traceback(run: FaultRun) -> None:
    assert "Traceback" not in run.stderr, run.shown()


def assert_complete(run: FaultRun, clean: Posts) -> None:
    """Exit 0, nothing failed, the same posts read from the same captures as a
    crawl of the same archive without faults, and a dataset that checks out."""
    assert_no_traceback(run)
    assert run.exit_code == 0, run.shown()
    assert_accounting_adds_up(run)
    assert run.report["failed"] == {}, run.shown()
    assert run.report["discovery_failed"] == {}, run.shown()
    assert dataset_posts(run.out) == clean, run.shown()
    assert_dataset_accepted(run.out)


def assert_not_silently_short(run: FaultRun, clean: Posts) -> None:
    """Exit 0 only with every post a clean crawl finds; anything less must be
    said: a non-zero exit with the reason in the report, or failures counted."""
    assert_no_traceback(run)
    posts = dataset_posts(run.out)
    if run.exit_code == 0 and not run.report["failed"]:
        assert posts == clean, run.shown()


@pytest.fixture(scope="session")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> FaultRun:
    """A crawl of the dev corpus without faults."""
    run = fault_crawl(tmp_path_factory.mktemp("clean") / "out")
    assert run.exit_code == 0, run.shown()
    return run


@pytest.fixture(scope="session")
def clean(clean_run: FaultRun) -> Posts:
    """The posts of the dev corpus as a crawl without faults finds them."""
    return dataset_posts(clean_run.out)


def assert_next_run_completes(
    run: FaultRun, clean: Posts, archive: Archive | None = None
) -> FaultRun:
    """Run the same command again, the archive healed: the docs say transient
    failures are retried and the run resumes, so the dataset ends complete."""
    again = fault_crawl(run.out, archive=archive, port=run.port)
    assert_no_traceback(again)
    assert again.exit_code == 0, again.shown()
    assert_accounting_adds_up(again)
    assert dataset_posts(again.out) == clean, again.shown()
    assert_dataset_accepted(again.out)
    return again
