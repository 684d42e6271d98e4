"""Tests of the synthetic archive: generated posts served by the imitation."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from tests.wayback.archive import sha1_digest
from tests.wayback.server import WaybackServer
from tests.wayback.synthetic import generate_archive, synthetic_posts
from tests.wayback.test_server import cdx, fetch


def test_synthetic_archive_holds_every_post_and_links_them():
    posts = synthetic_posts(25, seed=4)
    archive = generate_archive(25, seed=4)
    with WaybackServer(archive) as server:
        table = cdx(
            server,
            "url=ise.gov/blog/&matchType=prefix&filter=statuscode:200"
            "&collapse=urlkey&fl=original",
        )
        listed = set()
        for page in range(3):
            suffix = f"?page={page}" if page else ""
            status, _, body = fetch(
                server, f"/web/2017id_/https://www.ise.gov/blog{suffix}"
            )
            assert status == 302
            location = urlsplit(
                _location(server, f"/web/2017id_/https://www.ise.gov/blog{suffix}")
            )
            _, _, body = fetch(
                server, location.path + (f"?{location.query}" if location.query else "")
            )
            listed |= set(
                re.findall(
                    r'<h2 property="dc:title" datatype=""><a href="([^"]+)"',
                    body.decode(),
                )
            )
    canonical = {
        urlsplit(row[0])
        ._replace(scheme="http", netloc="www.ise.gov", query="")
        .geturl()
        for row in table[1:]
    }
    assert canonical == {p.url for p in posts}
    assert listed == {f"/blog/{p.path}" for p in posts}


def test_synthetic_pages_carry_the_ground_truth_and_are_deterministic():
    posts = synthetic_posts(12, seed=9)
    archive = generate_archive(12, seed=9)
    again = generate_archive(12, seed=9)
    assert [r.digest for r in archive.rows()] == [r.digest for r in again.rows()]
    for post in posts:
        full = next(
            r for r in archive.rows() if r.cid.startswith(f"p{post.index}.full")
        )
        page = archive.payload(full).decode()
        assert full.digest == sha1_digest(archive.payload(full))
        assert f">{post.title}</h1>" in page
        assert post.published.isoformat() in page
        assert "".join(f"<p>{p}</p>\n" for p in post.paragraphs) in page


def _location(server: WaybackServer, path: str) -> str:
    return fetch(server, path)[1]["Location"]
