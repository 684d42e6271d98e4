"""End to end: ISE_ARCHIVE_CHECK_LINKS asks the index once per distinct link.

A real crawl of the dev corpus, then a run with the setting on: every link with an
archived way in gets ``archived`` true exactly when the imitation holds a capture of
it that is not an error page, at the cost of one exact CDX lookup per distinct link;
the next run asks nothing again, and a rebuild answers them from the WARC files.
With the setting off (every other e2e test) the field is absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from ise_archive.cli import main as cli
from tests.e2e.crawl import dataset_files, read_records, run_crawl
from tests.wayback.archive import Archive, surt_urlkey
from tests.wayback.fixtures import DEV_CORPUS
from tests.wayback.server import WaybackServer

pytestmark = pytest.mark.e2e


@dataclass
class Checked:
    server: WaybackServer
    output_dir: Path
    returncode: int
    stderr: str


def _lookups(server: WaybackServer, start: int = 0) -> list[str]:
    """The URL of every exact, one-row CDX lookup (a link check) since ``start``."""
    urls = []
    for request in server.requests_log[start:]:
        query = parse_qs(urlsplit(request.path).query)
        if request.pool == "cdx" and query.get("limit") == ["1"]:
            assert query.get("matchType", ["exact"]) == ["exact"]
            urls.append(query["url"][0])
    return urls


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory):
    output_dir = tmp_path_factory.mktemp("links") / "output"
    with WaybackServer(Archive.from_directory(DEV_CORPUS)) as server:
        first = run_crawl(server.base_url, output_dir, ISE_ARCHIVE_ATTACHMENTS="false")
        assert first.returncode == 0, first.stderr[-3000:]
        # a run that only checks links: its CDX answers must still be kept
        result = run_crawl(
            server.base_url,
            output_dir,
            ISE_ARCHIVE_CHECK_LINKS="true",
            ISE_ARCHIVE_ATTACHMENTS="false",
        )
        yield Checked(server, output_dir, result.returncode, result.stderr)


def _archived(server: WaybackServer, url: str) -> bool:
    return any(
        not row.statuscode.startswith(("4", "5"))
        for row in server.archive.captures_of(surt_urlkey(url))
    )


def test_each_link_says_whether_the_archive_holds_it(checked: Checked) -> None:
    assert checked.returncode == 0, checked.stderr[-3000:]
    links = [link for r in read_records(checked.output_dir) for link in r["links"]]
    with_way_in = [link for link in links if link["archived_url"]]
    assert {link["archived"] for link in with_way_in} == {True, False}
    for link in with_way_in:
        assert link["archived"] is _archived(checked.server, link["url"]), link
    assert all("archived" not in link for link in links if not link["archived_url"])


def test_rebuild_answers_the_link_checks_from_the_warc(
    checked: Checked, tmp_path: Path
) -> None:
    before = len(checked.server.requests_log)
    out = tmp_path / "rebuilt"
    assert cli(["rebuild", str(checked.output_dir), "--out", str(out)]) == 0
    assert len(checked.server.requests_log) == before
    assert dataset_files(out) == dataset_files(checked.output_dir)


def test_one_lookup_per_distinct_link_and_none_again(checked: Checked) -> None:
    distinct = {
        link["url"]
        for r in read_records(checked.output_dir, completeness=None)
        for link in r["links"]
        if link["archived_url"]
    }
    lookups = _lookups(checked.server)
    assert sorted(lookups) == sorted(distinct)
    before = len(checked.server.requests_log)
    again = run_crawl(
        checked.server.base_url,
        checked.output_dir,
        ISE_ARCHIVE_CHECK_LINKS="true",
        ISE_ARCHIVE_ATTACHMENTS="false",
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert _lookups(checked.server, before) == []
    assert any(
        "archived" in link
        for r in read_records(checked.output_dir)
        for link in r["links"]
    )
