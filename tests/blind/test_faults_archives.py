"""Blind fault round: the archive as a whole going away, alone or beside another.

docs/operations.md: an archive that refuses connections or cannot be reached ends
the run with exit 75 and one ERROR line (``cannot reach ...``), the state kept, and
the next run resumes; docs/archives.md: with ``ISE_ARCHIVE_MORE_ARCHIVES`` a post
the main archive holds is fetched from it, the others only fill gaps.
"""

from __future__ import annotations

import socket
from pathlib import Path

from tests.blind.fault_crawls import (
    Posts,
    assert_accounting_adds_up,
    assert_next_run_completes,
    assert_no_traceback,
    assert_not_silently_short,
    clean,
    clean_run,
    dataset_posts,
    fault_crawl,
)

__all__ = ["clean", "clean_run"]


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed: connects are
    refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_index_closing_its_port_during_discovery(
    tmp_path: Path, clean: Posts
) -> None:
    """The CDX server's firewall for 3 s right at the start, then back: the run
    rides it out, or stops with exit 75 and the one documented ERROR line; the
    next run completes."""
    run = fault_crawl(tmp_path / "out", "refuse@cdx,first=1,block_ms=3000")
    assert_no_traceback(run)
    assert run.exit_code in (0, 75), run.shown()
    if run.exit_code == 75:
        errors = [line for line in run.stderr.splitlines() if "ERROR" in line]
        assert len(errors) == 1 and "cannot reach" in errors[0], run.shown()
    else:
        assert_accounting_adds_up(run)
        assert_not_silently_short(run, clean)
    assert_next_run_completes(run, clean)


def test_a_second_archive_that_is_down(tmp_path: Path, clean: Posts) -> None:
    """The main archive is up and holds every post; the one named in
    ``ISE_ARCHIVE_MORE_ARCHIVES`` refuses every connection. The run must not lose
    the main archive's posts to it: every post is written, and the run says the
    other archive could not be read (exit 1 for its failed CDX requests, or 75
    naming it), within a minute."""
    other = f"wayback:http://127.0.0.1:{closed_port()}"
    run = fault_crawl(tmp_path / "out", ISE_ARCHIVE_MORE_ARCHIVES=other)
    assert_no_traceback(run)
    assert run.seconds < 60, run.shown()
    assert run.exit_code in (1, 75), run.shown()
    assert f"127.0.0.1:{other.rsplit(':', 1)[1]}" in run.stderr + run.stdout
    assert dataset_posts(run.out) == clean, run.shown()
