"""The capture store behind the local Wayback imitation, and its CDX query engine.

An :class:`Archive` holds CDX rows in the order the real CDX server keeps them (by
the line ``"<urlkey> <timestamp>"``) and fetches payload bytes on demand from a
:class:`PayloadStore`: a fixture corpus directory is read from disk per request and
a synthetic archive renders pages from its seed, so neither sits in memory twice.
Captures added with :meth:`Archive.add_capture` (incremental-run tests) keep their
bytes in memory.

:func:`run_cdx_query` evaluates one CDX API query (matchType, from/to, filter,
collapse, limit, resume keys, pages) with the semantics of the Internet Archive's
``wayback-cdx-server``. This module knows nothing about HTTP.
"""

from __future__ import annotations

import base64
import bisect
import gzip
import hashlib
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit

logger = logging.getLogger(__name__)

CDX_FIELDS: tuple[str, ...] = (
    "urlkey",
    "timestamp",
    "original",
    "mimetype",
    "statuscode",
    "digest",
    "length",
)
MATCH_TYPES = frozenset({"exact", "prefix", "host", "domain"})

# www.ise.gov  www2.ise.gov  (the IA canonicalizer drops these host prefixes)
_WWW_PREFIX = re.compile(r"^www\d*\.")
_HAS_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
# filter=!statuscode:2..   filter=mimetype:text/html
_FILTER = re.compile(r"^(?P<neg>!?)(?P<field>[a-z]+):(?P<regex>.*)$", re.DOTALL)
_DEFAULT_PORTS = {"http": "80", "https": "443"}


class QueryError(ValueError):
    """A CDX query the real server would answer with 400 Bad Request."""


def surt_urlkey(url: str, *, strip_trailing_slash: bool = True) -> str:
    """The SURT urlkey the Wayback CDX index files a URL under.

    Scheme and ``www``/``wwwN`` prefixes are dropped, default ports removed, host
    labels reversed, the rest lowercased, an empty ``?`` dropped, query arguments
    sorted and a trailing slash removed (except for the root), as the Internet
    Archive's canonicalizer does.

    >>> surt_urlkey("http://www.ise.gov:80/blog/Tamara-Wells/niem?")
    'gov,ise)/blog/tamara-wells/niem'
    >>> surt_urlkey("https://ise.gov/blog?b=2&a=1")
    'gov,ise)/blog?a=1&b=2'
    """
    url = url.strip()
    if not _HAS_SCHEME.match(url):
        url = "http://" + url.lstrip("/")
    parts = urlsplit(quote(url, safe="%/:=&?~#+!$,;'@()*[]"))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    host = _WWW_PREFIX.sub("", host)
    labels = ",".join(reversed(host.split(".")))
    port = parts.port
    if port is not None and str(port) != _DEFAULT_PORTS.get(scheme):
        labels = f"{labels}:{port}"
    path = parts.path or "/"
    if strip_trailing_slash and len(path) > 1:
        path = path.rstrip("/") or "/"
    key = f"{labels}){path}"
    if parts.query:
        key += "?" + "&".join(sorted(parts.query.split("&")))
    return key.lower()


def sha1_digest(payload: bytes) -> str:
    """The CDX ``digest``: base32 of the SHA-1 of the payload, as Heritrix writes it."""
    return base64.b32encode(hashlib.sha1(payload).digest()).decode("ascii")


@dataclass(frozen=True, slots=True, kw_only=True)
class CaptureRow:
    """One CDX row plus what replay needs: original headers, redirect target, id."""

    cid: str
    urlkey: str
    timestamp: str
    original: str
    mimetype: str
    statuscode: str
    digest: str
    length: str
    headers: tuple[tuple[str, str], ...] = ()
    location: str | None = None

    @property
    def line_key(self) -> str:
        """What the CDX server sorts and resumes on: ``"<urlkey> <timestamp>"``."""
        return f"{self.urlkey} {self.timestamp}"

    @property
    def is_revisit(self) -> bool:
        return self.statuscode == "-" or self.mimetype == "warc/revisit"

    def value(self, name: str) -> str:
        if name not in CDX_FIELDS:
            raise QueryError(f"unknown CDX field {name!r}")
        return getattr(self, name)


