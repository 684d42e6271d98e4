"""``ise-archive demo``: a real offline crawl that leaves no process behind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _session_members(session: int) -> list[int]:
    """Live processes of ``session`` (Linux /proc; field 6 of stat is the sid)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == session and fields[0] != "Z":
            members.append(int(entry.name))
    return members


@pytest.mark.e2e
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_demo_crawls_offline_and_stops_its_server(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    demo = subprocess.Popen(
        [sys.executable, "-m", "ise_archive", "demo", "--out", str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its children share this session id
        # a proxy in the environment must not catch the local crawl
        env={**os.environ, "http_proxy": "http://127.0.0.1:9"},
    )
    stdout, stderr = demo.communicate(timeout=120)
    assert demo.returncode == 0, stderr
    assert _session_members(demo.pid) == []
    assert "Traceback" not in stderr
    assert f"done: 10 posts (and 36 known only from feeds) in {out}" in stdout
    validated = subprocess.run(
        [sys.executable, "-m", "ise_archive", "validate", "--strict", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["archives"][0]["url"].startswith("http://127.0.0.1:")


@pytest.mark.e2e
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_ctrl_c_stops_the_demo_its_server_and_its_crawl(tmp_path: Path) -> None:
    demo = subprocess.Popen(
        [sys.executable, "-m", "ise_archive", "demo", "--out", str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert demo.stdout is not None
    assert demo.stdout.readline().startswith("ise-archive demo: crawling")
    time.sleep(1.5)  # let the server and the crawl start (or not: both are ways out)
    os.killpg(demo.pid, signal.SIGINT)  # what Ctrl-C at a terminal does
    _stdout, stderr = demo.communicate(timeout=120)
    assert demo.returncode == 130, stderr
    assert _session_members(demo.pid) == []
    assert "Traceback" not in stderr


def test_demo_outside_a_checkout_says_what_it_needs(tmp_path: Path) -> None:
    shutil.copytree(
        ROOT / "ise_archive",
        tmp_path / "ise_archive",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    result = subprocess.run(
        [sys.executable, "-m", "ise_archive", "demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout) == (3, "")
    assert result.stderr.startswith("ise-archive: the demo needs the source checkout")
    assert result.stderr.count("\n") == 1
