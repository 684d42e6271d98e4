"""Tests for ise_archive.archive.archives: any archive kind in any slot.

The dialect tests check the URLs each kind is asked; the ``pywb_dev`` tests check
that those URLs, sent to a real pywb 2.10, bring back exactly the captures its
collection holds (tests/pywb/).
"""

from __future__ import annotations

import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest

from ise_archive.archive.archives import (
    WebArchive,
    archive_name,
    parse_archive,
    parse_archive_list,
)
from ise_archive.archive.cdx import CDXQuery, discovery_queries, exact_query
from ise_archive.archive.wayback import redirect_target
from ise_archive.normalize.urls import canonical_post_url
from ise_archive.records import Capture
from tests.pywb.server import PywbServer
from tests.wayback.archive import Archive
from tests.wayback.fixtures import DEV_CORPUS

EOT = "https://webarchive.library.unt.edu/eot2016"
IA = "https://web.archive.org"
LOC = "https://webarchive.loc.gov/all"
LOCAL = "http://127.0.0.1:8080"
POST = "http://www.ise.gov/blog/ise-bloggers/welcome-ise-blog"


@pytest.mark.parametrize(
    ("spec", "kind", "root", "name"),
    [
        (IA, "wayback", IA, "web.archive.org"),
        (IA + "/web/", "wayback", IA, "web.archive.org"),
        ("http://127.0.0.1:8080", "wayback", LOCAL, "127.0.0.1-8080"),
        (EOT + "/", "pywb", EOT, "eot2016"),
        (LOC, "pywb", LOC, "all"),
        ("pywb:" + LOCAL, "pywb", LOCAL, "127.0.0.1-8080"),
        ("wayback:http://h.test/wayback", "wayback", "http://h.test/wayback", "h.test"),
        ("  PYWB:" + EOT, "pywb", EOT, "eot2016"),
    ],
)
def test_kind_is_detected_or_said(spec: str, kind: str, root: str, name: str) -> None:
    archive = parse_archive(spec)
    assert (archive.kind, archive.root, archive.name) == (kind, root, name)


@pytest.mark.parametrize(
    "spec", ["ftp://archive.org", "memento:https://x.test/coll", "", "pywb:", "x"]
)
def test_bad_archive_is_refused_naming_the_value(spec: str) -> None:
    with pytest.raises(ValueError, match="archive"):
        parse_archive(spec)


def test_endpoints_and_replay_urls_of_each_kind() -> None:
    wayback = parse_archive("https://web.archive.org")
    pywb = parse_archive(EOT)
    assert wayback.cdx_endpoint == "https://web.archive.org/cdx/search/cdx"
    assert pywb.cdx_endpoint == EOT + "/cdx"
    assert (
        wayback.raw_url("2011", POST) == f"https://web.archive.org/web/2011id_/{POST}"
    )
    assert pywb.raw_url("2011", POST) == f"{EOT}/2011id_/{POST}"
    assert pywb.archive_url("2011", POST) == f"{EOT}/2011/{POST}"
    assert pywb.timemap_url(POST) == f"{EOT}/timemap/link/{POST}"


def test_view_root_names_the_public_archive_in_records() -> None:
    local = parse_archive("pywb:http://127.0.0.1:9/eot2016", view_root=EOT + "/")
    assert local.raw_url("2011", POST).startswith("http://127.0.0.1:9/eot2016/")
    assert local.archive_url("2011", POST) == f"{EOT}/2011/{POST}"


def test_wayback_cdx_url_is_unchanged_by_the_dialects() -> None:
    """The main archive's requests stay byte for byte what they were."""
    from ise_archive.archive.cdx import cdx_query_url

    query = discovery_queries(from_year=2011, to_year=2011)[0]
    wayback = parse_archive("https://web.archive.org")
    assert wayback.cdx_query_url(query, "k") == cdx_query_url(
        "https://web.archive.org", query, "k"
    )


def test_pywb_cdx_url_uses_pywb_fields_filters_and_no_paging() -> None:
    query = CDXQuery(
        url="ise.gov/blog",
        from_ts="2011",
        to_ts="2012",
        filters=("!mimetype:image/.*",),
    )
    url = parse_archive(EOT).cdx_query_url(query, resume_key="ignored")
    parts = urlsplit(url)
    params = parse_qs(parts.query)
    assert parts.path == "/eot2016/cdx"
    assert params["fl"] == ["urlkey,timestamp,url,mime,status,digest,length"]
    assert params["filter"] == ["!~mimetype:(?:image/.*)$"]
    assert params["output"] == ["json"]
    assert "limit" not in params and "showResumeKey" not in params
    assert "resumeKey" not in params


