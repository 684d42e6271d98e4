"""``scrapy crawl ise_blog`` with bad ``-s`` settings, ``-a`` arguments and paths.

Promise checked (docs/operations.md, exit codes): "3: the run could not start: a
bad setting, `-a` argument or option, an OUTPUT_DIR that cannot be written, an
unusable state database; one line per problem on stderr, nothing was requested".
Every case runs against the blind round's imitation and checks that it received
no request.
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


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["-a", "version=all"], "versions"),
        (["-a", "versions=some"], "versions"),
        (["-a", "from=2015", "-a", "to=2011"], "from"),
        (["-a", "from=-2011"], "from"),
        (["-a", "from=123456789012345"], "from"),
        (["-a", "from="], "from"),
        (["-a", "prefix=http://example.com/"], "prefix"),
        (["-a", "prefix="], "prefix"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else v,
)
def test_bad_argument_stops_before_any_request(
    blind_server: WaybackServer, tmp_path: Path, args: list[str], named: str
) -> None:
    _, line = crawl_refused(blind_server, tmp_path / "out", *args)
    assert named in line


@pytest.mark.parametrize("value", ["20151399"])
def test_impossible_date_in_from_stops_before_any_request(
    blind_server: WaybackServer, tmp_path: Path, value: str
) -> None:
    """`-a from=20151399` (month 13, day 99) is "1-14 digits" but no date; issue 15
    asks "malformed timestamps" to be refused; it runs with exit 0."""
    _, line = crawl_refused(blind_server, tmp_path / "out", "-a", f"from={value}")
    assert value in line


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ISE_ARCHIVE_CDX_RPM", "-5"),
        ("ISE_ARCHIVE_CDX_RPM", "abc"),
        ("ISE_ARCHIVE_CDX_RPM", "1e400"),
        ("ISE_ARCHIVE_CDX_RPM", "nan"),
        ("ISE_ARCHIVE_REPLAY_RPS", "inf"),
        ("ISE_ARCHIVE_WARC_ENABLED", "maybe"),
        ("ISE_ARCHIVE_MAX_FAILURE_SHARE", "1.5"),
        ("ISE_ARCHIVE_WARC_MAX_BYTES", "-1"),
        ("ISE_ARCHIVE_MORE_ARCHIVES", "ftp://x"),
        ("ISE_ARCHIVE_CDX_COLLAPSE", "nosuchfield"),  # line: "ISE_ARCHIVE_CDX_*"
        ("ISE_ARCHIVE_CDX_FILTERS", "bogusfield:200"),
        ("CONCURRENT_REQUESTS", "0"),
        ("DOWNLOAD_TIMEOUT", "-1"),
        ("WAYBACK_BASE_URL", "notaurl"),
    ],
    ids=lambda v: v,
)
def test_bad_setting_stops_before_any_request(
    blind_server: WaybackServer, tmp_path: Path, name: str, value: str
) -> None:
    _, line = crawl_refused(blind_server, tmp_path / "out", **{name: value})
    assert name.removesuffix("_COLLAPSE").removesuffix("_FILTERS") in line


def test_misspelled_project_setting_is_refused(
    blind_server: WaybackServer, tmp_path: Path
) -> None:
    """`-a version=all` gets "did you mean -a versions"; `-s ISE_ARCHIVE_REPLAY_RPN=5`
    (RPS meant) is silently ignored and the run goes at the default rate, exit 0."""
    _, line = crawl_refused(blind_server, tmp_path / "out", ISE_ARCHIVE_REPLAY_RPN="5")
    assert "ISE_ARCHIVE_REPLAY_RPN" in line


def test_cdx_filter_with_a_broken_regex_is_refused(
    blind_server: WaybackServer, tmp_path: Path
) -> None:
    """`-s ISE_ARCHIVE_CDX_FILTERS='statuscode:('`: the field is checked, the regex
    is not; the crawl sends 52 CDX requests that all get HTTP 400, prints 52 ERROR
    lines, writes an empty dataset and exits 1 advising to "run again"."""
    _, line = crawl_refused(
        blind_server, tmp_path / "out", ISE_ARCHIVE_CDX_FILTERS="statuscode:("
    )
    assert "ISE_ARCHIVE_CDX" in line


def test_output_dir_is_a_file(blind_server: WaybackServer, tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("mine\n", encoding="utf-8")
    _, line = crawl_refused(blind_server, target)
    assert "OUTPUT_DIR" in line
    assert target.read_text(encoding="utf-8") == "mine\n"


def test_output_dir_not_writable(blind_server: WaybackServer) -> None:
    _, line = crawl_refused(blind_server, Path(NOT_WRITABLE))
    assert "OUTPUT_DIR" in line


def test_state_database_that_is_not_sqlite(
    blind_server: WaybackServer, tmp_path: Path
) -> None:
    state = tmp_path / "out" / ".state" / "state.sqlite3"
    state.parent.mkdir(parents=True)
    state.write_text("garbage\n", encoding="utf-8")
    _, line = crawl_refused(blind_server, tmp_path / "out")
    assert "state.sqlite3" in line
    assert state.read_text(encoding="utf-8") == "garbage\n"


@pytest.mark.parametrize("kind", ["file", "not-writable"])
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


def test_unwritable_log_file_stops_cleanly(
    blind_server: WaybackServer, tmp_path: Path
) -> None:
    """README: without a terminal (`-s LOG_FILE=...`) the log keeps INFO lines. A
    LOG_FILE that cannot be opened gives a 27-line traceback from Scrapy's start-up
    and exit 1 ("finished, but too much was lost")."""
    _, line = crawl_refused(
        blind_server, tmp_path / "out", LOG_FILE=f"{NOT_WRITABLE}/crawl.log"
    )
    assert "LOG_FILE" in line


def test_bad_log_level_is_a_usage_error_not_a_traceback(
    blind_server: WaybackServer, tmp_path: Path
) -> None:
    """`-L BOGUS` (README uses `-L WARNING`): a traceback and exit 1, which the
    table reserves for a finished run that lost too much; a usage error is 2
    (Scrapy's) or 3 (ours)."""
    proc = run_crawl(
        blind_server.base_url, tmp_path / "out", "-L", "BOGUS", timeout=120
    )
    assert "Traceback" not in proc.stderr, proc.stderr[-1500:]
    assert proc.returncode in (2, 3)
