"""ise_archive.normalize.urls: the plain-URL fast path gives what full parsing gives.

``plain_url_parts`` lets ``resolve_url``, ``canonical_site_url``,
``canonical_post_url`` and ``classify_url`` skip urljoin, safe_url_string and
urlsplit for URLs those leave unchanged. The references below are the full
computations, written out.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from w3lib.url import safe_url_string

from ise_archive.normalize import urls
from ise_archive.normalize.urls import (
    canonical_post_url,
    canonical_site_url,
    classify_url,
    plain_url_parts,
    resolve_url,
    unwrap_archive_url,
)

LABEL = st.from_regex(r"[a-z0-9]{1,4}(?:-[a-z0-9]{1,3})?", fullmatch=True)
HOST = st.builds(
    lambda labels, top: ".".join([*labels, top]),
    st.lists(LABEL, min_size=1, max_size=3),
    st.from_regex(r"[a-z]{1,4}", fullmatch=True),
)
SEGMENT = st.from_regex(
    r"(?:[A-Za-z0-9._~!$&()*+,=:@-]|%[0-9A-F]{2}){0,6}", fullmatch=True
)
#: URLs built from the pieces the fast path accepts (most of them plain).
PLAIN = st.builds(
    lambda scheme, host, segments: (
        f"{scheme}://{host}" + "".join("/" + s for s in segments)
    ),
    st.sampled_from(["http", "https"]),
    HOST,
    st.lists(SEGMENT, max_size=4),
)
SITE = st.sampled_from(["http://www.ise.gov", "https://ise.gov", "http://ise.gov"])
PATH = st.lists(
    st.sampled_from(
        [
            *["blog", "a", "Tamara-Wells", "niem-30", "%E2%80%99s", ".", "..", ""],
            *["web", "print", "%2E", "%2e", "x;y", "a'b", "%e2", "%", "é", "a b"],
            *["|", "20111006"],
        ]
    ),
    max_size=5,
).map(lambda parts: "/" + "/".join(parts))
#: Site URLs close to the fast path's edges: some plain, some not.
NEAR_PLAIN = st.builds(lambda site, path: site + path, SITE, PATH)
BASES = ["http://www.ise.gov/blog/a/b", "https://example.org/x/", "http://ise.gov"]


def reference_resolve(href: str, base: str) -> str:
    href = unwrap_archive_url(href)
    absolute = urljoin(unwrap_archive_url(base), href)
    return safe_url_string(unwrap_archive_url(absolute))


def reference_site_url(url: str) -> str:
    url = unwrap_archive_url(url)
    if not urls.is_site_url(url):
        return url
    parts = urlsplit(safe_url_string(url))
    path = urls._upper_escapes(parts.path or "/")
    return urlunsplit(("http", urls.SITE_HOST, path, parts.query, parts.fragment))


def reference_post_url(url: str) -> str | None:
    url = unwrap_archive_url(url)
    if not urls.is_site_url(url):
        return None
    match = urls._POST_PATH.match(urlsplit(safe_url_string(url)).path)
    if not match:
        return None
    author = urls._normalize_segment(match.group("author"))
    slug = urls._normalize_segment(match.group("slug"))
    if author == "feed" or slug == "feed":
        return None
    return f"{urls.SITE_ROOT}/blog/{author}/{slug}"


def reference_classify(url: str) -> str:
    url = unwrap_archive_url(url)
    if not urls.is_site_url(url):
        return "offsite"
    path = urlsplit(safe_url_string(url)).path.rstrip("/").lower() or "/"
    if path in urls._FEED_PATHS or path.endswith("/feed"):
        return "feed"
    if reference_post_url(url):
        return "print" if path.startswith("/print/") else "post"
    if urls._NODE_PATH.match(path):
        return "node"
    if path == "/blog" or path.startswith(("/blog/", "/archive/")):
        return "listing"
    if path.startswith(("/category/", "/taxonomy/term/", "/tags/")):
        return "tag"
    if path.startswith(("/users/", "/user/")):
        return "user"
    return "other"


@settings(max_examples=300, deadline=None)
@given(url=PLAIN | NEAR_PLAIN, base=st.sampled_from(BASES))
def test_plain_urls_are_left_unchanged_by_full_parsing(url: str, base: str) -> None:
    parts = plain_url_parts(url)
    if parts is None:
        return
    host, path = parts
    assert safe_url_string(url) == url
    assert unwrap_archive_url(url) == url
    assert urljoin(base, url) == url
    split = urlsplit(url)
    assert (split.hostname, split.path, split.query, split.fragment) == (
        host,
        path,
        "",
        "",
    )


@settings(max_examples=300, deadline=None)
@given(url=PLAIN | NEAR_PLAIN, base=st.sampled_from(BASES))
def test_fast_paths_agree_with_the_full_computation(url: str, base: str) -> None:
    assert resolve_url(url, base) == reference_resolve(url, base)
    assert canonical_site_url(url) == reference_site_url(url)
    assert canonical_post_url(url) == reference_post_url(url)
    assert classify_url(url) == reference_classify(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://www.ise.gov/blog?page=2",
        "http://www.ise.gov/a#top",
        "http://www.ise.gov:80/a",
        "http://WWW.ise.gov/a",
        "http://www.ise.gov/a/../b",
        "http://www.ise.gov/%2E%2E/b",
        "http://www.ise.gov/a%e2%80%99",
        "http://www.ise.gov/a;b",
        "http://127.0.0.1/a",
        "http://xn--bcher-kva.example/a",
        "https://web.archive.org/web/2011/http://www.ise.gov/",
        "http://www.ise.gov/a b",
    ],
)
def test_urls_needing_parsing_are_not_plain(url: str) -> None:
    assert plain_url_parts(url) is None


@pytest.mark.parametrize(
    ("url", "nid", "kind"),
    [
        ("http://www.ise.gov/node/1519", 1519, "node"),
        ("https://ise.gov:80/node/1519/", 1519, "node"),
        ("http://www.ise.gov/print/node/1519", 1519, "node"),
        # the print module's own short form, as Drupal 6 sites linked it
        ("http://ise.gov/print/1519", 1519, "node"),
        ("http://www.ise.gov/1519", None, "other"),
        ("http://www.ise.gov/print/about-ise", None, "other"),
        ("http://www.ise.gov/print/blog/joe-laporte/officer-safety", None, "print"),
    ],
)
def test_every_node_path_spelling_names_its_node(url, nid, kind) -> None:
    assert (urls.node_id(url), urls.classify_url(url)) == (nid, kind)
