"""Which web archive a URL names, and how to ask it for captures and payloads.

Two kinds of archive software hold ise.gov, and they differ in four places:

* ``wayback`` (web.archive.org, OpenWayback): root ``https://web.archive.org``; CDX
  at ``{root}/cdx/search/cdx``, a JSON array with the IA field names and resume keys;
  filters ``[!]field:regex`` match the whole field; replay at
  ``{root}/web/{ts}{mod}/{url}``.
* ``pywb`` (the End of Term archive at UNT, the Library of Congress, ...): root
  ``https://host/<collection>``; CDX at ``{root}/cdx``, one JSON object per line
  with ``url``/``mime``/``status`` for ``original``/``mimetype``/``statuscode`` and
  no resume keys; filters ``[!]~field:regex`` match from the start; replay at
  ``{root}/{ts}{mod}/{url}``.

Both replay ``id_`` with ``Memento-Datetime`` (the test that an answer is archived
content, :mod:`ise_archive.archive.wayback`); the Wayback Machine sends the original
headers as ``X-Archive-Orig-*``, pywb keeps ``Content-Type``, ``Location`` and most
others as they were and prefixes only ``Date``, ``Server``, caching and length
headers. In both, the replay root is where ``{ts}{mod}/{url}`` hangs, so one URL
parser (:func:`ise_archive.archive.wayback.parse_archive_url`) reads both.

A setting names an archive as its root URL, optionally prefixed by its kind
(``pywb:https://...`` or ``wayback:https://...``). Without a prefix the kind is
detected: a bare host (``https://web.archive.org``) is a Wayback Machine, a root with
a path (``https://webarchive.library.unt.edu/eot2016``) a pywb collection.

This module computes with strings; it performs no I/O.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import urlsplit

from ise_archive.archive.cdx import (
    CDX_FIELDS,
    PYWB_CDX_FIELDS,
    CDXPage,
    CDXQuery,
    cdx_endpoint,
    cdx_query_url,
    parse_cdx_page,
    pywb_filter,
)
from ise_archive.archive.wayback import RAW_MODIFIER, parse_archive_url
from ise_archive.records import Capture

logger = logging.getLogger(__name__)

ArchiveKind = Literal["wayback", "pywb"]
ARCHIVE_KINDS: tuple[str, ...] = ("wayback", "pywb")

# pywb:https://webarchive.library.unt.edu/eot2016   wayback:http://127.0.0.1:8080
_KIND_PREFIX = re.compile(r"^(?P<kind>[a-z]+):(?=https?://)", re.IGNORECASE)
# a pool name becomes part of stats keys (ise_archive/pool/<name>/...): no slashes
_NAME_UNSAFE = re.compile(r"[^a-z0-9._-]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class WebArchive:
    """One archive: where its index and its replay live, and how to read them.

    ``root`` has no trailing slash. ``name`` is what records and rate pools call the
    archive (``web.archive.org``, ``eot2016``). ``view_root`` is the root of the
    human replay URLs written into records (``capture.archive_url``); it differs
    from ``root`` only when a local mirror stands in for a public archive.
    """

    name: str
    kind: ArchiveKind
    root: str
    view_root: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ARCHIVE_KINDS:
            raise ValueError(f"unknown archive kind {self.kind!r}")
        if urlsplit(self.root).scheme not in ("http", "https"):
            raise ValueError(f"archive root {self.root!r} must be an http(s) URL")

    @property
    def replay_root(self) -> str:
        """Where ``{timestamp}{modifier}/{original}`` hangs for fetching."""
        return _replay_root(self.kind, self.root)

    @property
    def cdx_endpoint(self) -> str:
        if self.kind == "pywb":
            return f"{self.root}/cdx"
        return cdx_endpoint(self.root)

    def cdx_query_url(self, query: CDXQuery, resume_key: str | None = None) -> str:
        """The GET URL of one page of ``query`` in this archive's dialect."""
        if self.kind == "wayback":
            return cdx_query_url(self.root, query, resume_key)
        pywb_query = CDXQuery(
            url=query.url,
            match_type=query.match_type,
            from_ts=query.from_ts,
            to_ts=query.to_ts,
            limit=query.limit,
            filters=tuple(pywb_filter(f) for f in query.filters),
            collapse=query.collapse,
        )
        return cdx_query_url(
            self.cdx_endpoint, pywb_query, fields=PYWB_CDX_FIELDS, paged=False
        )

    def parse_cdx(self, body: bytes, *, resumed: bool = False) -> CDXPage:
        """One CDX answer of this archive (both forms are read by one parser);
        ``resumed``: the answer to a resume request (:func:`parse_cdx_page`)."""
        page = parse_cdx_page(body, fields=CDX_FIELDS, resumed=resumed)
        if self.kind == "pywb" and page.resume_key is not None:
            return CDXPage(captures=page.captures, resume_key=None)
        return page

    def raw_url(self, timestamp: str, original: str) -> str:
        """Where to fetch a capture's payload as captured (``id_`` mode).

        >>> PYWB_EXAMPLE.raw_url("2016", "https://www.ise.gov/")
        'https://webarchive.library.unt.edu/eot2016/2016id_/https://www.ise.gov/'
        """
        return f"{self.replay_root}/{timestamp}{RAW_MODIFIER}/{original}"

    def archive_url(self, timestamp: str, original: str) -> str:
        """The human replay URL of a capture, as recorded in datasets.

        >>> WAYBACK_EXAMPLE.archive_url("20111006123456", "http://www.ise.gov/")
        'https://web.archive.org/web/20111006123456/http://www.ise.gov/'
        """
        view = _replay_root(self.kind, self.view_root or self.root)
        return f"{view}/{timestamp}/{original}"

    def timemap_url(self, original: str) -> str:
        """The archive's Memento TimeMap (link format) of one URL."""
        if self.kind == "pywb":
            return f"{self.root}/timemap/link/{original}"
        return f"{self.root}/web/timemap/link/{original}"

    def parse_replay_url(self, url: str) -> tuple[str, str, str] | None:
        """``(timestamp, modifier, original)`` of a replay URL of this archive."""
        return parse_archive_url(url, replay_root=self.replay_root)

    def spec(self) -> str:
        """The setting value that names this archive (``kind:root``)."""
        return f"{self.kind}:{self.root}"


