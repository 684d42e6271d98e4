"""Pytest fixtures that start the local Wayback imitation (import into conftest.py).

``wayback_server`` serves a fresh copy of the dev fixture corpus on a free loopback
port for one test; the test may add captures (``.archive.add_capture``) and faults
(``.faults.configure("429@cdx,first=2")``) and read ``.requests_log``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.wayback.archive import Archive
from tests.wayback.server import WaybackServer

DEV_CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "dev"


@pytest.fixture
def wayback_archive() -> Archive:
    """The dev corpus as an archive the test may add captures to."""
    return Archive.from_directory(DEV_CORPUS)


@pytest.fixture
def wayback_server(wayback_archive: Archive) -> Iterator[WaybackServer]:
    """A running imitation serving ``wayback_archive``; stopped after the test."""
    with WaybackServer(wayback_archive) as server:
        yield server
