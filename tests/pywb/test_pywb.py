"""What a real pywb 2.10 answers, so the crawler's assumptions about it stay true.

These run against ``pywb_dev`` (the dev corpus as WARC, tests/pywb/fixtures.py): the
CDX API at ``<root>/cdx`` answers one JSON object per line with pywb's field names,
``id_`` replay carries ``Memento-Datetime`` and ``Link``, and pywb prefixes only some
original headers with ``X-Archive-Orig-``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from email.message import Message

import pytest

from tests.pywb.server import PywbServer
from tests.wayback.archive import Archive
from tests.wayback.fixtures import DEV_CORPUS

POST = "http://www.ise.gov/blog/ise-bloggers/social-media-and-law-enforcement-tweeting-front-line"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str) -> tuple[int, Message, bytes]:
    """One GET as the crawler makes it: redirects are answers, not followed."""
    try:
        with _OPENER.open(url, timeout=10) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_cdx_answers_one_json_object_per_line_for_every_capture(
    pywb_dev: PywbServer,
) -> None:
    status, _, body = fetch(
        f"{pywb_dev.root}/cdx?url=ise.gov/&matchType=prefix&output=json"
    )
    rows = [json.loads(line) for line in body.decode().splitlines()]
    assert status == 200
    dev = Archive.from_directory(DEV_CORPUS).rows()
    assert sorted((r["timestamp"], r["url"], r["digest"]) for r in rows) == sorted(
        (r.timestamp, r.original, r.digest) for r in dev
    )
    assert {"urlkey", "timestamp", "url", "mime", "digest", "length"} <= set(rows[0])


def test_cdx_fl_knows_only_pywb_field_names(pywb_dev: PywbServer) -> None:
    """``fl=original,statuscode`` silently drops both: why the pywb dialect exists."""
    _, _, body = fetch(
        f"{pywb_dev.root}/cdx?url={POST}&output=json&fl=timestamp,original,statuscode"
    )
    rows = [json.loads(line) for line in body.decode().splitlines()]
    assert rows and all(set(row) == {"timestamp"} for row in rows)


def test_cdx_has_no_resume_key(pywb_dev: PywbServer) -> None:
    _, _, body = fetch(
        f"{pywb_dev.root}/cdx?url=ise.gov/blog&matchType=prefix&output=json"
        "&limit=2&showResumeKey=true"
    )
    lines = body.decode().splitlines()
    assert len(lines) == 2
    assert all(set(json.loads(line)) >= {"urlkey", "timestamp"} for line in lines)


def test_raw_replay_keeps_payload_and_sends_memento_headers(
    pywb_dev: PywbServer,
) -> None:
    dev = Archive.from_directory(DEV_CORPUS)
    row = next(r for r in dev.rows() if r.original == POST and r.statuscode == "200")
    status, headers, body = fetch(f"{pywb_dev.root}/{row.timestamp}id_/{POST}")
    assert status == 200
    assert body == dev.payload(row)
    assert headers["Memento-Datetime"]
    links = ",".join(headers.get_all("Link") or [])
    assert f'<{POST}>; rel="original"' in links
    assert 'rel="memento"' in links
    # pywb prefixes Date/Server/caching headers, keeps Content-Type as it was
    assert headers["X-Archive-Orig-Date"]
    assert headers["Content-Type"] == dict(row.headers)["Content-Type"]
    assert "X-Archive-Orig-Content-Type" not in headers


def test_revisit_replays_the_revisited_payload(pywb_dev: PywbServer) -> None:
    dev = Archive.from_directory(DEV_CORPUS)
    revisit = next(r for r in dev.rows() if r.is_revisit and "/blog/" in r.original)
    status, headers, body = fetch(
        f"{pywb_dev.root}/{revisit.timestamp}id_/{revisit.original}"
    )
    assert (status, body) == (200, dev.payload(revisit))
    assert headers["Memento-Datetime"]


def test_archived_redirect_keeps_its_original_location(pywb_dev: PywbServer) -> None:
    dev = Archive.from_directory(DEV_CORPUS)
    redirect = next(r for r in dev.rows() if r.statuscode == "302")
    status, headers, _ = fetch(
        f"{pywb_dev.root}/{redirect.timestamp}id_/{redirect.original}"
    )
    assert status == 302
    assert headers["Location"] == redirect.location
    assert headers["Memento-Datetime"]


@pytest.mark.parametrize("url", ["http://www.ise.gov/blog/never/captured"])
def test_unknown_url_is_a_404_without_memento_datetime(
    pywb_dev: PywbServer, url: str
) -> None:
    status, headers, _ = fetch(f"{pywb_dev.root}/2011id_/{url}")
    assert status == 404
    assert headers["Memento-Datetime"] is None
