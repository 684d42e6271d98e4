"""Run reports: what a run did, whether it succeeded, and the line it ends with.

Every run writes ``OUTPUT_DIR/runs/<YYYYmmddTHHMMSSZ>.json`` (the UTC start time) and
prints one paragraph. The report is built from the crawler's stats (this run's
requests and outcomes) and the state's counts (every capture ever listed), so the
numbers of a run that resumed a killed one still add up.

**Status and exit code** (:func:`build_report`), first match wins; the codes are
:class:`~ise_archive.exit_codes.ExitCode`:

====  ===========  ==========================================================
code  status       when
====  ===========  ==========================================================
70    failed       an internal error stopped the run, a callback raised (a bug:
                   its capture stays open for next run), a record failed the
                   schema and was left out (a bug), or the counts do not add up
74    failed       the dataset or the run report could not be written
75    blocked      the archive refused us, could not be reached or asked for a
                   wait over ISE_ARCHIVE_RETRY_AFTER_MAX; or another archive
                   (ISE_ARCHIVE_MORE_ARCHIVES) was set aside for that: resume later
130   interrupted  stopped (Ctrl-C, SIGTERM) with captures still pending
1     failed       a CDX query failed for good (discovery is incomplete), or
                   failures this run exceed ``max_failure_share`` of outcomes
0     partial      some captures failed (within the share)
0     no-change    nothing new listed, nothing fetched, no post added or changed
0     ok           everything else
====  ===========  ==========================================================

This module writes only the report file; it neither reads the clock nor the state.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from ise_archive.exit_codes import ExitCode
from ise_archive.records import to_json

logger = logging.getLogger(__name__)

Status = Literal["ok", "no-change", "partial", "failed", "blocked", "interrupted"]

ACCOUNTING_CLASSES: tuple[str, ...] = (
    "record",
    "duplicate",
    "skip",
    "failed",
    "pending",
)

_SKIP_PREFIX = "ise_archive/skip/reason_count/"
_FAILED_PREFIX = "ise_archive/failed/reason_count/"
_CDX_FAILED_PREFIX = "ise_archive/cdx/failed/"
#: Scrapy counts exceptions raised by spider callbacks here: bugs, not bad input.
_SPIDER_ERRORS = "spider_exceptions/count"
_STATUS_PREFIX = "downloader/response_status_count/"
_POOL_PREFIX = "ise_archive/pool/"
# 20261203T130148.749Z (ise_archive.runs.new_run_id), or any plain file stem
_SAFE_RUN_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,99}")
#: Set by the pools middleware when the archive cannot be reached ("host: reason"),
#: or asked for a wait too long to hold the run (_BLOCKED_REASON, same form), and
#: for each other archive it set aside for the rest of the run (spiders/outages.py).
_UNREACHABLE = "ise_archive/unreachable"
_BLOCKED_REASON = "ise_archive/blocked_reason"
_SET_ASIDE_PREFIX = "ise_archive/set_aside/"
#: The attachments phase's stats (spiders/attachments.py) and the dataset's tally
#: of attachments (ise_archive.attachments.tally).
_FILES = "ise_archive/attachments/"
_DATASET_FILES = "ise_archive/attachments/dataset/"


@dataclass(frozen=True, slots=True, kw_only=True)
class RunReport:
    """One run, as ``runs/<timestamp>.json`` holds it (:meth:`to_json`).

    ``captures_discovered`` counts every distinct capture the state knows (listed in
    this run or an earlier one); ``accounting`` sorts exactly those by outcome, so
    its values add up to it. ``captures_listed`` is what this run's CDX listing
    returned; ``skipped``, ``failed`` and ``fetched`` are this run's.
    ``discovery_failed`` counts this run's CDX requests that failed for good (after
    their retries), by reason (``http-503``, ``bad-answer``, ``transport``): the
    captures they would have listed are unknown, so such a run is never "ok".
    ``spider_errors`` counts exceptions raised in the spider's callbacks (Scrapy's
    ``spider_exceptions/count``): bugs, which fail the run with exit 70.
    ``pool_delays_s`` is each request pool's delay between requests when the run
    ended (the configured one unless 429s slowed it and it had not recovered yet),
    ``responses_429`` the 429 answers each pool met.
    """

    run_id: str
    started: str
    finished: str
    duration_s: float
    exit_code: int
    status: Status
    reasons: tuple[str, ...] = ()
    captures_discovered: int = 0
    captures_listed: int = 0
    captures_new: int = 0
    fetched: int = 0
    posts_added: int = 0
    posts_updated: int = 0
    posts_unchanged: int = 0
    posts_total: int = 0
    posts_invalid: int = 0
    #: Records built from feeds and listings alone (``completeness: "partial"``);
    #: not in ``posts_total``, which counts posts with a full record.
    posts_partial: int = 0
    skipped: Mapping[str, int] = field(default_factory=dict)
    failed: Mapping[str, int] = field(default_factory=dict)
    discovery_failed: Mapping[str, int] = field(default_factory=dict)
    spider_errors: int = 0
    requests_by_status: Mapping[str, int] = field(default_factory=dict)
    requests_by_pool: Mapping[str, int] = field(default_factory=dict)
    responses_429: Mapping[str, int] = field(default_factory=dict)
    pool_delays_s: Mapping[str, float] = field(default_factory=dict)
    accounting: Mapping[str, int] = field(default_factory=dict)
    failure_share: float = 0.0
    max_failure_share: float = 0.0
    parameters: Mapping[str, Any] = field(default_factory=dict)
    #: The posts' images and files (:func:`attachment_counts`); empty when the run
    #: rescues none.
    attachments: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return to_json(self)


def build_report(
    *,
    run_id: str,
    started: datetime,
    finished: datetime,
    stats: Mapping[str, Any],
    state_counts: Mapping[str, int] | None = None,
    run_outcomes: Mapping[str, int] | None = None,
    max_failure_share: float,
    blocked: bool,
    interrupted: bool = False,
    error: str | None = None,
    io_error: str | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> RunReport:
    """The report of a finished run, with its status and exit code decided.

    ``stats`` are the crawler's stats (slash keys, see ``docs/operations.md``);
    ``state_counts`` is :meth:`State.counts` and ``run_outcomes`` is
    :meth:`State.outcome_counts` for this run. Without the state (it could not be
    opened), the numbers come from the stats alone. ``interrupted`` says the run was
    stopped (Ctrl-C, SIGTERM) before it ran out of work; ``error`` names an internal
    error that ended the run, ``io_error`` an output that could not be written.
    """
    if started.tzinfo is None or finished.tzinfo is None:
        raise ValueError("started and finished must be timezone-aware")
    skipped, failed = _outcome_reasons(stats, run_outcomes)
    outcomes_this_run = (
        sum(run_outcomes.values())
        if run_outcomes is not None
        else _int(stats, "ise_archive/capture/record")
        + _int(stats, "ise_archive/capture/duplicate")
        + sum(skipped.values())
        + sum(failed.values())
    )
    accounting = _accounting(stats, state_counts, skipped, failed)
    requests_by_status = _by_prefix(stats, _STATUS_PREFIX)
    by_pool = _by_prefix(stats, _POOL_PREFIX)
    requests_by_pool = {
        key.removesuffix("/requests"): n
        for key, n in by_pool.items()
        if key.endswith("/requests")
    }
    n_failed = sum(failed.values())
    share = n_failed / outcomes_this_run if outcomes_this_run else 0.0
    report = RunReport(
        run_id=run_id,
        started=_utc_iso(started),
        finished=_utc_iso(finished),
        duration_s=round((finished - started).total_seconds(), 3),
        exit_code=ExitCode.OK,
        status="ok",
        captures_discovered=sum(accounting.values()),
        captures_listed=_int(stats, "ise_archive/cdx/captures"),
        captures_new=_int(stats, "ise_archive/cdx/new"),
        fetched=_int(stats, "ise_archive/fetch/requests"),
        posts_added=_int(stats, "ise_archive/posts/added"),
        posts_updated=_int(stats, "ise_archive/posts/updated"),
        posts_unchanged=_int(stats, "ise_archive/posts/unchanged"),
        posts_total=int((state_counts or {}).get("posts", 0)),
        posts_invalid=_int(stats, "ise_archive/posts/invalid"),
        posts_partial=_int(stats, "ise_archive/posts/partial"),
        skipped=skipped,
        failed=failed,
        discovery_failed=_by_prefix(stats, _CDX_FAILED_PREFIX),
        spider_errors=_int(stats, _SPIDER_ERRORS),
        requests_by_status=requests_by_status,
        requests_by_pool=requests_by_pool,
        responses_429={
            key.removesuffix("/429"): n
            for key, n in by_pool.items()
            if key.endswith("/429")
        },
        pool_delays_s=pool_delays(stats),
        accounting=accounting,
        failure_share=round(share, 6),
        max_failure_share=max_failure_share,
        parameters=dict(parameters or {}),
        attachments=attachment_counts(stats),
    )
    unreachable = stats.get(_UNREACHABLE)
    status, code, reasons = _decide(
        report,
        blocked=blocked or bool(stats.get("ise_archive/blocked")),
        unreachable=str(unreachable) if unreachable else None,
        why_blocked=str(stats.get(_BLOCKED_REASON) or ""),
        set_aside=tuple(
            f"cannot use {key.removeprefix(_SET_ASIDE_PREFIX)} (another archive) "
            f"for the rest of the run: {why}; what only it holds is left for the "
            "next run"
            for key, why in sorted(stats.items())
            if key.startswith(_SET_ASIDE_PREFIX)
        ),
        interrupted=interrupted,
        unsent=_unsent(stats),
        error=error,
        io_error=io_error,
    )
    return replace(report, status=status, exit_code=code, reasons=reasons)


def attachment_counts(stats: Mapping[str, Any]) -> dict[str, Any]:
    """The attachments of the dataset and this run's work on them, from the stats.

    ``named``: distinct files the records name; ``rescued`` (``rescued_bytes``):
    distinct copies in ``files/``; ``missing``: files reported missing, by reason
    (``not-archived``, ``too-large``, ``failed:<reason>``). This run: ``fetched``
    file requests (``fetched_bytes``), ``saved`` new copies, ``reused`` copies an
    earlier run saved, ``redirects`` followed, ``fallbacks`` to another holder.
    Empty when the records name no file and nothing was fetched.
    """
    named = _int(stats, f"{_DATASET_FILES}named")
    fetched = _int(stats, f"{_FILES}fetches")
    if not (named or fetched):
        return {}
    rescued = _int(stats, f"{_DATASET_FILES}rescued")
    saved = _int(stats, f"{_FILES}saved")
    return {
        "named": named,
        "rescued": rescued,
        "rescued_bytes": _int(stats, f"{_DATASET_FILES}rescued_bytes"),
        "missing": _by_prefix(stats, f"{_DATASET_FILES}missing/"),
        "fetched": fetched,
        "fetched_bytes": _int(stats, f"{_FILES}bytes"),
        "saved": saved,
        "reused": max(rescued - saved, 0),
        "redirects": _int(stats, f"{_FILES}redirects"),
        "fallbacks": _int(stats, f"{_FILES}fallbacks"),
    }


def _unsent(stats: Mapping[str, Any]) -> int:
    """Requests the run scheduled but never sent (Scrapy's scheduler stats): work
    an interrupted run leaves, even before any capture is listed (a Ctrl-C during
    discovery drops the CDX requests waiting in their pool, spiders/slots.py)."""
    return max(0, _int(stats, "scheduler/enqueued") - _int(stats, "scheduler/dequeued"))


def _decide(
    report: RunReport,
    *,
    blocked: bool,
    unreachable: str | None,
    interrupted: bool,
    why_blocked: str = "",
    set_aside: tuple[str, ...] = (),
    unsent: int = 0,
    error: str | None,
    io_error: str | None,
) -> tuple[Status, int, tuple[str, ...]]:
    responses = sum(report.requests_by_status.values())
    requests = sum(report.requests_by_pool.values())
    if error:
        return "failed", ExitCode.INTERNAL, (f"internal error: {error}",)
    if io_error:
        return "failed", ExitCode.IO, (f"could not write the output: {io_error}",)
    if report.posts_invalid:
        return (
            "failed",
            ExitCode.INTERNAL,
            (
                f"{report.posts_invalid} records failed the schema and were left out "
                "of the dataset (a bug: see the log)",
            ),
        )
    if report.spider_errors:
        return (
            "failed",
            ExitCode.INTERNAL,
            (
                f"{report.spider_errors} errors in the crawler's own code (a bug: "
                "see the log); what they were handling is retried next run",
            ),
        )
    problems = check_accounting(report)
    if problems:
        return (
            "failed",
            ExitCode.INTERNAL,
            tuple(f"the run's counts do not add up: {p} (a bug)" for p in problems),
        )
    if unreachable:
        return "blocked", ExitCode.TEMPFAIL, (f"cannot reach {unreachable}",)
    if blocked:
        return (
            "blocked",
            ExitCode.TEMPFAIL,
            (why_blocked or "the archive refused or blocked us",),
        )
    if set_aside:  # the others' work was done: the run is incomplete, resumably
        return "blocked", ExitCode.TEMPFAIL, set_aside
    if requests and not responses:
        return (
            "blocked",
            ExitCode.TEMPFAIL,
            ("no request got an answer from the archive",),
        )
    if report.discovery_failed:
        n = sum(report.discovery_failed.values())
        return (
            "failed",
            ExitCode.FAILED,
            (
                f"{n} CDX requests failed ({_reasons(report.discovery_failed)}): "
                "discovery is incomplete, run again to list what they missed",
            ),
        )
    if report.failed and report.failure_share > report.max_failure_share:
        return (
            "failed",
            ExitCode.FAILED,
            (
                f"{report.failure_share:.1%} of this run's captures failed "
                f"(limit {report.max_failure_share:.1%})",
            ),
        )
    pending = report.accounting.get("pending", 0)
    if interrupted and (pending or unsent):
        left = f"{pending} captures still pending" if pending else "its listing cut"
        return (
            "interrupted",
            ExitCode.INTERRUPTED,
            (
                f"stopped with {left}: the partial dataset is written, run again to "
                "finish",
            ),
        )
    reasons = []
    if report.failed:
        reasons.append(f"{sum(report.failed.values())} captures failed")
    if report.accounting.get("pending"):
        reasons.append(f"{report.accounting['pending']} captures still pending")
    if reasons:
        return "partial", ExitCode.OK, tuple(reasons)
    changed = report.posts_added + report.posts_updated
    if not (report.captures_new or report.fetched or changed):
        return "no-change", ExitCode.OK, ()
    return "ok", ExitCode.OK, ()


def check_accounting(report: RunReport) -> list[str]:
    """What does not add up in a report (an empty list when everything does)."""
    problems = []
    unknown = set(report.accounting) - set(ACCOUNTING_CLASSES)
    if unknown:
        problems.append(f"unknown accounting classes: {sorted(unknown)}")
    total = sum(report.accounting.values())
    if total != report.captures_discovered:
        problems.append(
            f"accounting adds up to {total}, not to the "
            f"{report.captures_discovered} captures discovered"
        )
    if any(n < 0 for n in report.accounting.values()):
        problems.append(f"negative accounting: {dict(report.accounting)}")
    if report.captures_new > report.captures_discovered:
        problems.append(
            f"{report.captures_new} new captures but only "
            f"{report.captures_discovered} discovered"
        )
    if sum(report.skipped.values()) > report.accounting.get("skip", 0):
        problems.append("more skips this run than skipped captures in total")
    if sum(report.failed.values()) > report.accounting.get("failed", 0):
        problems.append("more failures this run than failed captures in total")
    written = report.posts_added + report.posts_updated + report.posts_unchanged
    in_dataset = report.posts_total + report.posts_partial
    if report.posts_total and written and written != in_dataset:
        partial = f" ({report.posts_partial} partial)" if report.posts_partial else ""
        problems.append(
            f"posts added+updated+unchanged = {written}, "
            f"but the dataset has {in_dataset}{partial}"
        )
    return problems


def summary_paragraph(
    report: RunReport,
    *,
    dataset_dir: Path | None = None,
    report_path: Path | None = None,
) -> str:
    """The one paragraph a run ends with, for people reading cron mail.

    With ``dataset_dir`` and ``report_path`` it ends by naming both, so the reader
    knows where to look.
    """
    acc = report.accounting
    parts = [
        f"Run {report.run_id} finished {report.status} (exit {report.exit_code}) "
        f"in {_duration(report.duration_s)}.",
        f"Captures: {report.captures_discovered} known, {report.captures_listed} "
        f"listed this run, {report.captures_new} new; {report.fetched} fetched.",
        f"Posts: {report.posts_added} added, {report.posts_updated} updated, "
        f"{report.posts_unchanged} unchanged ({report.posts_total} in the dataset"
        + (
            f", and {report.posts_partial} known only from feeds and listings)."
            if report.posts_partial
            else ")."
        ),
        f"Outcomes so far: {acc.get('record', 0)} records, "
        f"{acc.get('duplicate', 0)} duplicates, {acc.get('skip', 0)} skipped, "
        f"{acc.get('failed', 0)} failed, {acc.get('pending', 0)} pending.",
    ]
    if report.attachments:
        parts.append(_attachments_sentence(report.attachments))
    if report.skipped:
        parts.append(f"Skipped this run: {_reasons(report.skipped)}.")
    if report.failed:
        parts.append(f"Failed this run: {_reasons(report.failed)}.")
    if report.requests_by_status:
        parts.append(f"Responses by status: {_reasons(report.requests_by_status)}.")
    if report.requests_by_pool:
        met = _reasons(report.responses_429) if report.responses_429 else "none"
        parts.append(
            f"Requests by pool: {_reasons(report.requests_by_pool)}; 429s met: {met}"
            + (
                f"; pace at the end: {pool_pace(report.pool_delays_s)}."
                if report.pool_delays_s
                else "."
            )
        )
    if report.reasons:
        parts.append("Why: " + "; ".join(report.reasons) + ".")
    if dataset_dir is not None:
        parts.append(f"Dataset: {dataset_dir}.")
    if report_path is not None:
        parts.append(f"Report: {report_path}.")
    return " ".join(parts)


def _attachments_sentence(counts: Mapping[str, Any]) -> str:
    """The summary's sentence on attachments (:func:`attachment_counts`).

    >>> _attachments_sentence({"named": 7, "rescued": 4, "rescued_bytes": 2048,
    ...     "missing": {"not-archived": 2, "too-large": 1}, "fetched": 5,
    ...     "fetched_bytes": 2100, "saved": 3, "reused": 1, "redirects": 1,
    ...     "fallbacks": 0})
    'Attachments: 7 files named, 4 rescued (2,048 bytes), missing: not-archived 2, \
too-large 1; this run 5 fetched (2,100 bytes), 3 saved, 1 already rescued.'
    """
    missing = _reasons(counts["missing"]) if counts["missing"] else "none"
    return (
        f"Attachments: {counts['named']} files named, {counts['rescued']} rescued "
        f"({counts['rescued_bytes']:,} bytes), missing: {missing}; this run "
        f"{counts['fetched']} fetched ({counts['fetched_bytes']:,} bytes), "
        f"{counts['saved']} saved, {counts['reused']} already rescued."
    )


def report_file_name(report: RunReport) -> str:
    """``<run id>.json`` (:func:`ise_archive.runs.new_run_id`), so the id the summary
    shows is the file to read; ``<YYYYmmddTHHMMSSZ>.json`` (UTC start) for an id that
    is not a plain file name."""
    if _SAFE_RUN_ID.fullmatch(report.run_id):
        return f"{report.run_id}.json"
    started = datetime.fromisoformat(report.started.replace("Z", "+00:00"))
    return started.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") + ".json"


def write_report(runs_dir: Path, report: RunReport) -> Path:
    """Write the report atomically (temporary file, then rename) and return its path.

    Two runs started in the same second get ``-2``, ``-3``... suffixes rather than
    overwriting each other; rewriting the report of the same run replaces it.
    """
    runs_dir.mkdir(parents=True, exist_ok=True)
    name = report_file_name(report)
    path = runs_dir / name
    n = 1
    while path.exists() and _run_id_of(path) != report.run_id:
        n += 1
        path = runs_dir / f"{name.removesuffix('.json')}-{n}.json"
    text = json.dumps(report.to_json(), ensure_ascii=False, allow_nan=False, indent=2)
    fd, tmp = tempfile.mkstemp(dir=runs_dir, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise
    logger.info("Wrote run report %(path)s", {"path": path})
    return path


def progress_line(
    *,
    discovered: int,
    fetched: int,
    extracted: int,
    pending: int,
    elapsed_s: float,
    pool_delays: Mapping[str, float] | None = None,
) -> str:
    """A periodic progress log line: counts, fetch rate, remaining work and ETA, and
    the pace each pool is allowed now (:func:`pool_pace`; 429s slow it for a while).

    >>> progress_line(discovered=69, fetched=30, extracted=25, pending=30,
    ...               elapsed_s=120, pool_delays={"cdx": 3.0, "replay": 1.0})
    'discovered 69 | fetched 30 (15.0/min) | extracted 25 | pending 30 | \
elapsed 2m00s | ETA 2m00s | pace cdx 20.0/min, replay 60.0/min'
    """
    rate = fetched / (elapsed_s / 60) if elapsed_s > 0 else 0.0
    if pending == 0:
        eta = "0s"
    elif rate > 0:
        eta = _duration(pending / rate * 60)
    else:
        eta = "?"
    line = (
        f"discovered {discovered} | fetched {fetched} ({rate:.1f}/min) | "
        f"extracted {extracted} | pending {pending} | "
        f"elapsed {_duration(elapsed_s)} | ETA {eta}"
    )
    if pool_delays:
        line += f" | pace {pool_pace(pool_delays)}"
    return line


def pool_pace(pool_delays: Mapping[str, float]) -> str:
    """Each pool's allowed pace, from its delay between requests.

    >>> pool_pace({"cdx": 3.0, "replay": 0.666667, "cdx@arquivo": 0.0})
    'cdx 20.0/min, cdx@arquivo no delay, replay 90.0/min'
    """
    return ", ".join(
        f"{pool} {60 / delay:.1f}/min" if delay > 0 else f"{pool} no delay"
        for pool, delay in sorted(pool_delays.items())
    )


def pool_delays(stats: Mapping[str, Any]) -> dict[str, float]:
    """Each pool's current delay between requests, as the pools middleware keeps
    it in the stats (``ise_archive/pool/<pool>/delay``)."""
    return {
        key.removeprefix(_POOL_PREFIX).removesuffix("/delay"): float(value)
        for key, value in sorted(stats.items())
        if key.startswith(_POOL_PREFIX)
        and key.endswith("/delay")
        and isinstance(value, int | float)
    }


def _outcome_reasons(
    stats: Mapping[str, Any], run_outcomes: Mapping[str, int] | None
) -> tuple[dict[str, int], dict[str, int]]:
    if run_outcomes is None:
        return _by_prefix(stats, _SKIP_PREFIX), _by_prefix(stats, _FAILED_PREFIX)
    skipped: dict[str, int] = {}
    failed: dict[str, int] = {}
    for outcome, n in sorted(run_outcomes.items()):
        kind, _, reason = outcome.partition(":")
        if kind == "skip":
            skipped[reason] = skipped.get(reason, 0) + n
        elif kind == "failed":
            failed[reason] = failed.get(reason, 0) + n
    return skipped, failed


def _accounting(
    stats: Mapping[str, Any],
    state_counts: Mapping[str, int] | None,
    skipped: Mapping[str, int],
    failed: Mapping[str, int],
) -> dict[str, int]:
    if state_counts is not None:
        return {name: int(state_counts.get(name, 0)) for name in ACCOUNTING_CLASSES}
    # No state: this run's listing is all we know of.
    known = {
        "record": _int(stats, "ise_archive/capture/record"),
        "duplicate": _int(stats, "ise_archive/capture/duplicate"),
        "skip": sum(skipped.values()),
        "failed": sum(failed.values()),
    }
    listed = _int(stats, "ise_archive/cdx/captures")
    return {**known, "pending": max(listed - sum(known.values()), 0)}


def _by_prefix(stats: Mapping[str, Any], prefix: str) -> dict[str, int]:
    return {
        key.removeprefix(prefix): int(value)
        for key, value in sorted(stats.items())
        if key.startswith(prefix) and isinstance(value, int)
    }


def _int(stats: Mapping[str, Any], key: str) -> int:
    value = stats.get(key, 0)
    return int(value) if isinstance(value, int) else 0


def _utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def duration_text(seconds: float) -> str:
    """``4000`` -> ``'1h06m40s'``: a duration as the summary and progress show it."""
    return _duration(seconds)


def _duration(seconds: float) -> str:
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def _reasons(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{key} {n}" for key, n in sorted(counts.items()))


def _run_id_of(path: Path) -> str | None:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("run_id")
    except (OSError, ValueError):
        return None
