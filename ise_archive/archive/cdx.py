"""Queries to a Wayback CDX server, and its answers turned into :class:`Capture` rows.

The CDX server is the archive's capture index. Its API is documented in the
``wayback-cdx-server`` README of internetarchive/wayback ("Wayback CDX Server API"):
``url`` + ``matchType`` (``exact``, ``prefix``, ``host``, ``domain``) select the
captures by SURT key, so one ``matchType=prefix`` query for ``ise.gov/blog`` covers
``www.ise.gov``, ``:80``, ``http`` and ``https`` alike; ``from``/``to`` take inclusive
1-14 digit timestamps; any number of ``filter=[!]field:regex`` params (Java regex,
whole-field match); ``collapse=field[:N]`` drops *adjacent* repeats only; ``fl``
chooses the columns; ``output=json`` returns a header row then one row per capture;
``showResumeKey=true`` appends an empty row and ``[<key>]`` when ``limit`` cut the
answer short, and ``resumeKey=<key>`` continues from there with every other param
unchanged.

Why these choices (see ``docs/discovery.md`` for the sources):

* Resume keys, not ``page=``: the paged API reads a secondary (zipnum) index that the
  README itself says "may be slightly less up-to-date" than a plain query.
* Bounded date windows: prefix queries over long ranges time out with 504 on the live
  server (internetarchive/wayback#285), so discovery asks one window at a time.
* Explicit ``fl`` and ``output=json`` always: the header row names the columns, so a
  server that orders them differently (or adds one) is still read correctly.

This module builds URLs and parses bodies; it performs no I/O.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote_plus, unquote_plus, urlencode, urlsplit

from ise_archive.errors import CDXError
from ise_archive.records import Capture

logger = logging.getLogger(__name__)

#: The seven public CDX fields, in the server's default order; always requested.
#: pywb names three of them differently (:data:`PYWB_CDX_FIELDS`), and leaves out
#: the fields of ``fl`` it does not know by its own names.
CDX_FIELDS: tuple[str, ...] = (
    "urlkey",
    "timestamp",
    "original",
    "mimetype",
    "statuscode",
    "digest",
    "length",
)

#: :data:`CDX_FIELDS` by pywb's names (its ``output=json`` keys).
PYWB_CDX_FIELDS: tuple[str, ...] = (
    "urlkey",
    "timestamp",
    "url",
    "mime",
    "status",
    "digest",
    "length",
)

#: Where the CDX server lives below ``WAYBACK_BASE_URL`` on web.archive.org.
CDX_PATH = "/cdx/search/cdx"

#: URL prefixes (SURT-matched, so every host/scheme/port spelling) that hold the blog.
#: ``blog`` covers posts, author listings, ``/blog?page=N`` and ``/blog/feed``;
#: ``node/`` the shortlinks (``/node/1643`` 302s to its post); ``print/`` the
#: print-module copies used when a full page is missing, in all three of the
#: module's forms (``/print/blog/<author>/<slug>``, ``/print/node/N``, ``/print/N``);
#: ``iseblog`` the blog's RSS view (``/iseblog/feed``) and anything else under it.
DEFAULT_PREFIXES: tuple[str, ...] = (
    "ise.gov/blog",
    "ise.gov/node/",
    "ise.gov/print/",
    "ise.gov/iseblog",
)

#: Spellings whose CDX key keeps the port, so no prefix query above lists them: the
#: index strips a scheme's default port only (``http://www.ise.gov:80/x`` is
#: ``gov,ise)/x``, ``https://www.ise.gov:80/x`` is ``gov,ise:80)/x``). An
#: independent 2,000-post archive had 18 posts only under the latter (issue 10).
DEFAULT_PORT_FORMS: tuple[str, ...] = ("https:80", "http:443")

#: Server-side filters for discovery. Only page-like rows are kept; redirects (3xx),
#: revisits (status ``-``) and archived 404s are kept on purpose, because selection
#: accounts for every capture and redirects tie ``/node/N`` to its post.
DEFAULT_FILTERS: tuple[str, ...] = (
    "!mimetype:image/.*",
    "!mimetype:text/css",
    "!mimetype:(application|text)/(x-)?javascript",
    "!statuscode:5..",
)

#: Rows per CDX answer. The live server caps one answer at 150,000 rows; smaller
#: pages keep memory flat and make a resume key the normal case, not the exception.
DEFAULT_LIMIT = 5000

MATCH_TYPES = frozenset({"exact", "prefix", "host", "domain"})

# 2011   20111006   20111006123456
_TIMESTAMP = re.compile(r"^\d{1,14}$")
# digest   timestamp:8   urlkey
_COLLAPSE = re.compile(r"^(?P<field>[a-z]+)(?::\d{1,3})?$")
# !mimetype:image/.*   statuscode:200   ~original:feed
_FILTER = re.compile(r"^[!~]{0,2}(?P<field>[a-z]+):.+$")
# ["org,archive)/", "19970126045828", ...]  or  {"urlkey": ...}  (pywb NDJSON)
_JSON_START = frozenset("[{")
# pywb (and its CDXJ API) names three fields differently from the IA server.
_FIELD_ALIASES = {"url": "original", "mime": "mimetype", "status": "statuscode"}
#: Field names a filter or collapse may name: the IA server's and pywb's.
_QUERYABLE_FIELDS = frozenset(CDX_FIELDS) | frozenset(_FIELD_ALIASES)


@dataclass(frozen=True, slots=True, kw_only=True)
class CDXQuery:
    """One CDX question: which URLs, which time window, which rows.

    ``from_ts``/``to_ts`` are inclusive 1-14 digit prefixes (``"2011"`` up to
    ``"20111231235959"``), as the server reads them.
    """

    url: str
    match_type: str = "prefix"
    from_ts: str | None = None
    to_ts: str | None = None
    limit: int = DEFAULT_LIMIT
    filters: tuple[str, ...] = ()
    collapse: str | None = None

    def __post_init__(self) -> None:
        if not self.url.strip():
            raise ValueError("CDXQuery.url must not be empty")
        if self.match_type not in MATCH_TYPES:
            raise ValueError(f"unknown matchType {self.match_type!r}")
        for name in ("from_ts", "to_ts"):
            value = getattr(self, name)
            if value is not None and not _TIMESTAMP.match(value):
                raise ValueError(f"{name} must be 1-14 digits, not {value!r}")
        if self.limit <= 0:
            raise ValueError(f"limit must be > 0, not {self.limit}")
        for name, form, pattern, values in (
            ("filter", "[!]field:regex", _FILTER, self.filters),
            ("collapse", "field[:N]", _COLLAPSE, (self.collapse or "",)),
        ):
            for value in filter(None, values):
                match = pattern.match(value)
                if not match or match["field"] not in _QUERYABLE_FIELDS:
                    raise ValueError(
                        f"{name} {value!r} is not {form} over a CDX field "
                        f"({', '.join(CDX_FIELDS)})"
                    )
            for value in self.filters:
                _check_regex(value)


def _check_regex(cdx_filter: str) -> None:
    """A filter's regex must compile: the server answers a broken one with HTTP 400
    on every query, after the crawl has started. Python's ``re`` stands in for the
    servers' Java regex (the syntax a filter needs is common to both)."""
    regex = cdx_filter.lstrip("!~").split(":", 1)[1]
    try:
        re.compile(regex)
    except re.error as exc:
        message = f"filter {cdx_filter!r}: its regex is broken ({exc})"
        raise ValueError(message) from None


