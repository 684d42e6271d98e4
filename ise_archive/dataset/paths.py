"""Safe, deterministic file names for the dataset's Markdown tree.

Post URLs come from archived pages, which are untrusted input: a slug can be
percent-encoded (``what%E2%80%99s``), non-ASCII (``Renée``), absurdly long, or hostile
(``%2E%2E%2F%2E%2E%2Fetc%2Fpasswd``). This module turns a post into a path of the
form ``posts/<yyyy>/<mm>/<slug>.md`` that is always relative, made only of
``[a-z0-9-]`` (so it is the same on every file system, case-insensitive ones
included), bounded in length and unique within one dataset, and it joins such paths
to the output directory only after checking that the result stays inside it.

It does not create, read or write any file.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from ise_archive.errors import UnsafePath
from ise_archive.normalize.urls import canonical_site_url
from ise_archive.records import Post

logger = logging.getLogger(__name__)

# The dataset layout under OUTPUT_DIR (docs/dataset.md describes each file).
RECORDS_FILE = "records.jsonl"
POSTS_DIR = "posts"
UNDATED_DIR = "undated"
SCHEMA_FILE = "schema/record.schema.json"
DATAPACKAGE_FILE = "datapackage.json"
CARD_FILE = "README.md"
MANIFEST_FILE = "manifest.json"
#: The evidence: WARC files of what the archive served, and their WACZ package.
WARC_DIR = "warc"
WACZ_FILE = "ise-archive.wacz"
#: Rescued images and attachments: ``files/<host>/<path>`` (see attachment_path).
FILES_DIR = "files"
#: Not dataset files: run reports and the crawler's incremental state.
NOT_DATASET_DIRS = frozenset({"runs", ".state"})
#: Longest slug kept whole; longer ones are cut and get a hash suffix, so the whole
#: path stays far below the 255-byte name limit of common file systems.
MAX_SLUG_LENGTH = 120
_HASH_LENGTH = 8
# Apostrophes vanish instead of splitting a word: "what’s" -> "whats", as Drupal's
# pathauto did for the site's own URLs.
_APOSTROPHES = frozenset("'’‘ʼ`´")
# Names Windows refuses as files whatever their extension.
_RESERVED_NAMES = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(10)}
    | {f"lpt{i}" for i in range(10)}
)


def slugify(text: str) -> str:
    """``text`` as a file-name-safe slug of ``[a-z0-9-]``, possibly empty.

    Percent escapes are decoded, Unicode is NFKC-normalized and folded to ASCII
    (accents dropped), apostrophes removed and every other run of characters outside
    ``[a-z0-9]`` becomes one hyphen, so no dot (hence no ``..``) and no slash survive.

    >>> slugify("niem-30-here-what%E2%80%99s-new-implementers")
    'niem-30-here-whats-new-implementers'
    >>> slugify("Ren%C3%A9e Caldwell")
    'renee-caldwell'
    >>> slugify("../../etc/passwd")
    'etc-passwd'
    """
    text = unicodedata.normalize("NFKC", unquote(text, errors="replace"))
    out: list[str] = []
    for char in unicodedata.normalize("NFKD", text.lower()):
        if char in _APOSTROPHES or unicodedata.combining(char):
            continue
        out.append(char if char.isascii() and char.isalnum() else "-")
    return "-".join(part for part in "".join(out).split("-") if part)


def url_slug(url: str) -> str:
    """The slug of a post URL: its last non-empty path segment, sanitized.

    >>> url_slug("http://www.ise.gov/blog/ise-bloggers/welcome-ise-blog")
    'welcome-ise-blog'
    """
    segments = [s for s in urlsplit(url).path.split("/") if s]
    return slugify(segments[-1]) if segments else ""


def post_markdown_path(post: Post, taken: set[str] | None = None) -> PurePosixPath:
    """Where ``post``'s Markdown document lives, relative to the output directory.

    The directory is the year and month of ``published`` as the post states it (US
    Eastern for the site), or ``undated``. The name is :func:`url_slug`, cut to
    :data:`MAX_SLUG_LENGTH` with a hash of the full slug when longer. If the path is
    already in ``taken`` (the paths given to posts earlier in the same record
    order), the name gets ``-`` plus a hash of the post URL: it depends only on the
    URL, so a post keeps its file name when unrelated posts come and go. The chosen
    path is added to ``taken``.

    >>> from datetime import date
    >>> str(post_markdown_path(Post(url="http://www.ise.gov/blog/a/x%2Fy", title="T",
    ...     published=date(2011, 10, 4))))
    'posts/2011/10/x-y.md'
    """
    folder = (
        f"{post.published.year:04d}/{post.published.month:02d}"
        if post.published is not None
        else UNDATED_DIR
    )
    slug = _bounded(url_slug(post.url) or "post-" + _short_hash(post.url))
    if slug in _RESERVED_NAMES:
        slug += "-post"
    path = PurePosixPath(POSTS_DIR, *folder.split("/"), f"{slug}.md")
    if taken is None:
        return path
    if str(path) in taken:
        suffixed = path.with_name(f"{slug}-{_short_hash(post.url)}.md")
        logger.debug(
            "File name %(path)s taken; %(url)s goes to %(suffixed)s",
            {"path": path, "url": post.url, "suffixed": suffixed},
        )
        if str(suffixed) in taken:  # the same URL twice: a merge bug upstream
            raise UnsafePath(f"two records share the URL {post.url}")
        path = suffixed
    taken.add(str(path))
    return path


def attachment_path(url: str, version: str = "") -> PurePosixPath:
    """Where the rescued copy of the file at ``url`` lives, relative to OUTPUT_DIR.

    ``files/<host>/<segments>/<name>.<ext>``, each part made only of ``[a-z0-9-]``
    (the host and the extension keep their dots), so the tree is safe on every file
    system and mirrors the site's. ise.gov's host spellings share ``www.ise.gov``.
    The path depends on the URL alone, so it is stable across runs: a name that
    had to change to become safe (case, ``_``, spaces, a query) gets ``-`` plus a
    hash of the whole URL, so two URLs never share a path. ``version`` (the
    payload digest) adds its first 8 characters, so the versions of one file over
    time are kept side by side.

    >>> str(attachment_path("https://ise.gov/sites/default/files/ise-report.pdf"))
    'files/www.ise.gov/sites/default/files/ise-report.pdf'
    >>> str(attachment_path("http://www.ise.gov/files/ISE_Fact Sheet.PDF"))
    'files/www.ise.gov/files/ise-fact-sheet-52adf412.pdf'
    >>> str(attachment_path("http://www.ise.gov/files/a.pdf", "sha1:ABCDEFGHIJ234"))
    'files/www.ise.gov/files/a-abcdefgh.pdf'
    >>> str(attachment_path("http://evil.example/%2E%2E/%2E%2E/etc/passwd"))
    'files/evil.example/-/-/etc/passwd-aa8749df'
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    host = "www.ise.gov" if host in ("ise.gov", "www.ise.gov") else host
    host = ".".join(p for p in (slugify(label) for label in host.split(".")) if p)
    raw_segments = [s for s in parts.path.split("/") if s]
    *folders, name = raw_segments or ["file"]
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    safe_extension = slugify(extension).replace("-", "")[:8]
    clean_folders = [_bounded(slugify(f)) or "-" for f in folders]
    clean_stem = _bounded(slugify(stem) or "file")
    if clean_stem in _RESERVED_NAMES:
        clean_stem += "-file"
    lossless = (
        bool(raw_segments)
        and not parts.query
        and all(c == f for c, f in zip(clean_folders, folders, strict=True))
        and clean_stem == stem
        and safe_extension == extension
    )
    if not lossless:
        clean_stem = f"{clean_stem}-{_short_hash(canonical_site_url(url))}"
    if version:
        clean_stem += "-" + slugify(version.rpartition(":")[2]).replace("-", "")[:8]
    file_name = f"{clean_stem}.{safe_extension}" if safe_extension else clean_stem
    return PurePosixPath(FILES_DIR, host or "unknown-host", *clean_folders, file_name)


def safe_join(root: Path, relative: PurePosixPath | str) -> Path:
    """``root / relative``, refusing anything that would resolve outside ``root``.

    Absolute paths, ``..`` parts, backslashes, NUL bytes and symlinks that lead out
    of ``root`` all raise :class:`UnsafePath`.
    """
    text = str(relative)
    if not text or "\\" in text or "\x00" in text:
        raise UnsafePath(f"refusing path {text!r}: empty or has a backslash or NUL")
    rel = PurePosixPath(text)
    if rel.is_absolute() or ".." in rel.parts:
        raise UnsafePath(f"refusing path {text!r}: absolute or contains '..'")
    base = root.resolve()
    target = base.joinpath(*rel.parts).resolve()
    if not target.is_relative_to(base) or target == base:
        raise UnsafePath(f"refusing path {text!r}: resolves outside {base}")
    return target


def _bounded(slug: str) -> str:
    if len(slug) <= MAX_SLUG_LENGTH:
        return slug
    head = slug[: MAX_SLUG_LENGTH - _HASH_LENGTH - 1].rstrip("-")
    return f"{head}-{_short_hash(slug)}"


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:_HASH_LENGTH]
