"""Every crawl setting, read and checked once, before the first request.

A bad value must stop the run with a message naming the setting, never switch a
component off: in Scrapy a component that raises ``NotConfigured`` is *disabled*
with one warning, so ``-s ISE_ARCHIVE_429_PAUSE=-1`` once removed all rate
limiting and the run exited 0. So every ``ISE_ARCHIVE_*`` setting (and the Scrapy
settings the crawl depends on) is declared here with its rule, all of them are
checked together, and every problem is reported in one :class:`ConfigError`.

Plain Python: the values come in as a mapping (``-s`` gives strings, the settings
module gives numbers, lists and booleans); ``spiders/config.py`` hands Scrapy's
settings over. The defaults live in :mod:`ise_archive.settings`, not here.
"""

from __future__ import annotations

import difflib
import logging
import math
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from w3lib.url import safe_url_string

from ise_archive.archive.archives import (
    WebArchive,
    parse_archive,
    parse_archive_list,
    unique_names,
)
from ise_archive.archive.cdx import CDXQuery, discovery_queries, exact_query
from ise_archive.archive.wayback import capture_timestamp_to_datetime
from ise_archive.errors import ConfigError
from ise_archive.normalize.urls import canonical_post_url, is_site_url
from ise_archive.plan.selection import LISTING_SAMPLINGS, SelectionPolicy

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


@dataclass(frozen=True, slots=True, kw_only=True)
class CrawlConfig:
    """The validated settings of one crawl (field = setting name, lower-cased and
    without the ``ISE_ARCHIVE_`` prefix)."""

    wayback_base_url: str
    archive: WebArchive
    #: The other archives (ISE_ARCHIVE_MORE_ARCHIVES), in the order they are tried.
    more_archives: tuple[WebArchive, ...]
    output_dir: Path
    state_path: Path
    archive_url_base: str
    cdx_prefixes: tuple[str, ...]
    from_year: int
    to_year: int
    cdx_window_years: int
    cdx_page_size: int
    cdx_filters: tuple[str, ...]
    cdx_collapse: str | None
    cdx_port_forms: tuple[str, ...]
    follow_listings: bool
    listing_sampling: str
    cdx_rpm: float
    replay_rps: float
    cdx_concurrency: int
    replay_concurrency: int
    pause_429: float
    retry_after_max: float
    backoff_429: float
    max_retries_429: int
    rate_recovery: float
    stop_on_refused: bool
    unreachable_after: int
    retry_backoff_base: float
    retry_backoff_max: float
    max_page_bytes: int
    attachments: bool
    max_attachment_bytes: int
    check_links: bool
    max_attempts: int
    truncated_retries: int
    recheck_runs: int
    max_failure_share: float
    progress_interval: float
    progress_view: str
    plan_batch: int
    warc_enabled: bool
    warc_max_bytes: int
    replay_warc_dir: str | None
    replay_answers: str | None
    prepared_pages: str | None
    queries: tuple[CDXQuery, ...]

    def lookup(self, url: str) -> CDXQuery:
        """The exact CDX lookup of ``url``, over the years discovery covers.

        Unbounded, a lookup listed captures from before ``ISE_ARCHIVE_FROM_YEAR`` and
        after ``ISE_ARCHIVE_TO_YEAR`` that no prefix query of the run lists: more
        rows for the same answer, and a crawl whose captures depend on how a URL was
        found (issue 10).
        """
        since = str(self.from_year) if self.from_year else None
        return exact_query(url, from_ts=since, to_ts=str(self.to_year))


# --- value rules: each returns the typed value or raises ValueError(why) ------------


def _number(raw: Any) -> float:
    if isinstance(raw, bool):
        raise ValueError("must be a number")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ValueError("must be a number") from None
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


def _integer(raw: Any) -> int:
    value = _number(raw)
    if value != int(value):
        raise ValueError("must be a whole number")
    return int(value)


def positive(raw: Any) -> float:
    value = _number(raw)
    if value <= 0:
        raise ValueError("must be a number > 0")
    return value


def at_least(low: float, unit: str) -> Callable[[Any], float]:
    """A rate with a floor: slower than ``low`` a crawl would look hung (a request
    every few hours) and a Ctrl-C would wait that long for the request in flight."""

    def rule(raw: Any) -> float:
        value = _number(raw)
        if value < low:
            raise ValueError(f"must be a number >= {low:g} ({unit})")
        return value

    return rule


def non_negative(raw: Any) -> float:
    value = _number(raw)
    if value < 0:
        raise ValueError("must be a number >= 0")
    return value


