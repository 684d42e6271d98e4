"""ise_archive.warc.rebuild: what a rebuild takes from the crawl it replays."""

from __future__ import annotations

from ise_archive import settings
from ise_archive.warc.rebuild import REBUILDS_OWN, REPLAYED_SETTINGS


def test_every_setting_is_replayed_or_the_rebuilds_own() -> None:
    """A setting that decides what a crawl asks (a new one too) must be replayed: a
    rebuild with its default would ask other questions than the crawl did."""
    ours = {name for name in dir(settings) if name.startswith("ISE_ARCHIVE_")}

    assert sorted(ours - set(REPLAYED_SETTINGS) - set(REBUILDS_OWN)) == []
    assert set(REPLAYED_SETTINGS) & set(REBUILDS_OWN) == set()
    assert set(REBUILDS_OWN) <= ours