class PayloadStore(Protocol):
    """Where payload bytes and pre-rendered replay pages come from, by capture id."""

    def payload(self, cid: str) -> bytes: ...

    def replay(self, cid: str) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class DirectoryStore:
    """A corpus directory in the dev fixture format, read from disk on each request."""

    root: Path

    def payload(self, cid: str) -> bytes:
        return (self.root / "captures" / f"{cid}.bin").read_bytes()

    def replay(self, cid: str) -> bytes | None:
        path = self.root / "replay" / f"{cid}.html"
        return path.read_bytes() if path.is_file() else None


@dataclass(frozen=True, slots=True, kw_only=True)
class CdxQuery:
    """The parameters of one CDX API request, already parsed and validated."""

    url: str
    match_type: str = "exact"
    from_ts: str = ""
    to_ts: str = ""
    filters: tuple[tuple[bool, str, re.Pattern[str]], ...] = ()
    collapse: tuple[tuple[str, int | None], ...] = ()
    limit: int | None = None
    resume_key: str | None = None
    page: int | None = None
    page_size: int = 50


@dataclass(frozen=True, slots=True)
class CdxResult:
    rows: tuple[CaptureRow, ...]
    resume_key: str | None


@dataclass
class Archive:
    """CDX rows in index order, with their payloads a fetch away."""

    store: PayloadStore | None = None
    _rows: list[CaptureRow] = field(default_factory=list)
    _keys: list[str] = field(default_factory=list)
    _added: dict[str, bytes] = field(default_factory=dict)
    _by_digest: dict[str, str] = field(default_factory=dict)
    _unpaged: set[str] = field(default_factory=set)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    @classmethod
    def from_directory(cls, root: Path | str) -> Archive:
        """Load ``index.jsonl`` of a corpus directory; payloads stay on disk."""
        root = Path(root)
        archive = cls(store=DirectoryStore(root))
        with (root / "index.jsonl").open(encoding="utf-8") as index:
            archive.extend(row_from_json(json.loads(line)) for line in index if line)
        return archive

    def extend(self, rows: Iterable[CaptureRow]) -> None:
        """Add rows served from :attr:`store`; they are visible to ``page=``."""
        with self._lock:
            for row in rows:
                self._insert(row)

    def _insert(self, row: CaptureRow) -> None:
        # bisect_right keeps rows with equal keys in the order they were given
        at = bisect.bisect_right(self._keys, row.line_key)
        self._keys.insert(at, row.line_key)
        self._rows.insert(at, row)
        if not row.is_revisit:
            self._by_digest.setdefault(row.digest, row.cid)

    def add_capture(
        self,
        original: str,
        timestamp: str,
        body: bytes,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        mimetype: str = "text/html",
        location: str | None = None,
        length_known: bool = True,
    ) -> CaptureRow:
        """Record a new capture, as a crawl between two of our runs would.

        The row is hidden from ``page=`` queries until :meth:`refresh_page_index`,
        like the live archive's page index that lags behind new captures. Without
        ``length_known`` its ``length`` is ``-``, as in rows the live index has
        no record length for (its size is only known once downloaded).
        """
        if not re.fullmatch(r"\d{14}", timestamp):
            raise ValueError(f"timestamp {timestamp!r} must have 14 digits")
        header_pairs = tuple((headers or {"Content-Type": mimetype}).items())
        if location and not any(k.lower() == "location" for k, _ in header_pairs):
            header_pairs += (("Location", location),)
        with self._lock:
            cid = f"added{len(self._added) + 1:05d}"
            row = CaptureRow(
                cid=cid,
                urlkey=surt_urlkey(original),
                timestamp=timestamp,
                original=original,
                mimetype=mimetype,
                statuscode=str(status),
                digest=sha1_digest(body),
                length=(
                    str(len(gzip.compress(body, mtime=0)) + 300)
                    if length_known
                    else "-"
                ),
                headers=header_pairs,
                location=location,
            )
            self._added[cid] = body
            self._unpaged.add(cid)
            self._insert(row)
        return row

    def refresh_page_index(self) -> None:
        """Make every row visible to ``page=`` queries (the index caught up)."""
        with self._lock:
            self._unpaged.clear()

    def __len__(self) -> int:
        return len(self._rows)

    def rows(self) -> list[CaptureRow]:
        with self._lock:
            return list(self._rows)

    def payload(self, row: CaptureRow) -> bytes:
        """The bytes of a capture; a revisit gets those of the capture it revisits."""
        cid = row.cid
        if row.is_revisit:
            cid = self._by_digest.get(row.digest, cid)
        if cid in self._added:
            return self._added[cid]
        if self.store is None:
            raise LookupError(f"no payload for capture {cid}")
        return self.store.payload(cid)

    def replay_page(self, row: CaptureRow) -> bytes | None:
        """The corpus's own rewritten replay form of a capture, if it ships one."""
        if row.cid in self._added or self.store is None:
            return None
        return self.store.replay(row.cid)

    def captures_of(self, urlkey: str) -> list[CaptureRow]:
        with self._lock:
            start = bisect.bisect_left(self._keys, f"{urlkey} ")
            found = []
            for row in self._rows[start:]:
                if row.urlkey != urlkey:
                    break
                found.append(row)
            return found

    def scan(self, start_key: str = "") -> Iterator[CaptureRow]:
        """Rows from the first whose line key is >= ``start_key``, in index order."""
        with self._lock:
            start = bisect.bisect_left(self._keys, start_key)
            snapshot = self._rows[start:]
        yield from snapshot

    def in_page_index(self, row: CaptureRow) -> bool:
        return row.cid not in self._unpaged