def at_least_one(raw: Any) -> float:
    value = _number(raw)
    if value < 1:
        raise ValueError("must be a number >= 1")
    return value


def share(raw: Any) -> float:
    value = _number(raw)
    if not 0 <= value <= 1:
        raise ValueError("must be a share between 0 and 1")
    return value


def positive_share(raw: Any) -> float:
    value = _number(raw)
    if not 0 < value <= 1:
        raise ValueError("must be a share above 0, at most 1")
    return value


def one_of(*choices: str) -> Callable[[Any], str]:
    def rule(raw: Any) -> str:
        value = str(raw).strip().lower()
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return value

    return rule


def int_at_least(low: int) -> Callable[[Any], int]:
    def rule(raw: Any) -> int:
        value = _integer(raw)
        if value < low:
            raise ValueError(f"must be a whole number >= {low}")
        return value

    return rule


def year(raw: Any) -> int:
    value = _integer(raw)
    if value != 0 and not 1996 <= value <= 9999:
        raise ValueError("must be a year (1996 or later), or 0 for the current year")
    return value


def boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("must be true or false (1/0, yes/no)")


def http_url(raw: Any) -> str:
    text = str(raw or "").strip().rstrip("/")
    scheme, _, rest = text.partition("://")
    if scheme.lower() not in ("http", "https") or not rest or " " in rest:
        raise ValueError("must be an http:// or https:// URL")
    return safe_url_string(text)


def archive_spec(raw: Any) -> str:
    """``[wayback:|pywb:]<root URL>`` of a Wayback Machine or a pywb collection."""
    try:
        return parse_archive(str(raw or "")).spec()
    except ValueError:
        raise ValueError(
            "must be the http(s) URL of a Wayback Machine or a pywb collection "
            "(optionally prefixed wayback: or pywb:)"
        ) from None


def archive_list(raw: Any) -> tuple[WebArchive, ...]:
    """Comma-separated archive roots (each as ``WAYBACK_BASE_URL`` takes one)."""
    try:
        return tuple(parse_archive_list(text_list(raw)))
    except ValueError as exc:
        raise ValueError(
            f"must list http(s) URLs of Wayback Machines or pywb collections, "
            f"separated by commas ({exc})"
        ) from None


def optional_http_url(raw: Any) -> str:
    return http_url(raw) if str(raw or "").strip() else ""


def text_list(raw: Any) -> tuple[str, ...]:
    """A list setting: a list, or a comma-separated string (like Scrapy's getlist)."""
    if raw is None:
        return ()
    if isinstance(raw, str):
        items = raw.split(",")
    elif isinstance(raw, Sequence):
        items = [str(item) for item in raw]
    else:
        raise ValueError("must be a list or a comma-separated string")
    return tuple(item.strip() for item in items if item.strip())


def path(raw: Any) -> Path:
    text = str(raw or "").strip()
    if not text or "\x00" in text:
        raise ValueError("must be a directory path")
    return Path(text)


def optional_text(raw: Any) -> str | None:
    text = str(raw or "").strip()
    return text or None