def test_replay_urls_of_a_collection_are_read_back() -> None:
    pywb = parse_archive(EOT)
    assert pywb.parse_replay_url(f"{EOT}/2011id_/{POST}") == ("2011", "id_", POST)
    assert pywb.parse_replay_url(f"/eot2016/20110102/{POST}") == ("20110102", "", POST)
    assert pywb.parse_replay_url(f"https://other.test/eot2016/2011/{POST}") is None
    assert pywb.parse_replay_url(POST) is None


def test_pywb_redirect_to_an_original_url_keeps_the_request_time() -> None:
    pywb = parse_archive(EOT)
    request = f"{EOT}/20130510031507id_/http://www.ise.gov/node/1643"
    assert redirect_target(POST, request, replay_root=pywb.replay_root) == (
        "20130510031507",
        POST,
    )
    assert redirect_target(POST, request) is None  # no /web/: needs the root


def test_archive_list_gives_unique_pool_names() -> None:
    archives = parse_archive_list(
        f"{EOT}, https://webarchive.loc.gov/all,,https://other.test/all"
    )
    assert [a.name for a in archives] == ["eot2016", "all", "all-2"]
    assert archive_name("pywb", "https://h.test/a/b c") == "b-c"


def test_every_archive_is_a_frozen_value() -> None:
    archive = parse_archive(EOT)
    with pytest.raises(AttributeError):
        archive.root = "x"  # type: ignore[misc]
    with pytest.raises(ValueError, match="kind"):
        WebArchive(name="x", kind="memento", root=EOT)  # type: ignore[arg-type]


# --- against a real pywb --------------------------------------------------------


def _captures(archive: WebArchive, query: CDXQuery) -> list[Capture]:
    with urllib.request.urlopen(archive.cdx_query_url(query), timeout=10) as answer:
        return list(archive.parse_cdx(answer.read()).captures)


def _key(capture: Capture) -> tuple[str, str, str, str, str]:
    status = "-" if capture.is_revisit else capture.status
    return (capture.timestamp, capture.original, capture.digest, status, capture.urlkey)


def test_discovery_on_pywb_lists_what_the_collection_holds(
    pywb_dev: PywbServer,
) -> None:
    archive = parse_archive(pywb_dev.root)
    assert archive.kind == "pywb"
    found = [
        c
        for q in discovery_queries(from_year=2005, to_year=2026, window_years=3)
        for c in _captures(archive, q)
    ]
    prefixes = (
        "gov,ise)/blog",
        "gov,ise)/node/",
        "gov,ise)/print/",
        "gov,ise)/iseblog",
    )
    expected = [
        r
        for r in Archive.from_directory(DEV_CORPUS).rows()
        if r.urlkey.startswith(prefixes)
    ]
    assert sorted(map(_key, found)) == sorted(
        (r.timestamp, r.original, r.digest, r.statuscode, r.urlkey) for r in expected
    )


def test_filters_filter_on_pywb(pywb_dev: PywbServer) -> None:
    archive = parse_archive(pywb_dev.root)
    query = CDXQuery(url="ise.gov/", filters=("!mimetype:text/html",))
    kept = _captures(
        archive, CDXQuery(url="ise.gov/", match_type="prefix", filters=query.filters)
    )
    assert kept and all(c.mimetype != "text/html" for c in kept)
    redirects = _captures(
        archive,
        CDXQuery(url="ise.gov/", match_type="prefix", filters=("statuscode:30[12]",)),
    )
    assert redirects and {c.status for c in redirects} == {"301", "302"}


def test_exact_lookup_on_pywb_matches_every_spelling(pywb_dev: PywbServer) -> None:
    archive = parse_archive(pywb_dev.root)
    url = "https://ise.gov/blog/ise-bloggers/social-media-and-law-enforcement-tweeting-front-line?"
    found = _captures(archive, exact_query(url))
    assert len({c.original for c in found}) > 1
    assert {canonical_post_url(c.original) for c in found} == {canonical_post_url(url)}


def test_archive_set_ranks_pools_and_marks_captures() -> None:
    from ise_archive.archive.archives import ArchiveSet

    archives = ArchiveSet((parse_archive(IA), parse_archive(EOT), parse_archive(LOC)))
    listed = archives.listed_by([Capture(timestamp="2016", original=POST)], 1)
    assert listed[0].archive == "pywb:" + EOT
    assert [
        archives.rank_of(c) for c in (listed[0], Capture(timestamp="1", original=POST))
    ] == [1, 0]
    gone = Capture(timestamp="1", original=POST, archive="pywb:https://gone.test/x")
    assert archives.rank_of(gone) == 0  # no longer configured: the main archive
    assert [archives.pool("replay", r) for r in range(3)] == [
        "replay",
        "replay@eot2016",
        "replay@all",
    ]
    assert archives.listed_by(listed, 0) == listed
