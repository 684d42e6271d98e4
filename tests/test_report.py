from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from ise_archive.report import (
    RunReport,
    build_report,
    check_accounting,
    progress_line,
    summary_paragraph,
    write_report,
)

STARTED = datetime(2024, 3, 1, 2, 0, 0, tzinfo=UTC)
FINISHED = STARTED + timedelta(minutes=3, seconds=25.5)

STATS = {
    "ise_archive/cdx/captures": 69,
    "ise_archive/cdx/new": 69,
    "ise_archive/fetch/requests": 52,
    "ise_archive/capture/record": 38,
    "ise_archive/capture/duplicate": 3,
    "ise_archive/skip/reason_count/not-a-post:listing": 9,
    "ise_archive/skip/reason_count/redirect": 4,
    "ise_archive/failed/reason_count/http-404": 1,
    "downloader/response_status_count/200": 60,
    "downloader/response_status_count/503": 2,
    "ise_archive/pool/cdx/requests": 2,
    "ise_archive/pool/replay/requests": 60,
    "ise_archive/posts/added": 10,
    "ise_archive/posts/updated": 0,
    "ise_archive/posts/unchanged": 0,
    "start_time": STARTED,  # Scrapy's own, non-integer stats are ignored
}
STATE_COUNTS = {
    "captures": 69,
    "record": 38,
    "duplicate": 3,
    "skip": 27,
    "failed": 1,
    "pending": 0,
    "posts": 10,
}
RUN_OUTCOMES = {
    "record": 38,
    "duplicate": 3,
    "skip:not-a-post-url": 14,
    "skip:not-a-post:listing": 9,
    "skip:redirect": 4,
    "failed:http-404": 1,
}

RUN_OUTCOMES_CLEAN = {
    k: v for k, v in RUN_OUTCOMES.items() if not k.startswith("failed")
}


def first_run(**changes) -> RunReport:
    arguments = {
        "run_id": "20240301T020000Z",
        "started": STARTED,
        "finished": FINISHED,
        "stats": STATS,
        "state_counts": STATE_COUNTS,
        "run_outcomes": RUN_OUTCOMES,
        "max_failure_share": 0.05,
        "blocked": False,
        "parameters": {"OUTPUT_DIR": "output"},
    }
    return build_report(**{**arguments, **changes})


def test_first_run_report_in_full():
    assert first_run() == RunReport(
        run_id="20240301T020000Z",
        started="2024-03-01T02:00:00Z",
        finished="2024-03-01T02:03:25Z",
        duration_s=205.5,
        exit_code=0,
        status="partial",
        reasons=("1 captures failed",),
        captures_discovered=69,
        captures_listed=69,
        captures_new=69,
        fetched=52,
        posts_added=10,
        posts_updated=0,
        posts_unchanged=0,
        posts_total=10,
        posts_invalid=0,
        skipped={"not-a-post-url": 14, "not-a-post:listing": 9, "redirect": 4},
        failed={"http-404": 1},
        discovery_failed={},
        spider_errors=0,
        requests_by_status={"200": 60, "503": 2},
        requests_by_pool={"cdx": 2, "replay": 60},
        accounting={
            "record": 38,
            "duplicate": 3,
            "skip": 27,
            "failed": 1,
            "pending": 0,
        },
        failure_share=round(1 / 69, 6),
        max_failure_share=0.05,
        parameters={"OUTPUT_DIR": "output"},
    )
    assert check_accounting(first_run()) == []


