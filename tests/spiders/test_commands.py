"""spiders/commands/crawl.py: ``scrapy crawl`` exits with the run's status."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.e2e.crawl import last_report, run_crawl
from tests.wayback.archive import Archive
from tests.wayback.server import WaybackServer

pytestmark = pytest.mark.e2e


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_refusing_archive_exits_75_with_the_summary(tmp_path: Path) -> None:
    output_dir = tmp_path / "out"

    result = run_crawl(f"http://127.0.0.1:{_closed_port()}", output_dir)

    assert result.returncode == 75, result.stderr[-3000:]
    assert result.stdout.startswith("Run ")
    assert "finished blocked (exit 75)" in result.stdout
    assert last_report(output_dir)["status"] == "blocked"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        # one per family of settings; each once disabled a component or hung
        (("-s", "ISE_ARCHIVE_CDX_RPM=0"), "ISE_ARCHIVE_CDX_RPM ('0') must be"),
        (("-s", "ISE_ARCHIVE_REPLAY_CONCURRENCY=0"), "_CONCURRENCY ('0') must be"),
        (("-s", "ISE_ARCHIVE_429_PAUSE=-1"), "ISE_ARCHIVE_429_PAUSE ('-1') must be"),
        (("-s", "ISE_ARCHIVE_RETRY_AFTER_MAX=-5"), "_RETRY_AFTER_MAX ('-5') must be"),
        (("-s", "ISE_ARCHIVE_RETRY_BACKOFF_BASE=x"), "_RETRY_BACKOFF_BASE ('x')"),
        (("-s", "ISE_ARCHIVE_MAX_FAILURE_SHARE=5"), "must be a share between 0 and 1"),
        (("-s", "ISE_ARCHIVE_MAX_PAGE_BYTES=0"), "ISE_ARCHIVE_MAX_PAGE_BYTES ('0')"),
        (("-s", "ISE_ARCHIVE_CDX_FILTERS=colour:red"), "filter 'colour:red' is not"),
        (("-s", "ISE_ARCHIVE_FROM_YEAR=abcd"), "ISE_ARCHIVE_FROM_YEAR ('abcd')"),
        (("-s", "ISE_ARCHIVE_ATTACHMENTS=maybe"), "_ATTACHMENTS ('maybe') must be"),
        (("-s", "ISE_ARCHIVE_MAX_ATTACHMENT_BYTES=0"), "_ATTACHMENT_BYTES ('0')"),
        (("-s", "ISE_ARCHIVE_CHECK_LINKS=sometimes"), "_CHECK_LINKS ('sometimes')"),
        (("-s", "ISE_ARCHIVE_RECHECK_RUNS=-1"), "ISE_ARCHIVE_RECHECK_RUNS ('-1')"),
        (("-s", "DOWNLOAD_SLOTS={}"), "DOWNLOAD_SLOTS is set by ise-archive"),
        (("-s", "CONCURRENT_ITEMS=0"), "CONCURRENT_ITEMS ('0') must be"),
        (("-s", "OUTPUT_DIR=/proc/forbidden"), "OUTPUT_DIR ('/proc/forbidden') cannot"),
        (("-a", "versions=bogus"), "-a versions='bogus'"),
        (("-a", "version=all"), "did you mean -a versions=...?"),
        (("-a", "from=2015", "-a", "to=2011"), "-a from=2015 is after -a to=2011"),
        (("-a", "prefix=http://example.com/"), "must be a URL on ise.gov"),
        # found by a blind round: each ran, hung, or gave a traceback
        (("-a", "from=20151399"), "-a from='20151399': use 1-14 digits of a real"),
        (("-s", "ISE_ARCHIVE_REPLAY_RPN=5"), "did you mean ISE_ARCHIVE_REPLAY_RPS?"),
        (("-s", "ISE_ARCHIVE_CDX_FILTERS=statuscode:("), "its regex is broken"),
        (("-s", "ISE_ARCHIVE_CDX_RPM=0.0000001"), "must be a number >= 0.1"),
        (("-s", "JOBDIR=/proc/forbidden/job"), "JOBDIR ('/proc/forbidden/job') cannot"),
        (
            ("-s", "LOG_FILE=/proc/forbidden/x.log"),
            "LOG_FILE ('/proc/forbidden/x.log')",
        ),
        (("-L", "BOGUS"), "LOG_LEVEL / -L ('BOGUS') must be one of"),
    ],
)
def test_a_bad_setting_or_argument_exits_3_before_any_request(
    tmp_path: Path, option: tuple[str, ...], message: str
) -> None:
    """A closed port: had anything been requested, the run would end blocked (75)."""
    result = run_crawl(f"http://127.0.0.1:{_closed_port()}", tmp_path / "out", *option)

    assert (result.returncode, result.stdout) == (3, ""), result.stderr[-3000:]
    assert "Cannot start the crawl: " in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "records.jsonl").exists()


def test_a_bad_wayback_url_or_an_output_dir_that_is_a_file_exits_3(
    tmp_path: Path,
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    bad_url = run_crawl("notaurl", tmp_path / "out")
    file_out = run_crawl(f"http://127.0.0.1:{_closed_port()}", afile)

    assert bad_url.returncode == file_out.returncode == 3
    assert "WAYBACK_BASE_URL ('notaurl') must be the http(s) URL" in bad_url.stderr
    assert f"OUTPUT_DIR ('{afile}') cannot be written" in file_out.stderr


def test_a_run_that_changes_nothing_is_quiet(tmp_path: Path) -> None:
    empty = tmp_path / "archive"
    (empty / "captures").mkdir(parents=True)
    (empty / "index.jsonl").write_text("", encoding="utf-8")
    output_dir = tmp_path / "out"
    with WaybackServer(Archive.from_directory(empty)) as server:
        result = run_crawl(server.base_url, output_dir)

    assert (result.returncode, result.stdout) == (0, ""), result.stderr[-3000:]
    assert last_report(output_dir)["status"] == "no-change"