def parse_archive(
    spec: str, *, name: str | None = None, view_root: str = ""
) -> WebArchive:
    """The archive a setting value names: ``[wayback:|pywb:]<root URL>``.

    Raises ValueError (naming the value) for an unknown kind or a non-http(s) URL.

    >>> a = parse_archive("https://webarchive.library.unt.edu/eot2016/")
    >>> a.kind, a.name, a.cdx_endpoint
    ('pywb', 'eot2016', 'https://webarchive.library.unt.edu/eot2016/cdx')
    >>> b = parse_archive("https://web.archive.org")
    >>> b.kind, b.name, b.cdx_endpoint
    ('wayback', 'web.archive.org', 'https://web.archive.org/cdx/search/cdx')
    """
    text = spec.strip()
    kind: str | None = None
    prefix = _KIND_PREFIX.match(text)
    if prefix:
        kind = prefix["kind"].lower()
        text = text[prefix.end() :]
        if kind not in ARCHIVE_KINDS:
            raise ValueError(
                f"archive {spec!r}: unknown kind {kind!r} (use wayback: or pywb:)"
            )
    root = text.rstrip("/")
    parts = urlsplit(root)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"archive {spec!r} must be an http(s) URL")
    if kind is None:
        kind = _detect_kind(root)
    if kind == "wayback" and root.endswith("/web"):
        root = root[: -len("/web")]  # the replay prefix given for the root
    return WebArchive(
        name=name or archive_name(kind, root),  # type: ignore[arg-type]
        kind=kind,  # type: ignore[arg-type]
        root=root,
        view_root=view_root.strip().rstrip("/"),
    )