def test_clean_run_is_ok_and_second_run_is_no_change():
    clean = {k: v for k, v in RUN_OUTCOMES.items() if not k.startswith("failed")}
    counts = {**STATE_COUNTS, "failed": 0, "skip": 28}
    assert (first_run(run_outcomes=clean, state_counts=counts).status) == "ok"
    rerun_stats = {
        "ise_archive/cdx/captures": 69,
        "ise_archive/cdx/new": 0,
        "ise_archive/pool/cdx/requests": 2,
        "downloader/response_status_count/200": 2,
        "ise_archive/posts/unchanged": 10,
    }
    rerun = first_run(stats=rerun_stats, state_counts=counts, run_outcomes={})
    assert (rerun.status, rerun.exit_code, rerun.fetched) == ("no-change", 0, 0)
    assert check_accounting(rerun) == []


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"error": "state database vanished"}, "failed", 70),
        ({"io_error": "records.jsonl: permission denied"}, "failed", 74),
        ({"blocked": True}, "blocked", 75),
        ({"interrupted": True}, "partial", 0),
        (
            {
                "interrupted": True,
                "state_counts": {**STATE_COUNTS, "failed": 0, "pending": 1},
                "run_outcomes": RUN_OUTCOMES_CLEAN,
            },
            "interrupted",
            130,
        ),
        ({"max_failure_share": 0.01}, "failed", 1),
        ({"max_failure_share": 0.05}, "partial", 0),
        (
            {
                "state_counts": {**STATE_COUNTS, "failed": 0, "pending": 1},
                "run_outcomes": RUN_OUTCOMES_CLEAN,
            },
            "partial",
            0,
        ),
        (
            {
                "stats": {
                    "ise_archive/pool/cdx/requests": 5,
                    "downloader/exception_count": 5,
                }
            },
            "blocked",
            75,
        ),
    ],
)
def test_status_and_exit_code(changes, status, code):
    report = first_run(**changes)
    assert (report.status, report.exit_code) == (status, code)


def test_counts_that_do_not_add_up_fail_the_run_as_a_bug():
    """The production run checks its own accounting, not only the tests."""
    stats = {**STATS, "ise_archive/cdx/new": 500}
    report = first_run(stats=stats)
    assert (report.status, report.exit_code) == ("failed", 70)
    assert report.reasons == (
        "the run's counts do not add up: 500 new captures but only 69 discovered "
        "(a bug)",
    )


def test_an_unreachable_archive_says_which_and_why_and_exits_75():
    stats = {
        "ise_archive/pool/cdx/requests": 5,
        "downloader/exception_count": 5,
        "ise_archive/blocked": 1,
        "ise_archive/unreachable": "https://web.archive.org: host name does not "
        "resolve",
    }
    report = first_run(stats=stats, state_counts=None, run_outcomes=None)
    assert (report.status, report.exit_code, report.reasons) == (
        "blocked",
        75,
        ("cannot reach https://web.archive.org: host name does not resolve",),
    )


def test_a_come_back_later_answer_says_when_and_exits_75():
    stats = {
        **STATS,
        "ise_archive/blocked": 1,
        "ise_archive/blocked_reason": "https://web.archive.org: it asks for no "
        "request before 2026-12-03 22:30 UTC (Retry-After: 3600 s, ...)",
    }
    report = first_run(stats=stats)
    assert (report.status, report.exit_code, report.reasons) == (
        "blocked",
        75,
        (stats["ise_archive/blocked_reason"],),
    )


def test_another_archive_set_aside_makes_the_run_incomplete_with_exit_75():
    """The main archive's work was done: the run is not failed, but it is not
    complete either (the other archive's listing and captures wait): 75, like
    the unreachable archive it is, which beats the CDX failures' 1."""
    stats = {
        **STATS,
        "ise_archive/cdx/failed/transport": 1,
        "ise_archive/set_aside/http://127.0.0.1:9": "connection refused",
    }
    report = first_run(stats=stats)
    assert (report.status, report.exit_code, report.reasons) == (
        "blocked",
        75,
        (
            "cannot use http://127.0.0.1:9 (another archive) for the rest of the "
            "run: connection refused; what only it holds is left for the next run",
        ),
    )