#: setting name -> (CrawlConfig field, rule). The order is the order of messages.
RULES: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "WAYBACK_BASE_URL": ("wayback_base_url", archive_spec),
    "ISE_ARCHIVE_MORE_ARCHIVES": ("more_archives", archive_list),
    "OUTPUT_DIR": ("output_dir", path),
    "ISE_ARCHIVE_STATE_PATH": ("state_path", optional_text),
    "ISE_ARCHIVE_ARCHIVE_URL_BASE": ("archive_url_base", optional_http_url),
    "ISE_ARCHIVE_CDX_PREFIXES": ("cdx_prefixes", text_list),
    "ISE_ARCHIVE_FROM_YEAR": ("from_year", year),
    "ISE_ARCHIVE_TO_YEAR": ("to_year", year),
    "ISE_ARCHIVE_CDX_WINDOW_YEARS": ("cdx_window_years", int_at_least(1)),
    "ISE_ARCHIVE_CDX_PAGE_SIZE": ("cdx_page_size", int_at_least(1)),
    "ISE_ARCHIVE_CDX_FILTERS": ("cdx_filters", text_list),
    "ISE_ARCHIVE_CDX_COLLAPSE": ("cdx_collapse", optional_text),
    "ISE_ARCHIVE_CDX_PORT_FORMS": ("cdx_port_forms", text_list),
    "ISE_ARCHIVE_FOLLOW_LISTINGS": ("follow_listings", boolean),
    "ISE_ARCHIVE_LISTING_SAMPLING": ("listing_sampling", one_of(*LISTING_SAMPLINGS)),
    "ISE_ARCHIVE_CDX_RPM": ("cdx_rpm", at_least(0.1, "a request every 10 min")),
    "ISE_ARCHIVE_REPLAY_RPS": (
        "replay_rps",
        at_least(0.01, "a request every 100 s"),
    ),
    "ISE_ARCHIVE_CDX_CONCURRENCY": ("cdx_concurrency", int_at_least(1)),
    "ISE_ARCHIVE_REPLAY_CONCURRENCY": ("replay_concurrency", int_at_least(1)),
    "ISE_ARCHIVE_429_PAUSE": ("pause_429", non_negative),
    "ISE_ARCHIVE_RETRY_AFTER_MAX": ("retry_after_max", non_negative),
    "ISE_ARCHIVE_429_BACKOFF": ("backoff_429", at_least_one),
    "ISE_ARCHIVE_429_MAX_RETRIES": ("max_retries_429", int_at_least(0)),
    "ISE_ARCHIVE_RATE_RECOVERY": ("rate_recovery", positive_share),
    "ISE_ARCHIVE_STOP_ON_REFUSED": ("stop_on_refused", boolean),
    "ISE_ARCHIVE_UNREACHABLE_AFTER": ("unreachable_after", int_at_least(1)),
    "ISE_ARCHIVE_RETRY_BACKOFF_BASE": ("retry_backoff_base", non_negative),
    "ISE_ARCHIVE_RETRY_BACKOFF_MAX": ("retry_backoff_max", non_negative),
    "ISE_ARCHIVE_MAX_PAGE_BYTES": ("max_page_bytes", int_at_least(1)),
    "ISE_ARCHIVE_ATTACHMENTS": ("attachments", boolean),
    "ISE_ARCHIVE_MAX_ATTACHMENT_BYTES": ("max_attachment_bytes", int_at_least(1)),
    "ISE_ARCHIVE_CHECK_LINKS": ("check_links", boolean),
    "ISE_ARCHIVE_MAX_ATTEMPTS": ("max_attempts", int_at_least(1)),
    "ISE_ARCHIVE_TRUNCATED_RETRIES": ("truncated_retries", int_at_least(0)),
    "ISE_ARCHIVE_RECHECK_RUNS": ("recheck_runs", int_at_least(0)),
    "ISE_ARCHIVE_MAX_FAILURE_SHARE": ("max_failure_share", share),
    "ISE_ARCHIVE_PROGRESS_INTERVAL": ("progress_interval", non_negative),
    "ISE_ARCHIVE_PROGRESS_VIEW": ("progress_view", one_of("auto", "off")),
    "ISE_ARCHIVE_PLAN_BATCH": ("plan_batch", int_at_least(1)),
    "ISE_ARCHIVE_WARC_ENABLED": ("warc_enabled", boolean),
    "ISE_ARCHIVE_WARC_MAX_BYTES": ("warc_max_bytes", int_at_least(0)),
    "ISE_ARCHIVE_REPLAY_WARC_DIR": ("replay_warc_dir", optional_text),
    "ISE_ARCHIVE_REPLAY_ANSWERS": ("replay_answers", optional_text),
    "ISE_ARCHIVE_PREPARED_PAGES": ("prepared_pages", optional_text),
}

#: Scrapy settings the crawl depends on: a value that would hang or silently
#: change the crawl is refused like one of ours.
SCRAPY_RULES: dict[str, Callable[[Any], Any]] = {
    "CONCURRENT_REQUESTS": int_at_least(1),
    "CONCURRENT_ITEMS": int_at_least(1),
    "DOWNLOAD_TIMEOUT": positive,
    "RETRY_TIMES": int_at_least(0),
    "DOWNLOAD_MAXSIZE": int_at_least(0),
}


def parse_config(values: Mapping[str, Any], *, current_year: int) -> CrawlConfig:
    """The checked settings, or :class:`ConfigError` listing every bad value.

    ``values`` maps setting names to raw values (strings from ``-s``, or the
    settings module's typed defaults); ``current_year`` resolves ``TO_YEAR = 0``
    (passed in: the library never reads the clock).
    """
    problems = _unknown_settings(values)
    parsed: dict[str, Any] = {}
    for name, (field_name, rule) in RULES.items():
        raw = values.get(name)
        try:
            parsed[field_name] = rule(raw)
        except ValueError as exc:
            problems.append(f"{name} ({raw!r}) {exc}")
    for name, rule in SCRAPY_RULES.items():
        if name in values:
            try:
                rule(values[name])
            except ValueError as exc:
                problems.append(f"{name} ({values[name]!r}) {exc}")
    if problems:
        raise ConfigError(problems)
    _check_relations(parsed, problems, current_year)
    if problems:
        raise ConfigError(problems)
    return CrawlConfig(**parsed)


