"""Tests for ise_archive.dataset.paths: slugs and file names from archived URLs."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta, timezone
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ise_archive.dataset.paths import (
    MAX_SLUG_LENGTH,
    attachment_path,
    post_markdown_path,
    safe_join,
    slugify,
    url_slug,
)
from ise_archive.errors import UnsafePath
from ise_archive.records import Post

BLOG = "http://www.ise.gov/blog/"


def _post(url: str, published: datetime | date | None = date(2011, 10, 4)) -> Post:
    return Post(url=url, title="T", published=published)


@pytest.mark.parametrize(
    ("segment", "slug"),
    [
        ("welcome-ise-blog", "welcome-ise-blog"),
        (
            "niem-30-here-what%E2%80%99s-new-implementers",
            "niem-30-here-whats-new-implementers",
        ),
        (
            "officer-safety-indian-country-%E2%80%93-reversing-deadly-trend",
            "officer-safety-indian-country-reversing-deadly-trend",
        ),
        (
            "five-years-ise-blog%E2%80%94and-what%E2%80%99s-next",
            "five-years-ise-blog-and-whats-next",
        ),
        ("Ren%C3%A9e-Caldwell", "renee-caldwell"),
        ("Renée_Caldwell", "renee-caldwell"),
        ("%EF%BC%A1%EF%BC%A2", "ab"),  # fullwidth letters, NFKC
        ("..", ""),
        (".hidden", "hidden"),
        ("%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "etc-passwd"),
        ("a%00b%5Cc", "a-b-c"),
        ("情報共有", ""),
        ("bad%ZZescape", "bad-zzescape"),
    ],
)
def test_slugify(segment: str, slug: str) -> None:
    assert slugify(segment) == slug


def test_url_slug_takes_the_last_segment() -> None:
    assert url_slug(BLOG + "ise-bloggers/welcome-ise-blog/") == "welcome-ise-blog"
    assert url_slug("http://www.ise.gov/") == ""


@pytest.mark.parametrize(
    ("published", "folder"),
    [
        (
            datetime(2011, 10, 31, 23, 30, tzinfo=timezone(timedelta(hours=-4))),
            "2011/10",
        ),
        (date(2015, 6, 1), "2015/06"),
        (None, "undated"),
    ],
)
def test_folder_follows_published(
    published: datetime | date | None, folder: str
) -> None:
    path = post_markdown_path(_post(BLOG + "a/b-c", published))
    assert path == PurePosixPath(f"posts/{folder}/b-c.md")


def test_long_slug_is_cut_with_hash() -> None:
    segment = "x" * 500
    path = post_markdown_path(_post(BLOG + "a/" + segment))
    digest = hashlib.sha256(segment.encode()).hexdigest()[:8]
    assert path.name == "x" * (MAX_SLUG_LENGTH - 9) + f"-{digest}.md"
    assert len(path.stem) == MAX_SLUG_LENGTH


def test_empty_and_reserved_slugs_get_safe_names() -> None:
    url = BLOG + "a/%E6%83%85%E5%A0%B1"
    digest = hashlib.sha256(url.encode()).hexdigest()[:8]
    assert post_markdown_path(_post(url)).name == f"post-{digest}.md"
    assert post_markdown_path(_post(BLOG + "a/CON")).name == "con-post.md"


def test_collisions_get_a_suffix_from_the_url() -> None:
    first, second = BLOG + "a/officer-safety", BLOG + "b/Officer-Safety"
    taken: set[str] = set()
    paths = [post_markdown_path(_post(u), taken) for u in (first, second)]
    digest = hashlib.sha256(second.encode()).hexdigest()[:8]
    assert paths == [
        PurePosixPath("posts/2011/10/officer-safety.md"),
        PurePosixPath(f"posts/2011/10/officer-safety-{digest}.md"),
    ]
    assert taken == {str(p) for p in paths}


def test_same_url_three_times_is_refused() -> None:
    taken: set[str] = set()
    post_markdown_path(_post(BLOG + "a/b"), taken)
    post_markdown_path(_post(BLOG + "a/b"), taken)
    with pytest.raises(UnsafePath):
        post_markdown_path(_post(BLOG + "a/b"), taken)


@given(st.text(max_size=300))
def test_any_segment_gives_a_safe_relative_path(segment: str) -> None:
    from urllib.parse import quote

    path = post_markdown_path(_post(BLOG + "a/" + quote(segment, safe="")))
    assert not path.is_absolute()
    assert path.parts[:3] == ("posts", "2011", "10")
    assert len(path.parts) == 4
    assert set(path.stem) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")
    assert 1 <= len(path.stem) <= MAX_SLUG_LENGTH
    assert not path.stem.startswith("-")


@pytest.mark.parametrize(
    "relative",
    ["../x", "/etc/passwd", "a/../../x", "a\\..\\x", "", ".", "a\x00b"],
)
def test_safe_join_refuses_escapes(tmp_path: Path, relative: str) -> None:
    with pytest.raises(UnsafePath):
        safe_join(tmp_path, relative)


def test_safe_join_refuses_symlinks_leading_out(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "link").symlink_to(tmp_path)
    with pytest.raises(UnsafePath, match="outside"):
        safe_join(tmp_path / "root", "link/x.md")


def test_safe_join_accepts_nested_paths(tmp_path: Path) -> None:
    joined = safe_join(tmp_path, PurePosixPath("posts/2011/10/a.md"))
    assert joined == tmp_path.resolve() / "posts" / "2011" / "10" / "a.md"


def _h(url: str) -> str:
    """The hash suffix of a name made safe: of the URL in its canonical spelling."""
    return hashlib.sha256(url.encode()).hexdigest()[:8]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "http://www.ise.gov/sites/default/files/ise-ar-2011.pdf",
            "files/www.ise.gov/sites/default/files/ise-ar-2011.pdf",
        ),
        (
            "https://ise.gov:443/sites/default/files/ise-ar-2011.pdf",
            "files/www.ise.gov/sites/default/files/ise-ar-2011.pdf",
        ),
        (
            "http://ise.gov/files/ISE_AR_2011.PDF",
            f"files/www.ise.gov/files/ise-ar-2011-{_h('http://www.ise.gov/files/ISE_AR_2011.PDF')}.pdf",
        ),
        (
            "https://www.ise.gov/files/ISE_AR_2011.PDF",
            f"files/www.ise.gov/files/ise-ar-2011-{_h('http://www.ise.gov/files/ISE_AR_2011.PDF')}.pdf",
        ),
        (
            "http://www.ise.gov/files/%2E%2E/%2E%2E/etc/passwd",
            f"files/www.ise.gov/files/-/-/etc/passwd-{_h('http://www.ise.gov/files/%2E%2E/%2E%2E/etc/passwd')}",
        ),
        (
            "http://x.example/nul.gif",
            f"files/x.example/nul-file-{_h('http://x.example/nul.gif')}.gif",
        ),
    ],
)
def test_attachment_paths_are_safe_stable_and_shared_by_host_spellings(
    url: str, expected: str, tmp_path: Path
) -> None:
    path = attachment_path(url)
    assert str(path) == expected
    assert safe_join(tmp_path, path).is_relative_to(tmp_path.resolve())


def test_attachment_paths_of_different_urls_differ() -> None:
    urls = [
        "http://www.ise.gov/files/a b.pdf",
        "http://www.ise.gov/files/a-b.pdf",
        "http://www.ise.gov/files/A-B.pdf",
        "http://www.ise.gov/files/a-b.pdf?v=2",
        "http://www.ise.gov/files/a-b.PDF",
    ]
    assert len({attachment_path(u) for u in urls}) == len(urls)
