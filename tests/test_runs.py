"""Tests for ise_archive.runs: run ids, recorded settings, completeness."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from ise_archive.report import summary_paragraph, write_report
from ise_archive.runs import incomplete_reason, new_run_id, run_settings
from tests.test_report import first_run


def test_run_id_is_the_utc_start_to_the_millisecond() -> None:
    eastern = timezone(timedelta(hours=-5))
    started = datetime(2026, 12, 3, 8, 1, 48, 749_999, tzinfo=eastern)
    assert new_run_id(started) == "20261203T130148.749Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        new_run_id(datetime(2026, 12, 3))


def test_report_file_is_named_by_the_run_id(tmp_path: Path) -> None:
    run_id = new_run_id(datetime(2024, 3, 1, 2, 0, 0, 123_000, tzinfo=UTC))
    report = dataclasses.replace(first_run(), run_id=run_id)
    path = write_report(tmp_path / "runs", report)
    assert path.name == "20240301T020000.123Z.json"
    summary = summary_paragraph(report, dataset_dir=tmp_path, report_path=path)
    assert summary.startswith("Run 20240301T020000.123Z finished")
    assert summary.endswith(f" Dataset: {tmp_path}. Report: {path}.")


def test_a_run_id_that_is_no_file_name_falls_back_to_the_start_time(
    tmp_path: Path,
) -> None:
    report = dataclasses.replace(first_run(), run_id="../evil")
    assert write_report(tmp_path, report).name == "20240301T020000Z.json"


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        ({}, None),
        ({"pending": 67}, "67 captures were not processed"),
        (
            {"interrupted": True, "pending": 3},
            "the run was interrupted (Ctrl-C or "
            "SIGTERM); 3 captures were not processed",
        ),
        ({"blocked": True}, "the archive refused or could not be reached"),
        (
            {"discovery_failed": {"http-503": 2, "transport": 1}},
            "3 CDX requests failed, so the listing is incomplete",
        ),
    ],
)
def test_incomplete_reason(facts: dict, reason: str | None) -> None:
    defaults = {
        "blocked": False,
        "interrupted": False,
        "discovery_failed": {},
        "pending": 0,
    }
    assert incomplete_reason(**{**defaults, **facts}) == reason


def test_run_settings_keep_ours_and_those_we_depend_on_as_json() -> None:
    settings = {
        "ISE_ARCHIVE_CDX_RPM": 20,
        "ISE_ARCHIVE_CDX_PREFIXES": ("http://www.ise.gov/blog",),
        "WAYBACK_BASE_URL": "https://web.archive.org",
        "OUTPUT_DIR": Path("output"),
        "DOWNLOAD_SLOTS": {"cdx": {"delay": 3.0, "concurrency": 1}},
        "ISE_ARCHIVE_ODD": object,
        "ISE_ARCHIVE_NAN": float("nan"),
        "SPIDER_MODULES": ["spiders"],
        "BOT_NAME": "ise_archive",
    }
    assert run_settings(settings) == {
        "DOWNLOAD_SLOTS": {"cdx": {"delay": 3.0, "concurrency": 1}},
        "ISE_ARCHIVE_CDX_PREFIXES": ["http://www.ise.gov/blog"],
        "ISE_ARCHIVE_CDX_RPM": 20,
        "ISE_ARCHIVE_NAN": "nan",
        "ISE_ARCHIVE_ODD": "<class 'object'>",
        "OUTPUT_DIR": "output",
        "WAYBACK_BASE_URL": "https://web.archive.org",
    }
