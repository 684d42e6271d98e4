"""Fixtures of the blind round: a crawled dev dataset and the command as users run it.

The cases in this folder were written from the README, docs/ and ``--help`` only,
without reading the implementation, as a demanding newcomer or archivist would try
the commands. Each runs the real command in a subprocess (``python -m ise_archive``,
which the README calls the same command as ``ise-archive``; ``scrapy crawl
ise_blog`` from the checkout) and asserts what the docs promise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.crawl import ROOT, run_crawl
from tests.wayback.archive import Archive
from tests.wayback.fixtures import DEV_CORPUS
from tests.wayback.server import WaybackServer


def cli(
    *args: str | Path, stdin: bytes | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``ise-archive ARGS`` as a user runs it, from the checkout."""
    proc = subprocess.run(
        [sys.executable, "-m", "ise_archive", *map(str, args)],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        timeout=timeout,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        check=False,
    )
    return subprocess.CompletedProcess(
        proc.args,
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


def stderr_lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.strip()]


def assert_one_clear_line(proc: subprocess.CompletedProcess[str], code: int) -> str:
    """The documented exit code, one line on stderr, no traceback; the line."""
    shown = (
        f"exit {proc.returncode}\nstdout: {proc.stdout[:800]}\n"
        f"stderr: {proc.stderr[:1500]}"
    )
    assert "Traceback" not in proc.stderr, shown
    assert proc.returncode == code, shown
    lines = stderr_lines(proc)
    assert len(lines) == 1, shown
    return lines[0]


@pytest.fixture(scope="session")
def blind_server() -> Iterator[WaybackServer]:
    """One imitation of the dev corpus for the whole blind round."""
    with WaybackServer(Archive.from_directory(DEV_CORPUS)) as server:
        yield server


@pytest.fixture(scope="session")
def crawled(
    blind_server: WaybackServer, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A dataset as the README's crawl writes it (dev corpus, WARC on), in a
    directory whose name has a space and non-ASCII letters."""
    out = tmp_path_factory.mktemp("blind") / "dataset ünï"
    proc = run_crawl(blind_server.base_url, out, LOG_LEVEL="WARNING")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


@pytest.fixture
def dataset(crawled: Path, tmp_path: Path) -> Path:
    """A private copy of the crawled dataset, to damage."""
    copy = tmp_path / "dataset ünï"
    shutil.copytree(crawled, copy)
    return copy
