"""What a person sees at a terminal (issues 10 and 15): the crawl under a real pty.

The crawl runs as ``scrapy crawl`` with stdin, stdout and stderr on a pseudo
terminal, as in an interactive shell, and the test reads the screen's bytes: the
live progress view, warnings, and the summary once; no Scrapy start-up dump, no
stats dump. Without a terminal (cron, pipes) the INFO log stays.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import termios
from pathlib import Path

import pytest

from tests.e2e.crawl import ROOT, crawl_command, run_crawl
from tests.wayback.server import WaybackServer

pytestmark = pytest.mark.e2e

# ESC [ 2 K   ESC [ 1 A   ESC [ ? 25 l   ESC [ 1 ; 32 m
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _run_at_a_terminal(command: list[str], timeout: float = 120) -> tuple[int, str]:
    """Run ``command`` on a 120x40 pseudo terminal; its exit code and the screen's
    text (colour and cursor codes removed)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**os.environ, "PYTHONHASHSEED": "0", "TERM": "xterm-256color"}
    for name in ("COLUMNS", "LINES", "NO_COLOR", "TERM_PROGRAM"):
        env.pop(name, None)
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        close_fds=True,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    code = process.wait(timeout=timeout)
    text = b"".join(chunks).decode("utf-8", errors="replace")
    return code, _ANSI.sub("", text).replace("\r\n", "\n")


def test_at_a_terminal_the_crawl_shows_the_progress_view_and_the_summary_once(
    wayback_server: WaybackServer, tmp_path: Path
) -> None:
    output_dir = tmp_path / "out"
    command = crawl_command(wayback_server.base_url, output_dir)
    # the relaxed test settings choose LOG_LEVEL; a person at a terminal does not
    at = command.index("LOG_LEVEL=INFO")
    del command[at - 1 : at + 1]

    code, screen = _run_at_a_terminal(command)

    assert code == 0, screen[-3000:]
    assert re.search(r"discovery \(CDX\) +━+ +\d+/\d+ +\d+ captures", screen), screen
    # the last phase: the posts' images and files (their prefix queries) after posts
    assert re.search(
        r"fetching \((?:posts|attachments)\) +━+ +(\d+)/\1 +\d+ posts", screen
    ), screen
    assert "pace: cdx " in screen
    assert screen.count("finished ok (exit 0)") == 1, screen
    assert f"Dataset: {output_dir}." in screen
    assert "Report: " in screen
    for noise in (
        "[scrapy",
        "INFO",
        "Overridden settings",
        "Enabled downloader middlewares",
        "Dumping Scrapy stats",
        "Traceback",
    ):
        assert noise not in screen, noise


def test_without_a_terminal_the_log_keeps_its_info_lines(
    wayback_server: WaybackServer, tmp_path: Path
) -> None:
    result = run_crawl(wayback_server.base_url, tmp_path / "out")

    assert result.returncode == 0, result.stderr[-3000:]
    assert "━" not in result.stderr
    assert "[spiders.progress] INFO: Budget: discovery made " in result.stderr
    assert "[pipelines.dataset] INFO: Run " in result.stderr


def test_the_view_can_be_turned_off_at_a_terminal(
    wayback_server: WaybackServer, tmp_path: Path
) -> None:
    command = crawl_command(
        wayback_server.base_url, tmp_path / "out", ISE_ARCHIVE_PROGRESS_VIEW="off"
    )

    code, screen = _run_at_a_terminal(command)

    assert code == 0, screen[-3000:]
    assert "━" not in screen
    assert "[spiders.progress] INFO: Budget: " in screen


def test_the_budget_line_names_the_planned_requests_and_the_least_time(
    wayback_server: WaybackServer, tmp_path: Path
) -> None:
    """Issue 10: before the first replay request, what the run will cost."""
    result = run_crawl(
        wayback_server.base_url,
        tmp_path / "out",
        ISE_ARCHIVE_CDX_RPM="600",  # 0.1 s per CDX request, 0.05 s per replay
        ISE_ARCHIVE_REPLAY_RPS="20",  # request: the floor is easy to check
        ISE_ARCHIVE_FROM_YEAR="2010",
        ISE_ARCHIVE_TO_YEAR="2017",
        ISE_ARCHIVE_CDX_WINDOW_YEARS="8",
    )

    assert result.returncode == 0, result.stderr[-3000:]
    budget = re.search(
        r"Budget: discovery made (\d+) CDX requests; at least (\d+) replay requests "
        r"are planned .*? the run takes at least (\S+) in all",
        result.stderr,
    )
    assert budget, result.stderr[-3000:]
    cdx, replay = int(budget[1]), int(budget[2])
    assert cdx == 4 * 3  # four prefixes, one window each, and two port forms each
    seconds = cdx * 0.1 + replay * 0.05
    minutes, secs = divmod(round(seconds), 60)
    assert budget[3] == (f"{minutes}m{secs:02d}s" if minutes else f"{secs}s")
    assert replay > 0
