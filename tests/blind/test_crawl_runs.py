"""Whole crawl runs a user meets: two at once, Ctrl-C then resume, a re-run.

Promises checked (docs/operations.md): a run that finds nothing new fetches no
page and leaves a byte-identical dataset; Ctrl-C gives 130 with the partial
dataset written and the same command (with its JOBDIR) completes it, nothing
lost or duplicated; two crawls into one OUTPUT_DIR must not corrupt each other:
the docs ask for `flock`, so the second may refuse (one line, exit 3, "a database
locked by another writer ... stops the run with an error naming the file"), or
both finish cleanly with the dataset one run would write. The README's test
command is what `.ci/run` runs.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.blind.conftest import cli
from tests.e2e.crawl import ROOT, crawl_command, run_crawl, without_warc_locations
from tests.wayback.server import WaybackServer

#: Every replay answer waits this long, so a run lasts long enough to overlap or
#: to be interrupted while it fetches (18 replay fetches on the dev corpus).
pytestmark = pytest.mark.e2e

SLOW_REPLAY = "slow@replay,delay_ms=300,every=1,times=100000"


def dataset_files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).parts[0] not in ("runs", ".state")
    }


def records(out: Path) -> list[dict[str, Any]]:
    lines = (out / "records.jsonl").read_text(encoding="utf-8").splitlines()
    return without_warc_locations([json.loads(line) for line in lines])


def start_crawl(
    server: WaybackServer, out: Path, **settings: str
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        crawl_command(server.base_url, out, LOG_LEVEL="WARNING", **settings),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )


def replay_fetches(server: WaybackServer) -> int:
    return sum(1 for r in server.requests_log if r.pool == "replay")


def test_rerun_with_nothing_new_fetches_nothing_and_changes_nothing(
    wayback_server: WaybackServer, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert run_crawl(wayback_server.base_url, out, LOG_LEVEL="WARNING").returncode == 0
    before, fetched = dataset_files(out), replay_fetches(wayback_server)
    proc = run_crawl(wayback_server.base_url, out, LOG_LEVEL="WARNING")
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert replay_fetches(wayback_server) == fetched
    assert dataset_files(out) == before


def test_ctrl_c_then_the_same_command_completes_the_dataset(
    wayback_server: WaybackServer, tmp_path: Path
) -> None:
    reference = tmp_path / "reference"
    assert (
        run_crawl(wayback_server.base_url, reference, LOG_LEVEL="WARNING").returncode
        == 0
    )
    wayback_server.faults.configure(SLOW_REPLAY)
    out, jobdir = tmp_path / "out", str(tmp_path / "crawls" / "ise-1")
    fetched = replay_fetches(wayback_server)
    crawl = start_crawl(wayback_server, out, JOBDIR=jobdir)
    deadline = time.monotonic() + 60
    while replay_fetches(wayback_server) < fetched + 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    crawl.send_signal(signal.SIGINT)
    stdout, stderr = crawl.communicate(timeout=120)
    assert crawl.returncode == 130, stdout + stderr[-1500:]
    assert "Traceback" not in stderr
    assert "interrupted" in stdout
    proc = run_crawl(wayback_server.base_url, out, LOG_LEVEL="WARNING", JOBDIR=jobdir)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-1500:]
    assert records(out) == records(reference)


def test_ctrl_c_stops_requesting_at_once_at_a_slow_pace(
    wayback_server: WaybackServer, tmp_path: Path
) -> None:
    """Ctrl-C is "stopped by Ctrl-C ... run again: it resumes" (exit 130). At a slow
    CDX pace (README: `-s ISE_ARCHIVE_CDX_RPM=10`) the crawl goes on sending the CDX
    requests already queued, one per pool delay: at the default 20/min, 3 more
    requests and 11 s after Ctrl-C; at `ISE_ARCHIVE_CDX_RPM=1`, 4 minutes. A user
    who presses Ctrl-C wants the archive left alone now."""
    out = tmp_path / "out"
    command = crawl_command(wayback_server.base_url, out, LOG_LEVEL="WARNING")
    command += ["-s", "ISE_ARCHIVE_CDX_RPM=12"]  # one CDX request every 5 s
    crawl = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not wayback_server.requests_log and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1)
    crawl.send_signal(signal.SIGINT)
    pressed, at_signal = time.monotonic(), len(wayback_server.requests_log)
    stdout, stderr = crawl.communicate(timeout=180)
    took = time.monotonic() - pressed
    after = len(wayback_server.requests_log) - at_signal
    shown = f"{took:.0f} s and {after} requests after Ctrl-C\n{stdout}{stderr[-800:]}"
    assert crawl.returncode == 130, shown
    assert after == 0, shown


def test_two_crawls_into_one_output_dir_do_not_corrupt_each_other(
    wayback_server: WaybackServer, tmp_path: Path
) -> None:
    """What happens: the second run "recovers" the first's WARC file while the first
    still writes it (WARNING: Recovered ..., left open by an interrupted run), the
    first ends with an ERROR and a FileNotFoundError traceback from
    WarcEvidenceMiddleware.close, the second exits 70 ("the run's counts do not add
    up ... (a bug)"), and the dataset differs from a sole run's: two captures
    fetched by both runs end `record` / `skip:redirect-to-post` instead of
    `duplicate`, and a post's `versions` counts a capture twice."""
    reference = tmp_path / "reference"
    assert (
        run_crawl(wayback_server.base_url, reference, LOG_LEVEL="WARNING").returncode
        == 0
    )
    wayback_server.faults.configure(SLOW_REPLAY)
    out = tmp_path / "out"
    first = start_crawl(wayback_server, out)
    time.sleep(1.5)
    second = start_crawl(wayback_server, out)
    out2, err2 = second.communicate(timeout=180)
    out1, err1 = first.communicate(timeout=180)
    shown = (
        f"first {first.returncode}: {out1[-600:]} {err1[-1500:]}\n"
        f"second {second.returncode}: {out2[-600:]} {err2[-1500:]}"
    )
    assert "Traceback" not in err1 + err2, shown
    assert first.returncode == 0, shown
    if second.returncode == 3:  # refused: one clear line naming what is in use
        assert len([x for x in err2.splitlines() if x.strip()]) == 1, shown
    else:
        assert second.returncode == 0, shown
    assert records(out) == records(reference), shown


def readme_test_command() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"Run the tests.*?```sh\n(.*?)\n```", readme, re.DOTALL)
    assert match, "README has no test command"
    return match.group(1).strip()


def test_readme_test_command_is_what_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert readme_test_command() in ci.splitlines()


def test_unreachable_archive_then_validate_says_incomplete(tmp_path: Path) -> None:
    """operations.md: an archive that cannot be reached is one ERROR line and exit
    75; validate warns about the incomplete dataset and `--strict` fails it."""
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    out = tmp_path / "out"
    proc = run_crawl(f"http://127.0.0.1:{port}", out, LOG_LEVEL="WARNING", timeout=120)
    assert proc.returncode == 75, proc.stderr[-1500:]
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1, proc.stderr
    assert "cannot reach" in errors[0]
    assert cli("validate", out).returncode == 0
    strict = cli("validate", "--strict", out)
    assert strict.returncode == 1
    assert "did not finish" in strict.stderr