def test_the_summary_gives_requests_by_pool_429s_and_the_pace_at_the_end():
    stats = {
        **STATS,
        "ise_archive/pool/cdx/delay": 3.0,
        "ise_archive/pool/replay/delay": 1.0,
        "ise_archive/pool/replay/429": 4,
    }
    assert (
        "Requests by pool: cdx 2, replay 60; 429s met: replay 4; pace at the end: "
        "cdx 20.0/min, replay 60.0/min."
    ) in summary_paragraph(first_run(stats=stats))


def test_the_report_gives_each_pools_pace_and_429s():
    stats = {
        **STATS,
        "ise_archive/pool/cdx/delay": 3.0,
        "ise_archive/pool/replay@arquivo/delay": 1.333,
        "ise_archive/pool/replay/429": 4,
    }
    report = first_run(stats=stats)
    assert report.pool_delays_s == {"cdx": 3.0, "replay@arquivo": 1.333}
    assert report.responses_429 == {"replay": 4}
    assert report.requests_by_pool == {"cdx": 2, "replay": 60}


def test_a_failed_cdx_request_fails_the_run_whatever_else_went_well():
    """A CDX window that failed for good hides an unknown number of captures."""
    clean = {k: v for k, v in RUN_OUTCOMES.items() if not k.startswith("failed")}
    counts = {**STATE_COUNTS, "failed": 0, "skip": 28}
    stats = {
        **STATS,
        "ise_archive/cdx/failed/http-503": 2,
        "ise_archive/cdx/failed/bad-answer": 1,
    }
    report = first_run(stats=stats, run_outcomes=clean, state_counts=counts)
    assert (report.status, report.exit_code) == ("failed", 1)
    assert report.discovery_failed == {"bad-answer": 1, "http-503": 2}
    assert report.reasons == (
        "3 CDX requests failed (bad-answer 1, http-503 2): discovery is incomplete, "
        "run again to list what they missed",
    )
    assert report.to_json()["discovery_failed"] == {"bad-answer": 1, "http-503": 2}


def test_an_exception_in_a_callback_fails_the_run_as_an_internal_error():
    report = first_run(stats={**STATS, "spider_exceptions/count": 3})
    assert (report.status, report.exit_code, report.spider_errors) == ("failed", 70, 3)
    assert report.reasons == (
        "3 errors in the crawler's own code (a bug: see the log); what they were "
        "handling is retried next run",
    )


def test_a_record_left_out_as_invalid_fails_the_run():
    report = first_run(stats={**STATS, "ise_archive/posts/invalid": 1})
    assert (report.status, report.exit_code, report.posts_invalid) == ("failed", 70, 1)
    assert "1 records failed the schema" in report.reasons[0]


def test_an_archive_answering_only_errors_is_not_a_quiet_no_change_run():
    outage = {
        "ise_archive/pool/cdx/requests": 77,
        "downloader/response_status_count/503": 77,
        "ise_archive/cdx/failed/http-503": 11,
    }
    empty = {name: 0 for name in STATE_COUNTS}
    report = first_run(stats=outage, state_counts=empty, run_outcomes={})
    assert (report.status, report.exit_code) == ("failed", 1)


def test_failure_share_over_the_limit_says_why():
    assert first_run(max_failure_share=0.01).reasons == (
        "1.4% of this run's captures failed (limit 1.0%)",
    )


def test_without_state_the_stats_give_the_accounting():
    report = first_run(state_counts=None, run_outcomes=None)
    assert report.accounting == {
        "record": 38,
        "duplicate": 3,
        "skip": 13,
        "failed": 1,
        "pending": 14,
    }
    assert report.skipped == {"not-a-post:listing": 9, "redirect": 4}
    assert check_accounting(report) == []


def test_check_accounting_names_what_does_not_add_up():
    broken = dataclasses.replace(
        first_run(),
        captures_discovered=70,
        captures_new=71,
        failed={"http-404": 2},
        posts_added=9,
    )
    assert check_accounting(broken) == [
        "accounting adds up to 69, not to the 70 captures discovered",
        "71 new captures but only 70 discovered",
        "more failures this run than failed captures in total",
        "posts added+updated+unchanged = 9, but the dataset has 10",
    ]