@dataclass(frozen=True, slots=True)
class CDXPage:
    """One CDX answer: its captures, and the key to ask for the next page (or None
    when the answer was complete)."""

    captures: tuple[Capture, ...]
    resume_key: str | None


def cdx_endpoint(base_url: str) -> str:
    """The CDX search URL for a Wayback installation.

    ``base_url`` is ``WAYBACK_BASE_URL`` (``https://web.archive.org``), to which
    :data:`CDX_PATH` is appended. A URL that already names an endpoint (its last path
    segment is ``cdx``, as in ``http://host/cdx/search/cdx`` or pywb's
    ``http://host/coll/cdx``) is used as it is.

    >>> cdx_endpoint("https://web.archive.org/")
    'https://web.archive.org/cdx/search/cdx'
    """
    base = base_url.strip().rstrip("/")
    if urlsplit(base).path.rsplit("/", 1)[-1] == "cdx":
        return base
    return base + CDX_PATH


def cdx_query_url(
    base_url: str,
    query: CDXQuery,
    resume_key: str | None = None,
    *,
    fields: Sequence[str] = CDX_FIELDS,
    paged: bool = True,
) -> str:
    """The GET URL for one page of ``query``.

    Always ``output=json`` and an explicit ``fl`` (``fields``: :data:`CDX_FIELDS`,
    or their pywb names); with ``paged`` (the Internet Archive's server) also
    ``limit`` and ``showResumeKey=true``. pywb has no resume keys, so a ``limit``
    would cut its answer silently: an archive built on it is asked unpaged
    (``paged=False``) and the date windows bound the answer instead. Each filter is
    its own ``filter=`` param. ``resume_key`` is
    the key exactly as :func:`parse_cdx_page` returned it, which the server printed
    percent-encoded (``URLEncoder.encode("<urlkey> <timestamp>!")``). It goes back
    as the parameter's *value*, so encoded once more: the live server decodes it
    twice (the servlet decodes the query string, then
    ``CDXServer.createBoundedCdxIterator`` URL-decodes the key again). Sent as
    printed, a urlkey holding a %-escape (``...-%e2%80%93-...``) would be decoded
    one step too far and the page would resume past rows never listed.

    >>> url = cdx_query_url("http://a.test", CDXQuery(url="ise.gov/blog",
    ...     from_ts="2011", to_ts="2011", filters=("!statuscode:5..", "!mimetype:x")))
    >>> url.split("&")  # doctest: +NORMALIZE_WHITESPACE
    ['http://a.test/cdx/search/cdx?url=ise.gov/blog', 'matchType=prefix',
     'from=2011', 'to=2011', 'filter=!statuscode:5..', 'filter=!mimetype:x',
     'fl=urlkey,timestamp,original,mimetype,statuscode,digest,length',
     'output=json', 'limit=5000', 'showResumeKey=true']
    """
    params: list[tuple[str, str]] = [
        ("url", query.url),
        ("matchType", query.match_type),
    ]
    if query.from_ts:
        params.append(("from", query.from_ts))
    if query.to_ts:
        params.append(("to", query.to_ts))
    params.extend(("filter", f) for f in query.filters)
    if query.collapse:
        params.append(("collapse", query.collapse))
    params.extend([("fl", ",".join(fields)), ("output", "json")])
    if paged:
        params.extend([("limit", str(query.limit)), ("showResumeKey", "true")])
    url = f"{cdx_endpoint(base_url)}?{urlencode(params, safe=':/,!*')}"
    if resume_key and paged:
        url += "&resumeKey=" + quote_plus(resume_key, safe="")
    return url


