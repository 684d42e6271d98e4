"""Scrapy's settings handed to :func:`ise_archive.config.parse_config`, once.

The library checks plain values; this is the one place that reads them out of a
Scrapy ``Settings`` object. ``DOWNLOAD_SLOTS`` is ours (built from the
``ISE_ARCHIVE_*`` rates): a value given on the command line would silently replace
both rate pools, so it is refused like a bad value.
"""

from __future__ import annotations

from datetime import UTC, datetime

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings, SettingsAttribute

from ise_archive.config import (
    SETTING_PREFIX,
    CrawlConfig,
    parse_config,
    setting_names,
)
from ise_archive.errors import ConfigError

#: Priority at which the spider sets DOWNLOAD_SLOTS; anything above is a user's.
SLOTS_PRIORITY = "spider"


def crawl_config(settings: BaseSettings) -> CrawlConfig:
    """The checked settings of this crawl; :class:`ConfigError` names bad ones."""
    names = set(setting_names())
    values = {}
    for name, attribute in settings.attributes.items():
        # our prefix included: parse_config refuses a misspelt one
        ours = name in names or name.startswith(SETTING_PREFIX)
        if ours and isinstance(attribute, SettingsAttribute):
            values[name] = attribute.value
    return parse_config(values, current_year=datetime.now(UTC).year)


def download_slots(config: CrawlConfig) -> dict[str, dict[str, float | int]]:
    """The rate pools as Scrapy download slots (no jitter: the delay is the
    politeness floor, and a random shorter one would undercut it): ``cdx`` and
    ``replay`` for the main archive, ``cdx@<name>`` and ``replay@<name>`` for each
    other archive, at the same rates."""
    cdx = {"concurrency": config.cdx_concurrency, "delay": 60.0 / config.cdx_rpm}
    replay = {
        "concurrency": config.replay_concurrency,
        "delay": 1.0 / config.replay_rps,
    }
    slots: dict[str, dict[str, float | int]] = {
        "cdx": {**cdx, "jitter": 0},
        "replay": {**replay, "jitter": 0},
    }
    for archive in config.more_archives:
        slots[f"cdx@{archive.name}"] = {**cdx, "jitter": 0}
        slots[f"replay@{archive.name}"] = {**replay, "jitter": 0}
    return slots


def set_download_slots(settings: BaseSettings, config: CrawlConfig) -> None:
    """Install the pools, refusing a ``DOWNLOAD_SLOTS`` someone else set."""
    priority = settings.getpriority("DOWNLOAD_SLOTS") or 0
    ours = priority in (0, SETTINGS_PRIORITIES[SLOTS_PRIORITY])
    if not ours:
        raise ConfigError(
            "DOWNLOAD_SLOTS is set by ise-archive from its rate settings: use "
            "ISE_ARCHIVE_CDX_RPM, ISE_ARCHIVE_REPLAY_RPS and the *_CONCURRENCY "
            "settings instead"
        )
    settings.set("DOWNLOAD_SLOTS", download_slots(config), priority=SLOTS_PRIORITY)