def parse_archive_list(value: str | Sequence[str]) -> list[WebArchive]:
    """The archives of a comma-separated setting (``ISE_ARCHIVE_MORE_ARCHIVES``).

    Names are made unique by a numeric suffix, so two collections called ``all``
    on two hosts get two rate pools.
    """
    items = value.split(",") if isinstance(value, str) else list(value)
    archives: list[WebArchive] = []
    for item in items:
        if item.strip():
            archives.append(parse_archive(item))
    return unique_names(archives)


def unique_names(archives: Sequence[WebArchive]) -> list[WebArchive]:
    """``archives`` with repeated names suffixed ``-2``, ``-3``... (first kept)."""
    seen: dict[str, int] = {}
    unique = []
    for archive in archives:
        count = seen.get(archive.name, 0) + 1
        seen[archive.name] = count
        if count > 1:
            archive = WebArchive(
                name=f"{archive.name}-{count}",
                kind=archive.kind,
                root=archive.root,
                view_root=archive.view_root,
            )
        unique.append(archive)
    return unique


def archive_name(kind: str, root: str) -> str:
    """A short, stats-key-safe name: a pywb collection's name, else the host.

    >>> archive_name("pywb", "https://webarchive.loc.gov/all")
    'all'
    >>> archive_name("wayback", "http://127.0.0.1:8080")
    '127.0.0.1-8080'
    """
    parts = urlsplit(root)
    segments = [s for s in parts.path.split("/") if s]
    raw = segments[-1] if kind == "pywb" and segments else parts.netloc
    return _NAME_UNSAFE.sub("-", raw.lower()).strip("-") or "archive"


def _detect_kind(root: str) -> str:
    path = urlsplit(root).path.strip("/")
    if not path or path == "web" or path.endswith("/web"):
        return "wayback"
    return "pywb"


def _replay_root(kind: str, root: str) -> str:
    root = root.rstrip("/")
    return f"{root}/web" if kind == "wayback" else root


#: Doctest examples of each kind.
WAYBACK_EXAMPLE = WebArchive(
    name="web.archive.org", kind="wayback", root="https://web.archive.org"
)
PYWB_EXAMPLE = WebArchive(
    name="eot2016", kind="pywb", root="https://webarchive.library.unt.edu/eot2016"
)


@dataclass(frozen=True, slots=True)
class ArchiveSet:
    """The archives of one crawl by rank: the main one (0), then the others in the
    order ``ISE_ARCHIVE_MORE_ARCHIVES`` names them.

    A capture says which archive it is fetched from by that archive's spec
    (:attr:`~ise_archive.records.Capture.archive`, ``""`` for the main one).
    """

    archives: tuple[WebArchive, ...]

    def __len__(self) -> int:
        return len(self.archives)

    def __getitem__(self, rank: int) -> WebArchive:
        return self.archives[rank]

    def rank_of(self, capture: Capture) -> int:
        """The rank of the archive a capture is fetched from (0, the main archive,
        when its archive is no longer configured)."""
        if not capture.archive:
            return 0
        for rank, archive in enumerate(self.archives):
            if rank and archive.spec() == capture.archive:
                return rank
        return 0

    def pool(self, kind: str, rank: int) -> str:
        """The rate pool: ``cdx``/``replay`` for the main archive, ``cdx@<name>``
        and ``replay@<name>`` for the others."""
        return kind if rank == 0 else f"{kind}@{self.archives[rank].name}"

    def listed_by(self, captures: Sequence[Capture], rank: int) -> list[Capture]:
        """Captures of a CDX answer of the archive of ``rank``, marked as its."""
        if rank == 0:
            return list(captures)
        spec = self.archives[rank].spec()
        return [replace(c, archive=spec) for c in captures]