def resume_search_key(value: str) -> str:
    """The search key a ``resumeKey`` parameter's (once decoded) value names.

    This version sends the printed key encoded once more, so the decoded value is
    the printed key (``gov%2Cise%29%2Fx+2011%21``), decoded once more here as the
    server does. Versions before it sent the printed key as it was, so their
    decoded value is already the search key (``gov,ise)/x 2011!``). A search key
    always holds the space between urlkey and timestamp, a printed one never (the
    server's URLEncoder prints it ``+``), which tells the two apart: both give
    the same key, and a stored answer is found whichever version asked.

    >>> resume_search_key("gov%2Cise%29%2Fx-%25e2%2580%2593+2011%21")
    'gov,ise)/x-%e2%80%93 2011!'
    >>> resume_search_key("gov,ise)/x-%e2%80%93 2011!")
    'gov,ise)/x-%e2%80%93 2011!'
    """
    return value if " " in value else unquote_plus(value)


def _question(params: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``params`` with the resume key read as the search key it names."""
    return [
        (name, resume_search_key(value) if name == "resumeKey" else value)
        for name, value in params
    ]


#: Parameters that shape how an answer is printed, not which captures it holds.
_FORMAT_PARAMS = frozenset({"fl", "output", "showResumeKey"})


def cdx_query_key(url: str) -> str | None:
    """What a CDX query URL asks, however its parameters are ordered or encoded;
    None for a URL that is not a CDX query (its last path segment is not ``cdx``).

    A rebuild finds a stored CDX answer by this key, not by the exact URL: the same
    question asked by another version (parameters in another order, ``%2F`` for
    ``/``, the resume key encoded otherwise) is the same question. Repeated
    parameters (``filter``) are kept as a sorted list: filters are all applied.

    >>> a = cdx_query_key("http://a.test/cdx/search/cdx?url=ise.gov/blog&from=2011")
    >>> a == cdx_query_key("http://A.test/cdx/search/cdx?from=2011&url=ise.gov%2Fblog")
    True
    >>> a == cdx_query_key("http://a.test/cdx/search/cdx?url=ise.gov/blog&from=2012")
    False
    >>> cdx_query_key("http://a.test/web/2011id_/http://ise.gov/blog") is None
    True
    """
    parts = urlsplit(url)
    if parts.path.rsplit("/", 1)[-1] != "cdx" or not parts.query:
        return None
    params = sorted(_question(parse_qsl(parts.query, keep_blank_values=True)))
    where = f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path}"
    return f"cdx {where}?{urlencode(params)}"


def describe_cdx_query(url: str) -> str:
    """A CDX query URL as a reader names the question (its decoded parameters,
    without those that only format the answer).

    >>> describe_cdx_query("http://a.test/cdx/search/cdx?url=ise.gov%2Fblog"
    ...     "&matchType=prefix&from=2011&fl=urlkey&output=json"
    ...     "&resumeKey=gov%252Cise%2529%252Fx%2B2011%2521")
    'url=ise.gov/blog matchType=prefix from=2011 resumeKey=gov,ise)/x 2011! (a.test)'
    """
    parts = urlsplit(url)
    params = _question(parse_qsl(parts.query, keep_blank_values=True))
    asked = " ".join(f"{k}={v}" for k, v in params if k not in _FORMAT_PARAMS)
    return f"{asked} ({parts.netloc})"


def pywb_filter(wayback_filter: str) -> str:
    """A Wayback CDX filter (``[!]field:regex``, whole-field regex) in pywb's syntax.

    pywb reads ``field:text`` as *contains* and ``~field:regex`` as a regex matched
    at the start only, so the Internet Archive's ``!mimetype:image/.*`` sent as it is
    would filter nothing; the regex is anchored at the end to match the whole field.
    A filter already in pywb's ``~``/``=`` form passes unchanged.

    >>> pywb_filter("!mimetype:image/.*")
    '!~mimetype:(?:image/.*)$'
    >>> pywb_filter("statuscode:200")
    '~statuscode:(?:200)$'
    """
    invert = "!" if wayback_filter.startswith("!") else ""
    rest = wayback_filter[len(invert) :]
    if rest.startswith(("~", "=")):
        return wayback_filter
    field, _, regex = rest.partition(":")
    return f"{invert}~{field}:(?:{regex})$"


def discovery_queries(
    *,
    prefixes: Sequence[str] = DEFAULT_PREFIXES,
    from_year: int,
    to_year: int,
    window_years: int = 1,
    filters: Sequence[str] = DEFAULT_FILTERS,
    limit: int = DEFAULT_LIMIT,
    collapse: str | None = None,
    port_forms: Sequence[str] = (),
) -> list[CDXQuery]:
    """Prefix queries over ``prefixes``, one per prefix and date window, then one
    per prefix and port form over the whole range.

    Windows are ``window_years`` calendar years wide and cover ``from_year`` to
    ``to_year`` inclusive; the last window is cut at ``to_year``. The list is ordered
    by prefix, then time, so one prefix's captures arrive in index order.

    ``port_forms`` (``scheme:port``, :data:`DEFAULT_PORT_FORMS`) are the spellings
    whose SURT key keeps the port: the index files ``https://www.ise.gov:80/blog/x``
    under ``gov,ise:80)/blog/x``, which no ``ise.gov/blog`` query lists. Each gets
    one prefix query per prefix (:func:`port_form_url`), unwindowed: windows are
    there because long scans of a big prefix time out, and a port form holds a
    handful of rows.

    >>> [(q.url, q.from_ts, q.to_ts) for q in discovery_queries(
    ...     prefixes=["ise.gov/blog"], from_year=2010, to_year=2012, window_years=2,
    ...     port_forms=["https:80"])]  # doctest: +NORMALIZE_WHITESPACE
    [('ise.gov/blog', '2010', '2011'), ('ise.gov/blog', '2012', '2012'),
     ('https://ise.gov:80/blog', '2010', '2012')]
    """
    if from_year > to_year:
        raise ValueError(f"from_year {from_year} is after to_year {to_year}")
    if window_years < 1:
        raise ValueError(f"window_years must be >= 1, not {window_years}")
    windows = [
        (str(start), str(min(start + window_years - 1, to_year)))
        for start in range(from_year, to_year + 1, window_years)
    ]
    spans = [(prefix, start, end) for prefix in prefixes for start, end in windows]
    spans += [
        (port_form_url(prefix, form), str(from_year), str(to_year))
        for form in port_forms
        for prefix in prefixes
    ]
    return [
        CDXQuery(
            url=url,
            match_type="prefix",
            from_ts=start,
            to_ts=end,
            limit=limit,
            filters=tuple(filters),
            collapse=collapse,
        )
        for url, start, end in spans
    ]


def port_form_url(prefix: str, form: str) -> str:
    """``prefix`` spelled with the scheme and port of ``form`` (``scheme:port``).

    >>> port_form_url("ise.gov/blog", "https:80")
    'https://ise.gov:80/blog'
    >>> port_form_url("http://www.ise.gov/print/", "http:443")
    'http://www.ise.gov:443/print/'
    """
    scheme, _, port = form.partition(":")
    if scheme not in ("http", "https") or not port.isdigit():
        raise ValueError(f"port form {form!r} is not scheme:port (e.g. https:80)")
    rest = prefix.split("://", 1)[-1]
    host, slash, path = rest.partition("/")
    host = host.rsplit(":", 1)[0] if host.rsplit(":", 1)[-1].isdigit() else host
    return f"{scheme}://{host}:{port}{slash}{path}"


def exact_query(
    url: str,
    *,
    from_ts: str | None = None,
    to_ts: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> CDXQuery:
    """Every capture of one URL (any host/scheme spelling: the match is by SURT key).

    For a post URL seen in a feed or listing but absent from the prefix results. No
    filters: its redirects and errors are wanted for the accounting too. The fragment
    is dropped (never part of a capture's URL). ``from_ts``/``to_ts`` bound it to the
    years discovery covers (:func:`discovery_queries`), so a lookup brings no
    capture that a prefix query over the same URL would not have listed.

    >>> q = exact_query("http://www.dni.gov/blog/a#top", from_ts="2010", to_ts="2016")
    >>> q.url, q.match_type, q.from_ts, q.to_ts
    ('http://www.dni.gov/blog/a', 'exact', '2010', '2016')
    """
    return CDXQuery(
        url=url.split("#", 1)[0],
        match_type="exact",
        from_ts=from_ts,
        to_ts=to_ts,
        limit=limit,
    )


def parse_cdx_page(
    body: bytes, *, fields: Sequence[str] = CDX_FIELDS, resumed: bool = False
) -> CDXPage:
    """Read one CDX answer into captures and a resume key.

    Accepted forms: the JSON array (header row, rows, ``[]``, ``[key]``); pywb's
    newline-delimited JSON objects; the plain-text form (space-separated rows in
    ``fields`` order, a blank line, then the key); and an empty body (no captures),
    except for the answer to a resume request (``resumed``): the page before
    promised more, and a server that has nothing more still prints its form
    (``[]``, a header row), so an empty body there is a bad answer, not the end.
    Exact repeats of a row within the page are dropped (the live index holds some,
    the README's own resume-key example shows one). ``length`` becomes an ``int``, or
    None when the server prints ``-``.

    Raises :class:`CDXError` for an HTML page (a proxy or the archive's error page
    answering 200) or anything else that is not a capture index.
    """
    text = _decode(body).strip()
    if not text and resumed:
        raise CDXError("CDX answer to a resume request is empty")
    if not text:
        return CDXPage(captures=(), resume_key=None)
    if text.startswith("<"):
        raise CDXError(f"CDX answer is an HTML/XML page, not an index: {text[:80]!r}")
    if text[0] in _JSON_START:
        if text[0] == "[":
            rows, resume_key = _json_array_rows(text)
        else:
            rows, resume_key = _ndjson_rows(text), None
    else:
        rows, resume_key = _text_rows(text, fields)
    return CDXPage(captures=_unique_captures(rows), resume_key=resume_key)


def capture_from_cdx_row(row: dict[str, str]) -> Capture | None:
    """One CDX row (field name -> value) as a :class:`Capture`, or None (logged) if it
    lacks a usable timestamp or URL."""
    timestamp = row.get("timestamp", "")
    original = row.get("original", "")
    if not _TIMESTAMP.match(timestamp) or not original:
        logger.warning("Dropped malformed CDX row %(row)r", {"row": row})
        return None
    length = row.get("length", "")
    return Capture(
        timestamp=timestamp,
        original=original,
        urlkey=row.get("urlkey", ""),
        mimetype=row.get("mimetype", ""),
        status=row.get("statuscode", ""),
        digest=row.get("digest", ""),
        length=int(length) if length.isdigit() else None,
    )


def _decode(body: bytes) -> str:
    if body[:2] == b"\x1f\x8b":  # a server that gzips whatever Accept-Encoding says
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError) as exc:
            raise CDXError("CDX answer is truncated gzip") from exc
    return body.decode("utf-8", errors="replace").lstrip("\ufeff")


def _json_array_rows(text: str) -> tuple[list[dict[str, str]], str | None]:
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CDXError(f"CDX answer is not valid JSON: {text[:80]!r}") from exc
    if not isinstance(data, list) or not all(isinstance(r, list) for r in data):
        raise CDXError(f"CDX JSON is not a list of rows: {text[:80]!r}")
    if not data:
        return [], None
    header = [_FIELD_ALIASES.get(str(h), str(h)) for h in data[0]]
    if "timestamp" not in header or "original" not in header:
        raise CDXError(f"CDX JSON header lacks timestamp/original: {data[0]!r}")
    body_rows = data[1:]
    resume_key = None
    # [..., [], ["org%2Carchive%29%2F+19980109140106%21"]]
    if len(body_rows) >= 2 and body_rows[-2] == [] and len(body_rows[-1]) == 1:
        resume_key = str(body_rows[-1][0]) or None
        body_rows = body_rows[:-2]
    rows = []
    for raw in body_rows:
        if len(raw) != len(header):
            logger.warning(
                "Dropped CDX row of %(n)d fields: %(row)r", {"n": len(raw), "row": raw}
            )
            continue
        rows.append(dict(zip(header, (str(v) for v in raw), strict=True)))
    return rows, resume_key


def _ndjson_rows(text: str) -> list[dict[str, str]]:
    rows = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CDXError(f"CDX JSON line is not valid JSON: {line[:80]!r}") from exc
        if not isinstance(obj, dict):
            raise CDXError(f"CDX JSON line is not an object: {line[:80]!r}")
        rows.append({_FIELD_ALIASES.get(k, k): str(v) for k, v in obj.items()})
    return rows


def _text_rows(
    text: str, fields: Sequence[str]
) -> tuple[list[dict[str, str]], str | None]:
    lines = text.splitlines()
    resume_key = None
    # org,archive)/ 19980109140106 http://archive.org:80/ text/html 200 XAHD... 1402
    # <blank>
    # org%2Carchive%29%2F+19980109140106%21
    if len(lines) >= 2 and not lines[-2].strip() and len(lines[-1].split()) == 1:
        resume_key = lines[-1].strip()
        lines = lines[:-2]
    rows = []
    for line in lines:
        if not line.strip():
            continue
        values = line.split()
        if len(values) != len(fields):
            raise CDXError(f"CDX text row has {len(values)} fields: {line[:80]!r}")
        rows.append(dict(zip(fields, values, strict=True)))
    return rows, resume_key


def _unique_captures(rows: list[dict[str, str]]) -> tuple[Capture, ...]:
    seen: set[Capture] = set()
    captures = []
    for row in rows:
        capture = capture_from_cdx_row(row)
        if capture is None:
            continue
        if capture in seen:
            logger.debug("Dropped repeated CDX row %(row)r", {"row": row})
            continue
        seen.add(capture)
        captures.append(capture)
    return tuple(captures)