def row_from_json(data: Mapping[str, object]) -> CaptureRow:
    """A row of a corpus ``index.jsonl`` (CDX fields + headers + location)."""
    headers = data.get("headers") or {}
    assert isinstance(headers, Mapping)
    location = data.get("location")
    return CaptureRow(
        cid=str(data["cid"]),
        urlkey=str(data["urlkey"]),
        timestamp=str(data["timestamp"]),
        original=str(data["original"]),
        mimetype=str(data["mimetype"]),
        statuscode=str(data["statuscode"]),
        digest=str(data["digest"]),
        length=str(data["length"]),
        headers=tuple((str(k), str(v)) for k, v in headers.items()),
        location=str(location) if location else None,
    )


def parse_cdx_query(params: Mapping[str, list[str]]) -> CdxQuery:
    """Validate CDX API parameters (as ``parse_qs`` gives them) into a query."""

    def one(name: str, default: str = "") -> str:
        values = params.get(name)
        return values[-1] if values else default

    url = one("url")
    if not url:
        raise QueryError("url parameter is required")
    match_type = one("matchType", "exact")
    if url.endswith("*"):
        url, match_type = url[:-1], "prefix"
    if url.startswith("*."):
        url, match_type = url[2:], "domain"
    if match_type not in MATCH_TYPES:
        raise QueryError(
            f"matchType {match_type!r} must be one of {sorted(MATCH_TYPES)}"
        )
    filters = []
    for spec in params.get("filter", []):
        match = _FILTER.match(spec)
        if not match or match["field"] not in CDX_FIELDS:
            raise QueryError(f"bad filter {spec!r}")
        try:
            pattern = re.compile(match["regex"])
        except re.error as exc:
            raise QueryError(f"bad filter regex {spec!r}") from exc
        filters.append((match["neg"] == "!", match["field"], pattern))
    collapse = []
    for spec in params.get("collapse", []):
        name, _, width = spec.partition(":")
        if name not in CDX_FIELDS or (width and not width.isdigit()):
            raise QueryError(f"bad collapse {spec!r}")
        collapse.append((name, int(width) if width else None))
    return CdxQuery(
        url=url,
        match_type=match_type,
        from_ts=_timestamp_bound(one("from"), "0"),
        to_ts=_timestamp_bound(one("to"), "9"),
        filters=tuple(filters),
        collapse=tuple(collapse),
        limit=_int_param(one("limit")),
        resume_key=one("resumeKey") or None,
        page=_int_param(one("page")),
        page_size=_int_param(one("pageSize")) or 50,
    )


