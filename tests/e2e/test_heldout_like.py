"""End to end on held-out-like corpora: what the evaluation does, on unseen layouts.

The evaluation crawls a corpus in the dev format with other posts and at least one
layout the dev corpus lacks. ``tests/wayback/heldout.py`` builds two such corpora in
a temp dir: ``unseen`` (the ``tests/fixtures/unseen/`` pages) and ``blind`` (the
``tests/fixtures/unseen-blind/`` pages), each page the newest capture of a dev post,
with older known-template captures, URL respellings, revisits, ``/node/N`` 302s,
listings, feeds, a soft 404 and an "Access denied" page around it. Each corpus is
served by the local imitation and crawled once by the real ``scrapy crawl ise_blog``
(module-scoped); the checks are those of test_crawl.py against the corpus's gold,
plus the body and the choice of capture.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy.settings import Settings

from ise_archive import extract, settings
from ise_archive.extract import PostPage
from ise_archive.extract.fields import body_text
from ise_archive.normalize.urls import canonical_post_url
from ise_archive.plan.attachments import FILE_FILTERS
from spiders.config import crawl_config
from tests.e2e.crawl import last_report, read_records, replay_fetches, run_crawl
from tests.wayback.archive import Archive, surt_urlkey
from tests.wayback.heldout import CORPORA, HeldoutCorpus, build_corpus
from tests.wayback.server import WaybackServer

pytestmark = pytest.mark.e2e

# [text](url)  [text](<url>)  but not ![alt](src)
_MARKDOWN_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(<?([^)\s>]+)>?")


@dataclass
class HeldoutRun:
    corpus: HeldoutCorpus
    archive: Archive
    server: WaybackServer
    output_dir: Path
    returncode: int
    stderr: str

    def records(self) -> dict[str, dict[str, Any]]:
        return {r["url"]: r for r in read_records(self.output_dir)}


@pytest.fixture(scope="module", params=sorted(CORPORA))
def heldout(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HeldoutRun]:
    root = tmp_path_factory.mktemp(f"heldout-{request.param}")
    corpus = build_corpus(root / "corpus", request.param)
    archive = Archive.from_directory(corpus.root)
    output_dir = root / "output"
    with WaybackServer(archive) as server:
        result = run_crawl(server.base_url, output_dir, timeout=60)
        yield HeldoutRun(
            corpus, archive, server, output_dir, result.returncode, result.stderr
        )


def test_crawl_succeeds(heldout: HeldoutRun) -> None:
    assert heldout.returncode == 0, heldout.stderr[-3000:]


def test_every_post_comes_out_exactly_once(heldout: HeldoutRun) -> None:
    urls = [record["url"] for record in read_records(heldout.output_dir)]
    assert sorted(urls) == sorted(heldout.corpus.posts)


def test_record_fields_match_the_ground_truth(heldout: HeldoutRun) -> None:
    records = heldout.records()
    wrong = {}
    for url, expected in heldout.corpus.posts.items():
        gold = expected.gold
        want = {k: gold[k] for k in ("title", "author", "published", "related")}
        want |= {"tags": gold["tags"], "tag_urls": gold["tag_urls"]}
        want["images"] = gold["images"]
        got = _comparable(records[url])
        if got != want:
            wrong[url] = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
    assert wrong == {}


def test_each_post_reads_its_newest_page(heldout: HeldoutRun) -> None:
    """The record carries the newest full page (unknown layout or not): a capture
    with the expected payload's digest, and its body is that page's body."""
    records = heldout.records()
    for url, expected in heldout.corpus.posts.items():
        used = [c for c in records[url]["captures"] if c["used"]]
        digests = {
            row.digest
            for row in heldout.archive.rows()
            if (row.timestamp, row.original) == (expected.timestamp, expected.original)
        }
        assert [c["digest"] for c in used] == list(digests), url
        alone = extract(
            expected.payload,
            url=expected.original,
            timestamp=expected.timestamp,
            headers=expected.headers,
        )
        assert records[url]["body_markdown"] == alone.body_markdown, url


def test_body_matches_the_ground_truth(heldout: HeldoutRun) -> None:
    """The body text of the page read (gold conventions), and the record's body
    links: the gold links in order (images and embeds add links of their own)."""
    records = heldout.records()
    for url, expected in heldout.corpus.posts.items():
        reading = PostPage(
            expected.payload,
            url=expected.original,
            timestamp=expected.timestamp,
            headers=expected.headers,
        ).read()
        assert reading.fields is not None, url
        assert body_text(reading.fields.body) == expected.gold["body_text"], url
        links = iter(_MARKDOWN_LINK.findall(records[url]["body_markdown"]))
        missing = [link for link in expected.gold["body_links"] if link not in links]
        assert missing == [], url


def test_no_capture_is_fetched_twice(heldout: HeldoutRun) -> None:
    fetches = replay_fetches(heldout.server.requests_log)
    assert {path: n for path, n in fetches.items() if n > 1} == {}


def test_one_page_fetch_per_post(heldout: HeldoutRun) -> None:
    """No post needs a fallback: one fetch of its own URL each (a ``/node/N`` 200
    page of a post whose page names no node id is one more, unavoidably); the older
    unseen layout of a post is never fetched."""
    fetched = [
        _fetched_capture(path)
        for path in replay_fetches(heldout.server.requests_log)
        if path.startswith("/web/")
    ]
    # a post known only by its /print/<nid> copy is fetched under that URL
    aliases = {
        post.original: url
        for url, post in heldout.corpus.posts.items()
        if canonical_post_url(post.original) is None
    }
    per_post = Counter(
        canonical_post_url(original) or aliases.get(original) for _, original in fetched
    )
    assert {url: per_post[url] for url in heldout.corpus.posts} == dict.fromkeys(
        heldout.corpus.posts, 1
    )
    keys = {f"{ts} {original}" for ts, original in fetched}
    assert keys & heldout.corpus.never_fetched == set()


def test_every_capture_is_accounted_for(heldout: HeldoutRun) -> None:
    report = last_report(heldout.output_dir)
    accounting = report["accounting"]
    assert accounting.get("pending", 0) == 0
    assert accounting.get("failed", 0) == 0
    assert sum(accounting.values()) == report["captures_discovered"]
    prefixes = tuple(
        "gov,ise)" + p.removeprefix("ise.gov")
        for p in settings.ISE_ARCHIVE_CDX_PREFIXES
    )
    listed = {
        (row.timestamp, row.original)
        for row in heldout.archive.rows()
        if row.urlkey.startswith(prefixes)
    }
    assert report["captures_discovered"] == len(listed)


def test_no_cdx_request_asks_what_a_prefix_query_already_answered(
    heldout: HeldoutRun,
) -> None:
    """Issue 10: CDX requests = prefix x window queries + their resume pages +
    exact lookups of URLs outside every prefix; none under a prefix read in full."""
    queries = crawl_config(Settings(vars(settings))).queries
    prefixes = tuple(
        surt_urlkey(q.url, strip_trailing_slash=False)
        for q in queries
        if q.match_type == "prefix"
    )
    asked = [
        parse_qs(urlsplit(record.path).query)
        for record in heldout.server.requests_log
        if record.pool == "cdx"
    ]
    # the attachments phase lists the posts' file directories with its own filters
    files = [q for q in asked if q.get("filter") == list(FILE_FILTERS)]
    first_pages = [q for q in asked if q["matchType"] == ["prefix"] and q not in files]
    resume_pages = [q for q in first_pages if "resumeKey" in q]
    lookups = [q["url"][0] for q in asked if q["matchType"] == ["exact"]]
    covered = re.search(
        r"'ise_archive/discovery/covered_lookups': (\d+)", heldout.stderr
    )

    assert [u for u in lookups if surt_urlkey(u).startswith(prefixes)] == []
    assert len(first_pages) - len(resume_pages) == len(queries)
    assert len(asked) == len(queries) + len(resume_pages) + len(lookups) + len(files)
    assert len(files) <= 4  # a few prefix queries, not one per file
    # the feeds and listings did name URLs under the prefixes: not asked again
    assert covered and int(covered[1]) > 0, heldout.stderr[-2000:]


def test_the_crawled_dataset_validates(heldout: HeldoutRun) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ise_archive", "validate", str(heldout.output_dir)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _comparable(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": record["title"],
        "author": record["author"],
        "published": record["published"],
        "tags": [t["name"] for t in record["tags"]],
        "tag_urls": [t["url"] for t in record["tags"]],
        "related": record["related"],
        "images": [i["url"] for i in record["images"]],
    }


def _fetched_capture(path: str) -> tuple[str, str]:
    """``/web/20111006123456id_/http://...`` -> (timestamp, original)."""
    stamp, original = path.removeprefix("/web/").split("/", 1)
    return stamp.removesuffix("id_"), original
