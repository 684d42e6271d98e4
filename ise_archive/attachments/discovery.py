"""Which URLs of a post are attachments, and how few CDX prefix queries find them.

ise.gov illustrated posts with images and linked its reports, fact sheets and
slides as files under Drupal's public file directory (``/sites/default/files/``,
``/files/`` on the 2009 site). An attachment is:

* every image of the body (``Post.images``), whatever its host: the picture is part
  of the post;
* a link of the body to a file on the site's own hosts (``ise.gov``,
  ``www.ise.gov``, any scheme or port): under a file directory, or ending in a
  document or image extension (:data:`FILE_EXTENSIONS`).

Links to other sites' pages are not attachments: they keep their archived way in
(``Link.archived_url``) instead.

Discovery asks the archive for whole URL prefixes (:func:`discovery_prefixes`): one
query per site host and file directory, plus one per directory of an image hosted
elsewhere, so a corpus of hundreds of attachments costs a handful of CDX requests,
not one per file. This module computes with strings; it performs no I/O.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from ise_archive.normalize.urls import SITE_HOSTS, canonical_site_url
from ise_archive.records import Post

logger = logging.getLogger(__name__)

AttachmentKind = Literal["image", "file"]

#: Drupal's public file directories on ise.gov (D7 and the 2009 site).
FILE_DIRECTORIES: tuple[str, ...] = ("/sites/default/files/", "/files/")
#: Extensions that make a site link an attachment wherever it lives.
FILE_EXTENSIONS = frozenset(
    {
        ".pdf",
        ".doc",
        ".docx",
        ".ppt",
        ".pptx",
        ".xls",
        ".xlsx",
        ".jpg",
        ".jpeg",
        ".png",
        ".gif",
        ".zip",
    }
)
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".gif"})


@dataclass(frozen=True, slots=True, kw_only=True)
class AttachmentRef:
    """One attachment of a post: its URL as the post names it, and its kind."""

    url: str
    kind: AttachmentKind

    @property
    def key(self) -> str:
        """The URL that names the same file under every host and scheme spelling."""
        return attachment_key(self.url)


def attachment_key(url: str) -> str:
    """``url`` with ise.gov's host, scheme and port spellings made one.

    >>> attachment_key("https://ise.gov:80/sites/default/files/a.pdf")
    'http://www.ise.gov/sites/default/files/a.pdf'
    """
    return canonical_site_url(url).split("#", 1)[0]


def is_site_file(url: str) -> bool:
    """True for a URL of a file on ise.gov itself (a file directory or extension).

    >>> is_site_file("https://ise.gov/sites/default/files/ISE_Report.PDF")
    True
    >>> is_site_file("http://www.ise.gov/blog/a/b")
    False
    >>> is_site_file("http://www.dni.gov/files/x.pdf")
    False
    """
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or host not in SITE_HOSTS:
        return False
    path = parts.path.lower()
    if path.startswith(FILE_DIRECTORIES):
        return True
    return posixpath.splitext(path)[1] in FILE_EXTENSIONS


def post_attachments(post: Post) -> tuple[AttachmentRef, ...]:
    """The attachments of ``post``: body images first, then linked site files.

    One entry per file (:func:`attachment_key`), in order of first appearance; a
    linked image file is an ``image``. ``mailto:`` and non-http(s) URLs never are.
    """
    found: dict[str, AttachmentRef] = {}
    for image in post.images:
        if _is_web_url(image.url):
            found.setdefault(
                attachment_key(image.url), AttachmentRef(url=image.url, kind="image")
            )
    for link in post.links:
        if is_site_file(link.url):
            found.setdefault(
                attachment_key(link.url),
                AttachmentRef(url=link.url, kind=_kind_of(link.url)),
            )
    return tuple(found.values())


def discovery_prefixes(urls: Iterable[str]) -> tuple[str, ...]:
    """The URL prefixes whose CDX listings hold every file of ``urls``.

    A site file under a file directory is found by that directory's prefix, asked
    once for ``www.ise.gov`` and once for ``ise.gov`` (the archive keys the hosts
    apart); any other file by its own directory. A prefix inside another is
    dropped. Schemes are left out: the CDX server matches both.

    >>> discovery_prefixes(["http://www.ise.gov/sites/default/files/a/b.pdf",
    ...     "https://farm1.flickr.com/12/x.jpg"])
    ('farm1.flickr.com/12/', 'ise.gov/sites/default/files/', 'www.ise.gov/sites/default/files/')
    """  # noqa: E501
    prefixes: set[str] = set()
    for url in urls:
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
        except ValueError:
            continue
        if not host:
            continue
        path = parts.path.lower() if host in SITE_HOSTS else parts.path
        directory = next(
            (d for d in FILE_DIRECTORIES if host in SITE_HOSTS and path.startswith(d)),
            None,
        )
        if directory is None:
            directory = posixpath.dirname(parts.path) + "/"
            directory = directory.replace("//", "/")
        hosts = sorted(SITE_HOSTS) if host in SITE_HOSTS else [host]
        prefixes.update(f"{h}{directory}" for h in hosts)
    ordered = sorted(prefixes)
    return tuple(
        p for p in ordered if not any(p != q and p.startswith(q) for q in ordered)
    )


def _kind_of(url: str) -> AttachmentKind:
    path = urlsplit(url).path.lower()
    return "image" if posixpath.splitext(path)[1] in IMAGE_EXTENSIONS else "file"


def _is_web_url(url: str) -> bool:
    try:
        return urlsplit(url).scheme.lower() in ("http", "https")
    except ValueError:
        return False
