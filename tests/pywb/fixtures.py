"""Pytest fixtures that serve captures from a real pywb (import into conftest.py).

``pywb_dev`` is the whole dev corpus (``tests/fixtures/dev``) as WARC in a pywb
collection called ``dev``: built and started once per test session (about 3 s),
stopped when the session ends. Tests only read from it; one that wants to know what
was asked reads :meth:`PywbServer.requests` from a :meth:`PywbServer.log_mark`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from tests.pywb.server import PywbServer
from tests.pywb.warcs import write_warc
from tests.wayback.archive import Archive, CaptureRow
from tests.wayback.fixtures import DEV_CORPUS


def serve_rows(
    home: Path, name: str, archive: Archive, rows: Iterable[CaptureRow]
) -> PywbServer:
    """A (not yet started) pywb whose collection ``name`` holds ``rows``."""
    home.mkdir(parents=True, exist_ok=True)
    warc = home / f"{name}.warc.gz"
    write_warc(warc, archive, rows)
    return PywbServer(home / "pywb", name, [warc])


@pytest.fixture(scope="session")
def pywb_dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PywbServer]:
    """A running pywb holding every capture of the dev corpus, collection ``dev``."""
    archive = Archive.from_directory(DEV_CORPUS)
    server = serve_rows(
        tmp_path_factory.mktemp("pywb-dev"), "dev", archive, archive.rows()
    )
    with server:
        yield server
