"""Tests for ise_archive.config: every setting and argument checked before a run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ise_archive import settings
from ise_archive.archive.cdx import CDXQuery
from ise_archive.config import (
    RULES,
    CrawlConfig,
    parse_config,
    parse_spider_arguments,
    setting_names,
)
from ise_archive.errors import ConfigError

DEFAULTS = {
    name: getattr(settings, name) for name in setting_names() if hasattr(settings, name)
}


def config(**changes: Any) -> CrawlConfig:
    return parse_config({**DEFAULTS, **changes}, current_year=2026)


def test_the_defaults_are_valid_and_typed() -> None:
    checked = config()
    assert (checked.cdx_rpm, checked.replay_rps, checked.to_year) == (20.0, 1.5, 2026)
    assert checked.state_path == Path("output/.state/state.sqlite3")
    assert checked.archive_url_base == "wayback:https://web.archive.org"
    assert (checked.archive.kind, checked.archive.root) == (
        "wayback",
        "https://web.archive.org",
    )
    # 11 two-year windows per prefix, and each port form once per prefix
    assert len(checked.queries) == len(checked.cdx_prefixes) * (11 + 2)


def test_an_exact_lookup_asks_only_the_years_discovery_covers() -> None:
    """Issue 10: a lookup is bounded as the prefix queries are (TO_YEAR 0 = now)."""
    checked = config(ISE_ARCHIVE_FROM_YEAR=2009, ISE_ARCHIVE_TO_YEAR=0)

    assert checked.lookup("http://www.dni.gov/blog/a/b#top") == CDXQuery(
        url="http://www.dni.gov/blog/a/b",
        match_type="exact",
        from_ts="2009",
        to_ts="2026",
    )
    discovered = [(q.from_ts, q.to_ts) for q in checked.queries]
    assert (min(discovered)[0], max(discovered)[1]) == ("2009", "2026")


def test_every_setting_of_the_settings_module_is_checked() -> None:
    """A new ISE_ARCHIVE_* default without a rule would go unchecked."""
    ours = {name for name in dir(settings) if name.startswith("ISE_ARCHIVE_")}
    assert ours <= set(RULES)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "ISE_ARCHIVE_CDX_RPM",
            "fast",
            "ISE_ARCHIVE_CDX_RPM ('fast') must be a number",
        ),
        (
            "ISE_ARCHIVE_REPLAY_RPS",
            "0",
            "ISE_ARCHIVE_REPLAY_RPS ('0') must be a number >= 0.01",
        ),
        ("ISE_ARCHIVE_REPLAY_RPS", "nan", "must be a finite number"),
        ("ISE_ARCHIVE_CDX_CONCURRENCY", "0", "must be a whole number >= 1"),
        ("ISE_ARCHIVE_REPLAY_CONCURRENCY", "1.5", "must be a whole number"),
        (
            "ISE_ARCHIVE_429_PAUSE",
            "-1",
            "ISE_ARCHIVE_429_PAUSE ('-1') must be a number >= 0",
        ),
        ("ISE_ARCHIVE_429_BACKOFF", "0.5", "must be a number >= 1"),
        ("ISE_ARCHIVE_429_MAX_RETRIES", "-1", "must be a whole number >= 0"),
        ("ISE_ARCHIVE_RATE_RECOVERY", "0", "must be a share above 0, at most 1"),
        ("ISE_ARCHIVE_RATE_RECOVERY", "1.5", "must be a share above 0, at most 1"),
        ("ISE_ARCHIVE_UNREACHABLE_AFTER", "0", "must be a whole number >= 1"),
        ("ISE_ARCHIVE_PROGRESS_VIEW", "fancy", "must be one of auto, off"),
        ("ISE_ARCHIVE_RETRY_BACKOFF_BASE", "-2", "must be a number >= 0"),
        ("ISE_ARCHIVE_MAX_FAILURE_SHARE", "5", "must be a share between 0 and 1"),
        ("ISE_ARCHIVE_MAX_PAGE_BYTES", "0", "must be a whole number >= 1"),
        ("ISE_ARCHIVE_MAX_ATTEMPTS", "0", "must be a whole number >= 1"),
        ("ISE_ARCHIVE_PLAN_BATCH", "-3", "must be a whole number >= 1"),
        ("ISE_ARCHIVE_FOLLOW_LISTINGS", "maybe", "must be true or false"),
        (
            "ISE_ARCHIVE_LISTING_SAMPLING",
            "weekly",
            "must be one of newest, year, month, all",
        ),
        ("ISE_ARCHIVE_FROM_YEAR", "abcd", "ISE_ARCHIVE_FROM_YEAR ('abcd') must be"),
        ("ISE_ARCHIVE_TO_YEAR", "17", "must be a year (1996 or later)"),
        ("ISE_ARCHIVE_CDX_WINDOW_YEARS", "0", "must be a whole number >= 1"),
        ("ISE_ARCHIVE_CDX_FILTERS", "colour:red", "filter 'colour:red' is not"),
        ("ISE_ARCHIVE_CDX_COLLAPSE", "digest;x", "collapse 'digest;x' is not"),
        ("ISE_ARCHIVE_CDX_PREFIXES", "", "ISE_ARCHIVE_CDX_PREFIXES is empty"),
        (
            "WAYBACK_BASE_URL",
            "notaurl",
            "WAYBACK_BASE_URL ('notaurl') must be the http(s)",
        ),
        ("ISE_ARCHIVE_ARCHIVE_URL_BASE", "ftp://x", "must be an http:// or https://"),
        ("OUTPUT_DIR", "", "OUTPUT_DIR ('') must be a directory path"),
        ("CONCURRENT_REQUESTS", "0", "CONCURRENT_REQUESTS ('0') must be"),
        ("DOWNLOAD_TIMEOUT", "-5", "DOWNLOAD_TIMEOUT ('-5') must be a number > 0"),
    ],
)
def test_a_bad_value_is_refused_naming_the_setting(
    name: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        config(**{name: value})
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ISE_ARCHIVE_CDX_RPM", "0.0000001", "must be a number >= 0.1"),
        ("ISE_ARCHIVE_CDX_FILTERS", "statuscode:(", "its regex is broken"),
        ("ISE_ARCHIVE_LISTING_SAMPLING", "weekly", "must be one of newest"),
    ],
)
def test_a_value_that_would_hang_or_fail_every_query_is_refused(
    name: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        config(**{name: value})
    assert message in str(refused.value)


def test_a_misspelt_setting_of_ours_is_refused_with_the_nearest_name() -> None:
    """Scrapy ignores a setting nobody reads: ISE_ARCHIVE_REPLAY_RPN=5 would run at
    the default rate, exit 0."""
    with pytest.raises(ConfigError) as refused:
        config(ISE_ARCHIVE_REPLAY_RPN="5", ISE_ARCHIVE_NO_SUCH_THING="1")
    assert refused.value.problems[:2] == [
        "ISE_ARCHIVE_REPLAY_RPN: unknown setting (did you mean "
        "ISE_ARCHIVE_REPLAY_RPS?); see ise_archive/settings.py",
        "ISE_ARCHIVE_NO_SUCH_THING: unknown setting; see ise_archive/settings.py",
    ]


def test_every_bad_value_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as refused:
        config(ISE_ARCHIVE_CDX_RPM="0", ISE_ARCHIVE_429_PAUSE="-1")
    assert [p.split(" ")[0] for p in refused.value.problems] == [
        "ISE_ARCHIVE_CDX_RPM",
        "ISE_ARCHIVE_429_PAUSE",
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ISE_ARCHIVE_FROM_YEAR": 2030, "ISE_ARCHIVE_TO_YEAR": 2017}, "is after"),
        (
            {"ISE_ARCHIVE_RETRY_BACKOFF_BASE": 10, "ISE_ARCHIVE_RETRY_BACKOFF_MAX": 1},
            "ISE_ARCHIVE_RETRY_BACKOFF_MAX (1.0) is below",
        ),
    ],
)
def test_settings_that_contradict_each_other_are_refused(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(
        ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        config(**changes)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("0", False), ("No", False), (1, True), (False, False)],
)
def test_booleans_read_like_scrapy_reads_them(raw: object, expected: bool) -> None:
    assert config(ISE_ARCHIVE_FOLLOW_LISTINGS=raw).follow_listings is expected


def test_strings_from_the_command_line_are_read_as_numbers_and_lists() -> None:
    checked = config(
        ISE_ARCHIVE_CDX_RPM="30",
        ISE_ARCHIVE_CDX_FILTERS="statuscode:200,!mimetype:image/.*",
    )
    assert checked.cdx_rpm == 30.0
    assert checked.cdx_filters == ("statuscode:200", "!mimetype:image/.*")


# --- spider arguments -----------------------------------------------------------


def test_arguments_make_the_policy() -> None:
    policy = parse_spider_arguments(
        {"versions": "all", "from": "2011", "to": "2013", "prefix": "ise.gov/blog"},
        max_attempts=4,
    )
    assert (policy.versions, policy.from_ts, policy.to_ts, policy.max_attempts) == (
        "all",
        "2011",
        "2013",
        4,
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            {"version": "all"},
            "-a version: unknown argument (did you mean -a versions=...?",
        ),
        ({"bogusarg": "1"}, "-a bogusarg: unknown argument (known: versions, from"),
        ({"from": "2015", "to": "2011"}, "-a from=2015 is after -a to=2011"),
        ({"from": "abcd"}, "-a from='abcd': use 1-14 digits"),
        ({"from": "20151399"}, "-a from='20151399': use 1-14 digits of a real"),
        ({"to": "201302301200"}, "-a to='201302301200': use 1-14 digits of a real"),
        ({"prefix": "http://example.com/"}, "-a prefix='http://example.com/': must be"),
        ({"versions": "newest"}, "-a versions='newest': use 'latest' or 'all'"),
    ],
)
def test_bad_arguments_are_refused(arguments: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_spider_arguments(arguments, max_attempts=8)
    assert message in str(refused.value)


def test_a_range_within_one_year_is_not_empty() -> None:
    """``from`` is padded with zeros and ``to`` with nines: 2011..2011 is a year."""
    policy = parse_spider_arguments({"from": "2011", "to": "2011"}, max_attempts=8)
    assert (policy.from_ts, policy.to_ts) == ("2011", "2011")


def test_more_archives_are_parsed_in_order_with_unique_names() -> None:
    checked = config(
        ISE_ARCHIVE_MORE_ARCHIVES=(
            "https://webarchive.library.unt.edu/eot2016, pywb:https://h.test/eot2016,"
            "wayback:http://mirror.test"
        )
    )
    assert [(a.kind, a.name) for a in checked.more_archives] == [
        ("pywb", "eot2016"),
        ("pywb", "eot2016-2"),
        ("wayback", "mirror.test"),
    ]
    assert config().more_archives == ()


@pytest.mark.parametrize(
    "value",
    ["ftp://x.test/coll", "memento:https://x.test/c", "https://web.archive.org"],
)
def test_bad_or_repeated_more_archives_are_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="ISE_ARCHIVE_MORE_ARCHIVES"):
        config(ISE_ARCHIVE_MORE_ARCHIVES=value)