#: Our settings' prefix: a name with it that no rule knows is a typo, refused, as
#: Scrapy would silently ignore it and run at the default (``..._REPLAY_RPN=5``).
SETTING_PREFIX = "ISE_ARCHIVE_"


def _unknown_settings(values: Mapping[str, Any]) -> list[str]:
    problems = []
    for name in values:
        if name.startswith(SETTING_PREFIX) and name not in RULES:
            near = difflib.get_close_matches(name, RULES, n=1, cutoff=0.8)
            hint = f" (did you mean {near[0]}?)" if near else ""
            problems.append(
                f"{name}: unknown setting{hint}; see ise_archive/settings.py"
            )
    return problems


def _check_relations(
    parsed: dict[str, Any], problems: list[str], current_year: int
) -> None:
    """Rules between settings, and the derived values (state path, CDX queries)."""
    to_year = parsed["to_year"] or current_year
    if parsed["from_year"] and parsed["from_year"] > to_year:
        problems.append(
            f"ISE_ARCHIVE_FROM_YEAR ({parsed['from_year']}) is after "
            f"ISE_ARCHIVE_TO_YEAR ({to_year})"
        )
    if parsed["retry_backoff_max"] < parsed["retry_backoff_base"]:
        problems.append(
            f"ISE_ARCHIVE_RETRY_BACKOFF_MAX ({parsed['retry_backoff_max']}) is below "
            f"ISE_ARCHIVE_RETRY_BACKOFF_BASE ({parsed['retry_backoff_base']})"
        )
    if not parsed["cdx_prefixes"]:
        problems.append("ISE_ARCHIVE_CDX_PREFIXES is empty: nothing would be listed")
    parsed["to_year"] = to_year
    parsed["state_path"] = (
        Path(parsed["state_path"])
        if parsed["state_path"]
        else parsed["output_dir"] / ".state" / "state.sqlite3"
    )
    archive = parse_archive(
        parsed["wayback_base_url"], view_root=parsed["archive_url_base"]
    )
    parsed["archive"] = archive
    names = unique_names([archive, *parsed["more_archives"]])
    parsed["more_archives"] = tuple(names[1:])  # pools: no name twice
    if any(other.root == archive.root for other in parsed["more_archives"]):
        problems.append(
            "ISE_ARCHIVE_MORE_ARCHIVES names the main archive (WAYBACK_BASE_URL) again"
        )
    # records name the archive by kind and root: pywb and Wayback replay URLs
    # differ (ise_archive.archive.archives)
    parsed["archive_url_base"] = f"{archive.kind}:{archive.view_root or archive.root}"
    try:
        parsed["queries"] = tuple(
            discovery_queries(
                prefixes=list(parsed["cdx_prefixes"]),
                from_year=parsed["from_year"],
                to_year=to_year,
                window_years=parsed["cdx_window_years"],
                limit=parsed["cdx_page_size"],
                filters=list(parsed["cdx_filters"]),
                collapse=parsed["cdx_collapse"],
                port_forms=list(parsed["cdx_port_forms"]),
            )
        )
    except ValueError as exc:
        problems.append(f"ISE_ARCHIVE_CDX_* settings: {exc}")


#: ``scrapy crawl ise_blog -a NAME=VALUE`` arguments and what each takes.
SPIDER_ARGUMENTS = {
    "versions": "'latest' (default) or 'all'",
    "from": "capture time from, 1-14 digits (YYYYMMDDhhmmss prefix)",
    "to": "capture time to, 1-14 digits (YYYYMMDDhhmmss prefix)",
    "prefix": "only posts under this ise.gov URL",
}