def test_summary_paragraph():
    assert summary_paragraph(first_run()) == (
        "Run 20240301T020000Z finished partial (exit 0) in 3m26s. "
        "Captures: 69 known, 69 listed this run, 69 new; 52 fetched. "
        "Posts: 10 added, 0 updated, 0 unchanged (10 in the dataset). "
        "Outcomes so far: 38 records, 3 duplicates, 27 skipped, 1 failed, 0 pending. "
        "Skipped this run: not-a-post-url 14, not-a-post:listing 9, redirect 4. "
        "Failed this run: http-404 1. "
        "Responses by status: 200 60, 503 2. "
        "Requests by pool: cdx 2, replay 60; 429s met: none. "
        "Why: 1 captures failed."
    )


def test_write_report_is_named_by_utc_start_and_atomic(tmp_path: Path):
    eastern = timezone(timedelta(hours=-5))
    report = first_run(started=datetime(2024, 2, 29, 21, 0, 0, tzinfo=eastern))
    path = write_report(tmp_path / "runs", report)
    assert path == tmp_path / "runs" / "20240301T020000Z.json"
    assert json.loads(path.read_text(encoding="utf-8")) == report.to_json()
    # the same run rewrites its report; another run in the same second does not
    assert write_report(tmp_path / "runs", report) == path
    # a run id that is no file name falls back to the start time, kept apart
    other = dataclasses.replace(report, run_id="other run")
    assert write_report(tmp_path / "runs", other).name == "20240301T020000Z-2.json"
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [
        "20240301T020000Z-2.json",
        "20240301T020000Z.json",
    ]


def test_build_report_refuses_naive_times():
    with pytest.raises(ValueError, match="timezone-aware"):
        first_run(started=datetime(2024, 3, 1))


@pytest.mark.parametrize(
    ("arguments", "line"),
    [
        (
            {"discovered": 100, "fetched": 40, "extracted": 35, "pending": 60},
            "discovered 100 | fetched 40 (20.0/min) | extracted 35 | pending 60 | "
            "elapsed 2m00s | ETA 3m00s",
        ),
        (
            {"discovered": 100, "fetched": 0, "extracted": 0, "pending": 100},
            "discovered 100 | fetched 0 (0.0/min) | extracted 0 | pending 100 | "
            "elapsed 2m00s | ETA ?",
        ),
        (
            {"discovered": 9, "fetched": 9, "extracted": 9, "pending": 0},
            "discovered 9 | fetched 9 (4.5/min) | extracted 9 | pending 0 | "
            "elapsed 2m00s | ETA 0s",
        ),
        (
            {
                "discovered": 9,
                "fetched": 9,
                "extracted": 9,
                "pending": 0,
                "pool_delays": {"replay": 1.333333, "cdx": 6.0, "cdx@arquivo": 0.0},
            },
            "discovered 9 | fetched 9 (4.5/min) | extracted 9 | pending 0 | "
            "elapsed 2m00s | ETA 0s | pace cdx 10.0/min, cdx@arquivo no delay, "
            "replay 45.0/min",
        ),
    ],
)
def test_progress_line(arguments, line):
    assert progress_line(**arguments, elapsed_s=120.0) == line


def test_an_interrupted_listing_is_interrupted_even_with_no_capture_pending():
    """Ctrl-C during the listing leaves no capture pending, only requests never
    sent (Scrapy's scheduler counts them): the run is not finished, exit 130."""
    stats = {**STATS, "scheduler/enqueued": 56, "scheduler/dequeued": 5}
    report = first_run(stats=stats, interrupted=True)
    assert (report.status, report.exit_code) == ("interrupted", 130)
    assert report.reasons == (
        "stopped with its listing cut: the partial dataset is written, run again "
        "to finish",
    )
    done = {**STATS, "scheduler/enqueued": 56, "scheduler/dequeued": 56}
    assert first_run(stats=done, interrupted=True).exit_code == 0
