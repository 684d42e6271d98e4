"""What a run is, apart from its counts: its id, its settings, whether it finished.

The crawler asks these once per run: :func:`new_run_id` names the run (and its
report, ``runs/<run id>.json``), :func:`run_settings` picks the settings the report
records, and :func:`incomplete_reason` decides whether the dataset the run writes is
complete (the manifest's ``crawl.complete``). Plain values in, plain values out; no
clock is read here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

_SETTING_PREFIX = "ISE_ARCHIVE_"
#: Scrapy and crawl settings a run depends on, recorded with the project's own.
_RECORDED_SETTINGS = frozenset(
    {
        "WAYBACK_BASE_URL",
        "OUTPUT_DIR",
        "CONCURRENT_REQUESTS",
        "CONCURRENT_REQUESTS_PER_DOMAIN",
        "DOWNLOAD_DELAY",
        "DOWNLOAD_TIMEOUT",
        "DOWNLOAD_SLOTS",
        "JOBDIR",
        "LOG_LEVEL",
        "USER_AGENT",
    }
)


def new_run_id(started: datetime) -> str:
    """The id of a run started at ``started``: its UTC time to the millisecond.

    Milliseconds keep two runs started in the same second apart; the id is also the
    run report's file name (``runs/<run id>.json``), so the summary's run id is
    the name of the file to read.

    >>> new_run_id(datetime(2026, 12, 3, 13, 1, 48, 749000, tzinfo=UTC))
    '20261203T130148.749Z'
    """
    if started.tzinfo is None:
        raise ValueError("started must be timezone-aware")
    return started.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%f")[:-3] + "Z"


def incomplete_reason(
    *,
    blocked: bool,
    interrupted: bool,
    discovery_failed: Mapping[str, int],
    pending: int,
) -> str | None:
    """Why the dataset a run writes may lack posts, or None when the run finished.

    Finished means every capture the run listed has a final outcome and the listing
    itself was complete; captures that failed (reported, retried next run) do not
    make a dataset incomplete, unprocessed ones do. The reason goes into the
    manifest and the card (``complete: false``).
    """
    reasons = []
    if interrupted:
        reasons.append("the run was interrupted (Ctrl-C or SIGTERM)")
    if blocked:
        reasons.append("the archive refused or could not be reached")
    if discovery_failed:
        n = sum(discovery_failed.values())
        reasons.append(f"{n} CDX requests failed, so the listing is incomplete")
    if pending:
        reasons.append(f"{pending} captures were not processed")
    return "; ".join(reasons) or None


def run_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The settings a run report records: the project's, and those we depend on.

    ``settings`` is any name -> value mapping (the crawler's settings as a dict);
    values that are not JSON data are written as their ``repr``.
    """
    return {
        name: _json_value(settings[name])
        for name in sorted(settings)
        if name.startswith(_SETTING_PREFIX) or name in _RECORDED_SETTINGS
    }


def _json_value(value: Any) -> Any:
    """``value`` as JSON data: containers converted, anything else its repr."""
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_json_value(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else repr(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return repr(value)
