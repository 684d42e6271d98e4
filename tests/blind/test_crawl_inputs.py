"""``scrapy crawl ise_blog`` with bad ``-s`` settings, ``-a`` arguments and paths.

Promise checked (docs/operations.md, exit codes): "3: the run could not start: a
bad setting, `-a` argument or option, an OUTPUT_DIR that cannot be written, an
unusable state database; one line per problem on stderr, nothing was requested".
Every case runs against the blind round's imitation and checks that it received
no request. The other cases of this round (bad `-a` values, misspelt settings, a
broken filter regex, an unusable JOBDIR or LOG_FILE, `-L BOGUS`) joined the
bad-value table of tests/spiders/test_commands.py.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.blind.conftest import assert_one_clear_line
from tests.e2e.crawl import run_crawl
from tests.wayback.server import WaybackServer

NOT_WRITABLE = "/proc/ise-archive-blind"  # even root cannot create this

pytestmark = pytest.mark.e2e


def crawl_refused(
    server: WaybackServer, out: Path, *args: str, **settings: str
) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run the crawl; assert exit 3, one stderr line, no request; the line."""
    before = len(server.requests_log)
    proc = run_crawl(
        server.base_url, out, *args, timeout=120, LOG_LEVEL="WARNING", **settings
    )
    line = assert_one_clear_line(proc, 3)
    assert len(server.requests_log) == before, "requests were made"
    return proc, line


def test_state_database_that_is_not_sqlite(
    blind_server: WaybackServer, tmp_path: Path
) -> None:
    state = tmp_path / "out" / ".state" / "state.sqlite3"
    state.parent.mkdir(parents=True)
    state.write_text("garbage\n", encoding="utf-8")
    _, line = crawl_refused(blind_server, tmp_path / "out")
    assert "state.sqlite3" in line
    assert state.read_text(encoding="utf-8") == "garbage\n"


@pytest.mark.parametrize("kind", ["file"])
def test_unusable_jobdir_stops_before_any_request(
    blind_server: WaybackServer, tmp_path: Path, kind: str
) -> None:
    """README documents `-s JOBDIR=crawls/ise-1`. A JOBDIR that is a file or cannot
    be created gives "[asyncio] ERROR: Task exception was never retrieved", two or
    three tracebacks (NotADirectoryError / RuntimeError: Engine slot not assigned)
    and exit 70, "a bug"."""
    if kind == "file":
        jobdir = tmp_path / "a-file"
        jobdir.write_text("mine\n", encoding="utf-8")
    else:
        jobdir = Path(NOT_WRITABLE) / "job"
    _, line = crawl_refused(blind_server, tmp_path / "out", JOBDIR=str(jobdir))
    assert "JOBDIR" in line
