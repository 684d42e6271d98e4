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


def test_a_refusing_archive_exits_2_with_the_summary(tmp_path: Path) -> None:
    output_dir = tmp_path / "out"

    result = run_crawl(f"http://127.0.0.1:{_closed_port()}", output_dir)

    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stdout.startswith("Run ")
    assert "finished blocked (exit 2)" in result.stdout
    assert last_report(output_dir)["status"] == "blocked"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (("-s", "ISE_ARCHIVE_CDX_RPM=0"), "ISE_ARCHIVE_CDX_RPM ('0') must be"),
        (("-a", "versions=bogus"), "-a versions='bogus'"),
    ],
)
def test_a_bad_setting_or_argument_exits_3(
    tmp_path: Path, option: tuple[str, str], message: str
) -> None:
    result = run_crawl(f"http://127.0.0.1:{_closed_port()}", tmp_path / "out", *option)

    assert (result.returncode, result.stdout) == (3, ""), result.stderr[-3000:]
    assert message in result.stderr
    assert not (tmp_path / "out" / "records.jsonl").exists()


def test_a_run_that_changes_nothing_is_quiet(tmp_path: Path) -> None:
    empty = tmp_path / "archive"
    (empty / "captures").mkdir(parents=True)
    (empty / "index.jsonl").write_text("", encoding="utf-8")
    output_dir = tmp_path / "out"
    with WaybackServer(Archive.from_directory(empty)) as server:
        result = run_crawl(server.base_url, output_dir)

    assert (result.returncode, result.stdout) == (0, ""), result.stderr[-3000:]
    assert last_report(output_dir)["status"] == "no-change"
