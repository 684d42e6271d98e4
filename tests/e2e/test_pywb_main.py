"""End to end: ``scrapy crawl ise_blog`` with a real pywb collection as the archive.

``-s WAYBACK_BASE_URL=<pywb collection root>`` (issue 14: "any archive in any slot").
Before pywb was an archive kind, this crawl failed at once: every CDX query went to
``<root>/cdx/search/cdx`` (404 on pywb) and replay to ``<root>/web/...``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.crawl import (
    expected_gold_fields,
    gold_fields,
    gold_posts,
    read_records,
    run_crawl,
)
from tests.pywb.server import PywbServer

pytestmark = pytest.mark.e2e


@dataclass
class PywbRun:
    root: str
    output_dir: Path
    returncode: int
    stderr: str
    requests: list[tuple[str, int]]


@pytest.fixture(scope="module")
def pywb_crawl(
    pywb_dev: PywbServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PywbRun]:
    output_dir = tmp_path_factory.mktemp("pywb-main") / "output"
    mark = pywb_dev.log_mark()
    result = run_crawl(pywb_dev.root, output_dir)
    yield PywbRun(
        pywb_dev.root,
        output_dir,
        result.returncode,
        result.stderr,
        pywb_dev.requests(mark),
    )


def test_crawl_succeeds(pywb_crawl: PywbRun) -> None:
    assert pywb_crawl.returncode == 0, pywb_crawl.stderr[-3000:]


def test_every_post_once_with_the_gold_fields(pywb_crawl: PywbRun) -> None:
    records = read_records(pywb_crawl.output_dir)
    gold = gold_posts()
    assert sorted(r["url"] for r in records) == sorted(gold)
    for record in records:
        assert gold_fields(record) == expected_gold_fields(gold[record["url"]])


def test_records_point_into_the_collection(pywb_crawl: PywbRun) -> None:
    for record in read_records(pywb_crawl.output_dir):
        capture = record["capture"]
        assert capture["archive_url"] == (
            f"{pywb_crawl.root}/{capture['timestamp']}/{capture['original']}"
        )


def test_requests_use_pywb_endpoints_and_none_fails(pywb_crawl: PywbRun) -> None:
    paths = [path for path, _ in pywb_crawl.requests]
    collection = "/" + pywb_crawl.root.rsplit("/", 1)[1]
    cdx = [p for p in paths if p.startswith(f"{collection}/cdx?")]
    replays = [p for p in paths if "id_/" in p]
    assert cdx and replays
    assert not [p for p in paths if "/web/" in p or "/cdx/search" in p]
    assert {status for path, status in pywb_crawl.requests if path in replays} <= {
        200,
        301,
        302,
    }
    assert {p: n for p, n in Counter(replays).items() if n > 1} == {}