def parse_spider_arguments(
    arguments: Mapping[str, Any], *, max_attempts: int
) -> SelectionPolicy:
    """The selection policy the ``-a`` arguments ask for, or :class:`ConfigError`.

    Scrapy hands every ``-a`` to the spider unchecked, so a typo (``-a version=all``)
    would run a different crawl than asked, and exit 0: unknown names are refused
    with the nearest known one, a time range that is empty and a prefix outside
    the site too.
    """
    problems = []
    for name in arguments:
        if name not in SPIDER_ARGUMENTS:
            near = difflib.get_close_matches(name, SPIDER_ARGUMENTS, n=1)
            hint = f"did you mean -a {near[0]}=...? " if near else ""
            problems.append(
                f"-a {name}: unknown argument ({hint}known: "
                f"{', '.join(SPIDER_ARGUMENTS)})"
            )
    versions = str(arguments.get("versions", "latest"))
    if versions not in ("latest", "all"):
        problems.append(f"-a versions={versions!r}: use 'latest' or 'all'")
    bounds: dict[str, str | None] = {}
    for label in ("from", "to"):
        value = arguments.get(label)
        bounds[label] = None if value is None else str(value)
        if value is not None and not _time_prefix(str(value)):
            problems.append(
                f"-a {label}={value!r}: use 1-14 digits of a real capture time "
                "(YYYYMMDDhhmmss, e.g. 2011 or 201110)"
            )
            bounds[label] = None
    low, high = bounds["from"], bounds["to"]
    if low and high and low.ljust(14, "0") > high.ljust(14, "9"):
        problems.append(f"-a from={low} is after -a to={high}: no capture can match")
    prefix = arguments.get("prefix")
    if prefix is not None:
        text = str(prefix).strip()
        url = text if "://" in text else "http://" + text.lstrip("/")
        if not text or not is_site_url(url):
            problems.append(
                f"-a prefix={prefix!r}: must be a URL on ise.gov or www.ise.gov "
                "(e.g. http://www.ise.gov/blog/kshemendra-paul)"
            )
    if problems:
        raise ConfigError(problems)
    return SelectionPolicy(
        versions=versions,  # type: ignore[arg-type]
        from_ts=low,
        to_ts=high,
        url_prefix=_prefix(str(prefix).strip()) if prefix else None,
        max_attempts=max_attempts,
    )


def _time_prefix(value: str) -> bool:
    """1-14 digits whose complete fields are a real time (no month 13, day 99)."""
    if not (value.isdigit() and value.isascii() and 1 <= len(value) <= 14):
        return False
    if len(value) < 4:
        return True
    try:
        capture_timestamp_to_datetime(value)
    except ValueError:
        return False
    return True


def _prefix(prefix: str) -> str:
    """A post URL prefix in its canonical form when it is a post URL."""
    return canonical_post_url(prefix) or prefix


def run_parameters(
    config: CrawlConfig, policy: SelectionPolicy, *, tool_version: str
) -> dict[str, Any]:
    """What the manifest and run report record about a run's inputs."""
    queries = config.queries
    return {
        "tool_version": tool_version,
        "wayback_base_url": config.archive.root,
        "archive_kind": config.archive.kind,
        **(
            {"more_archives": [a.spec() for a in config.more_archives]}
            if config.more_archives
            else {}
        ),
        "versions": policy.versions,
        "from": policy.from_ts,
        "to": policy.to_ts,
        "prefix": policy.url_prefix,
        "cdx_prefixes": sorted({q.url for q in queries}),
        "cdx_filters": list(queries[0].filters) if queries else [],
        "cdx_collapse": queries[0].collapse if queries else None,
        # what else decides which records exist and what fields they carry
        "follow_listings": config.follow_listings,
        "listing_sampling": config.listing_sampling,
        "max_attempts": config.max_attempts,
        "max_page_bytes": config.max_page_bytes,
        "attachments": config.attachments,
        "max_attachment_bytes": config.max_attachment_bytes,
        "check_links": config.check_links,
    }


def setting_names() -> tuple[str, ...]:
    """Every setting this module checks (for tests and documentation)."""
    return (*RULES, *SCRAPY_RULES)


def writable_directory(directory: Path, name: str) -> None:
    """Create ``directory`` if needed and check a file can be written in it, or
    :class:`ConfigError` naming the setting or option ``name``."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise ConfigError(
            f"{name} ({str(directory)!r}) cannot be written: {exc.strerror or exc}"
        ) from exc


def logging_problems(level: Any, log_file: str | None) -> list[str]:
    """What is wrong with the log level and file a run would open (a traceback
    from the logging set-up otherwise, before the crawl command could check)."""
    problems = []
    try:
        logging.Handler().setLevel(level)
    except (TypeError, ValueError):
        names = "CRITICAL, ERROR, WARNING, INFO, DEBUG"
        problems.append(f"LOG_LEVEL / -L ({level!r}) must be one of {names}")
    if log_file:
        try:
            with open(log_file, "a", encoding="utf-8"):
                pass
        except OSError as exc:
            problems.append(
                f"LOG_FILE ({log_file!r}) cannot be written: {exc.strerror or exc}"
            )
    return problems
