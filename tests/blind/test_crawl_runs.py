"""Whole crawl runs a user meets: two at once, an archive that cannot be reached.

Promises checked (docs/operations.md): two crawls into one OUTPUT_DIR must not
corrupt each other (the second refuses: one line, exit 3); an unreachable archive
leaves a dataset `validate` calls incomplete. (This round's re-run, resume and
README cases duplicated tests/e2e and tests/test_readme.py and were left there.)
"""

from __future__ import annotations

import json
import os
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


def test_two_crawls_into_one_output_dir_do_not_corrupt_each_other(
    wayback_server: WaybackServer, tmp_path: Path
) -> None:
    """The second run is refused before its first request (ise_archive.store.lock).
    Without the lock it "recovered" the WARC file the first was still writing, the
    first ended with a traceback, the second exited 70, and a post's `versions`
    counted a capture twice."""
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
    assert second.returncode == 3, shown
    (line,) = [x for x in err2.splitlines() if x.strip()]
    assert f"is in use by another ise-archive run (pid {first.pid})" in line, shown
    assert records(out) == records(reference), shown


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
