"""A crawled dataset says what it is: when, from which archive, by which run, and
whether that run finished (issue 15), read back through ``ise-archive validate``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.crawl import ROOT, last_report, run_crawl
from tests.wayback.server import WaybackServer

pytestmark = pytest.mark.e2e


def _manifest(output_dir: Path) -> dict[str, Any]:
    return json.loads((output_dir / "manifest.json").read_text(encoding="utf-8"))


def _validate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ise_archive", "validate", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_finished_crawl_names_its_run_archive_report_and_settings(
    wayback_server: WaybackServer, tmp_path: Path
) -> None:
    output_dir = tmp_path / "out"
    crawl = run_crawl(wayback_server.base_url, output_dir)
    assert crawl.returncode == 0, crawl.stderr[-3000:]

    manifest = _manifest(output_dir)
    report = last_report(output_dir)
    report_path = output_dir / "runs" / f"{report['run_id']}.json"
    assert report_path.is_file()
    assert manifest["crawl"] == {
        "run_id": report["run_id"],
        "started": report["started"],
        "complete": True,
        "incomplete_reason": None,
    }
    assert manifest["archives"] == [
        {
            "title": "Wayback-compatible archive on the crawling machine "
            f"({wayback_server.base_url.removeprefix('http://')}), "
            "not the Internet Archive",
            "url": wayback_server.base_url,
        }
    ]
    package = json.loads((output_dir / "datapackage.json").read_text("utf-8"))
    assert "Internet Archive)" not in json.dumps(package["sources"])
    card = (output_dir / "README.md").read_text(encoding="utf-8")
    assert f"- crawled: {report['started']} (UTC, start of run" in card
    settings = report["parameters"]["settings"]
    assert settings["WAYBACK_BASE_URL"] == wayback_server.base_url
    assert settings["ISE_ARCHIVE_CDX_RPM"] == "600000"  # as given with -s
    assert report["parameters"]["versions"] == "latest"
    summary = crawl.stdout.strip().splitlines()[-1]
    assert summary.startswith(f"Run {report['run_id']} finished ok")
    assert summary.endswith(f"Dataset: {output_dir}. Report: {report_path}.")
    strict = _validate("--strict", str(output_dir))
    assert (strict.returncode, strict.stderr) == (0, "")


def test_a_blocked_first_run_writes_a_dataset_that_says_it_is_incomplete(
    wayback_server: WaybackServer, tmp_path: Path
) -> None:
    output_dir = tmp_path / "out"
    wayback_server.faults.configure("refuse@replay,first=1,block_ms=300")
    blocked = run_crawl(wayback_server.base_url, output_dir)
    assert blocked.returncode == 75, blocked.stderr[-3000:]

    crawl = _manifest(output_dir)["crawl"]
    assert crawl["complete"] is False
    assert crawl["incomplete_reason"].startswith(
        "the archive refused or could not be reached; "
    )
    assert crawl["incomplete_reason"].endswith(" captures were not processed")
    card = (output_dir / "README.md").read_text(encoding="utf-8")
    assert "**incomplete**: the run that wrote it did not finish (the archive" in card
    lenient = _validate(str(output_dir))
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr
    assert "did not finish (the archive refused" in lenient.stderr
    assert "Traceback" not in lenient.stderr
    assert _validate("--strict", str(output_dir)).returncode == 1

    wayback_server.faults.clear()
    resumed = run_crawl(wayback_server.base_url, output_dir)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert _manifest(output_dir)["crawl"]["complete"] is True
    assert _validate("--strict", str(output_dir)).returncode == 0