def run_cdx_query(archive: Archive, query: CdxQuery) -> CdxResult:
    """The rows the CDX server prints for ``query``, and its resume key if any.

    The resume key is the real server's: ``quote_plus("<urlkey> <timestamp>!")`` of
    the last row printed, and resuming starts at the first line after it, so rows
    that share that urlkey and timestamp but were not printed are skipped, as live.
    """
    start = unquote_plus(query.resume_key) if query.resume_key else ""
    key_prefix, key_match = _match_predicate(query)
    rows: Iterator[CaptureRow] = (
        row for row in archive.scan(max(start, key_prefix)) if key_match(row.urlkey)
    )
    if query.page is not None:
        paged = [row for row in rows if archive.in_page_index(row)]
        begin = query.page * query.page_size
        rows = iter(paged[begin : begin + query.page_size])
    selected = _collapsed(_filtered(rows, query), query.collapse)
    limit = query.limit
    if limit is not None and limit < 0:
        return CdxResult(tuple(list(selected)[limit:]), None)
    printed: list[CaptureRow] = []
    more = False
    for row in selected:
        if limit is not None and len(printed) >= limit:
            more = True
            break
        printed.append(row)
    key = quote_plus(f"{printed[-1].line_key}!") if more and printed else None
    return CdxResult(tuple(printed), key)


def count_cdx_pages(archive: Archive, query: CdxQuery) -> int:
    """``showNumPages``: pages of ``page_size`` index rows before filtering."""
    key_prefix, key_match = _match_predicate(query)
    total = sum(
        1
        for row in archive.scan(key_prefix)
        if key_match(row.urlkey) and archive.in_page_index(row)
    )
    return -(-total // query.page_size)


def _match_predicate(query: CdxQuery) -> tuple[str, Callable[[str], bool]]:
    """Where the matching rows start in the index, and which urlkeys match."""
    if query.match_type == "exact":
        key = surt_urlkey(query.url)
        return f"{key} ", lambda urlkey: urlkey == key
    if query.match_type == "prefix":
        key = surt_urlkey(query.url, strip_trailing_slash=False)
        return key, lambda urlkey: urlkey.startswith(key)
    host = surt_urlkey(query.url).split(")", 1)[0]
    if query.match_type == "host":
        return f"{host})", lambda urlkey: urlkey.startswith(f"{host})")
    return host, lambda urlkey: urlkey.startswith((f"{host})", f"{host},"))


def _filtered(rows: Iterable[CaptureRow], query: CdxQuery) -> Iterator[CaptureRow]:
    for row in rows:
        if not query.from_ts <= row.timestamp <= query.to_ts:
            continue
        if all(
            bool(pattern.fullmatch(row.value(name))) != negate
            for negate, name, pattern in query.filters
        ):
            yield row


def _collapsed(
    rows: Iterable[CaptureRow], collapse: tuple[tuple[str, int | None], ...]
) -> Iterator[CaptureRow]:
    # one filter per collapse= in a chain: a row dropped by one never reaches the next
    previous: dict[int, str] = {}
    for row in rows:
        for position, (name, width) in enumerate(collapse):
            value = row.value(name)[:width] if width else row.value(name)
            if previous.get(position) == value:
                break
            previous[position] = value
        else:
            yield row


def _timestamp_bound(value: str, pad: str) -> str:
    """``from=2011`` means 20110000000000, ``to=2011`` means 20119999999999."""
    if not value:
        return pad * 14
    if not re.fullmatch(r"\d{1,14}", value):
        raise QueryError(f"timestamp {value!r} must be 1 to 14 digits")
    return value.ljust(14, pad)


def _int_param(value: str) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise QueryError(f"{value!r} is not an integer") from exc
