"""A local Wayback Machine over HTTP: the CDX API, replay, and faults on demand.

:class:`WaybackServer` serves an :class:`~tests.wayback.archive.Archive` on a loopback
port (0 = any free port) from a background thread, or in the foreground for the
command line. It imitates what a crawler of web.archive.org meets:

- ``GET /cdx/search/cdx`` with the wayback-cdx-server parameters (see archive.py);
- ``GET /web/<ts><mod>/<url>``: ``id_`` gives the raw payload with the original
  headers, no modifier gives the rewritten replay page (toolbar, ``/web/`` links);
  archived 404/301/302 keep their status, a timestamp that was not captured is a
  302 to the nearest capture, a URL never captured is the archive's own 404 page
  without ``Memento-Datetime``;
- gzip when asked, and the faults of :mod:`tests.wayback.faults`;
- ``GET /__faults__?spec=...`` (add rules), ``?clear=1``, ``?show=1`` at run time.

Every request is logged in memory (:attr:`WaybackServer.requests_log`). The page
rewriting lives in :mod:`tests.wayback.rewrite`, the CDX answers (columns, text and
JSON output, resume keys) in :mod:`tests.wayback.cdx_output`.
"""

from __future__ import annotations

import gzip
import http.server
import json
import logging
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Literal
from urllib.parse import parse_qs, quote_plus, unquote_plus, urljoin, urlsplit

from tests.wayback.archive import Archive, CaptureRow, surt_urlkey
from tests.wayback.cdx_output import answer_cdx_query
from tests.wayback.faults import Decision, Faults, FaultSpecError, corrupted
from tests.wayback.rewrite import ABSOLUTE_URL, epoch_seconds, rewrite_replay_page

logger = logging.getLogger(__name__)

RedirectStyle = Literal["absolute", "path", "scheme-relative"]
NOT_ARCHIVED = b"""<!DOCTYPE html>
<html lang="en"><head><title>Wayback Machine</title></head>
<body><div id="error"><h2>Hrm.</h2>
<p>Wayback Machine doesn't have that page archived.</p>
<p><a href="/save/">Save this url in the Wayback Machine</a></p></div></body></html>
"""
ERROR_PAGES = {
    429: b"<html><body><h1>429 Too Many Requests</h1></body></html>\n",
    500: b"<html><body><h1>500 Internal Server Error</h1></body></html>\n",
    503: b"<html><body><h1>503 Service Unavailable</h1></body></html>\n",
    504: b"<html><body><h1>504 Gateway Time-out</h1></body></html>\n",
}
# what a proxy in front of the archive answers, with 200, while the backend is away
MAINTENANCE = b"""<!DOCTYPE html>
<html><head><title>Internet Archive: Scheduled Maintenance</title></head>
<body><h1>The Wayback Machine is temporarily offline.</h1>
<p>We are performing scheduled maintenance. Please try again later.</p></body></html>
"""
# headers that describe the original transfer, not the resource: never replayed as is
_HOP_BY_HOP = frozenset(
    {
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "date",
        "server",
    }
)
# /web/20111006123456id_/http://www.ise.gov/blog   /web/2011/ise.gov/
_REPLAY_PATH = re.compile(r"^/web/(?P<ts>\d{1,14})(?P<mod>[a-z]{2}_)?/(?P<url>.+)$")
_COLLAPSED_SCHEME = re.compile(r"^(https?):/(?!/)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request as the server saw it; ``fault`` names what was injected."""

    method: str
    path: str
    status: int
    pool: str
    fault: str | None = None
    #: when the server answered (``time.monotonic``): rates over a run's stretch
    at: float = field(default_factory=time.monotonic)


@dataclass(slots=True)
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class WaybackServer:
    """The imitation's HTTP server; use as a context manager or start()/stop()."""

    archive: Archive
    faults: Faults = field(default_factory=Faults)
    host: str = "127.0.0.1"
    port: int = 0
    redirect_style: RedirectStyle = "absolute"
    max_rows: int = 150_000
    now: Callable[[], float] = time.time
    requests_log: list[RequestRecord] = field(default_factory=list)
    _httpd: http.server.ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _blocked_until: float = 0.0
    _closed: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _connections: set[socket.socket] = field(default_factory=set)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> WaybackServer:
        """Listen and serve from a daemon thread; the real port is in ``port``."""
        self._closed = False
        self._listen()
        logger.info("Wayback imitation listening on %(url)s", {"url": self.base_url})
        return self

    def _listen(self) -> None:
        httpd = http.server.ThreadingHTTPServer((self.host, self.port), _Handler)
        httpd.daemon_threads = True
        httpd.wayback = self  # type: ignore[attr-defined]
        self.port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop listening and drop every open connection."""
        self._closed = True
        self._shutdown()

    def _shutdown(self) -> None:
        with self._lock:
            httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        self._drop_connections()

    def __enter__(self) -> WaybackServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def block(self, milliseconds: int) -> None:
        """Refuse connections for a while: the archive's firewall after a 429 storm."""
        with self._lock:
            self._blocked_until = time.monotonic() + milliseconds / 1000
        logger.info("Refusing connections for %(ms)d ms", {"ms": milliseconds})
        self._shutdown()  # called from a handler thread, never the serving one
        threading.Thread(target=self._reopen_after, args=(milliseconds,)).start()

    def _reopen_after(self, milliseconds: int) -> None:
        time.sleep(milliseconds / 1000)
        with self._lock:
            reopen = not self._closed and self._httpd is None
        if reopen:
            self._listen()

    @property
    def blocked(self) -> bool:
        return time.monotonic() < self._blocked_until

    def log(self, record: RequestRecord) -> None:
        with self._lock:
            self.requests_log.append(record)

    def track(self, connection: socket.socket, alive: bool) -> None:
        with self._lock:
            if alive:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def _drop_connections(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            _reset(connection)

    # -- answers -------------------------------------------------------------

    def answer_cdx(self, query_string: str) -> Reply:
        answer = answer_cdx_query(self.archive, query_string, max_rows=self.max_rows)
        return Reply(
            answer.status, [("Content-Type", answer.content_type)], answer.body
        )

    def answer_replay(
        self, path: str, origin: str, *, elsewhere: bool = False
    ) -> Reply:
        """A replay answer; ``elsewhere`` (the ``nearest`` fault): a listed capture
        the archive will not play as listed, so it redirects to the nearest *other*
        capture of the URL, as the live one does when its replay index disagrees
        with its CDX."""
        match = _REPLAY_PATH.match(path)
        if not match:
            return _not_archived()
        url = _COLLAPSED_SCHEME.sub(r"\1://", match["url"])
        if not ABSOLUTE_URL.match(url):
            url = "http://" + url
        ts, mod = match["ts"], match["mod"] or ""
        captures = self.archive.captures_of(surt_urlkey(url))
        if not captures:
            return _not_archived()
        exact = [row for row in captures if row.timestamp == ts]
        others = [row for row in captures if row.timestamp != ts]
        if elsewhere and exact and others:
            exact, captures = [], others
        if not exact:
            nearest = min(
                captures,
                key=lambda r: abs(epoch_seconds(r.timestamp) - epoch_seconds(ts)),
            )
            target = self._web_url(origin, nearest.timestamp, mod, url)
            headers = [
                ("Location", target),
                ("X-Archive-Redirect-Reason", f"found capture at {nearest.timestamp}"),
                ("Content-Type", "text/plain; charset=utf-8"),
            ]
            return Reply(
                302, headers, b"found capture at " + nearest.timestamp.encode()
            )
        return self._capture_reply(exact[0], mod, origin)

    def _capture_reply(self, row: CaptureRow, mod: str, origin: str) -> Reply:
        payload = self.archive.payload(row)
        status = 200 if row.statuscode in ("-", "") else int(row.statuscode)
        headers = [
            ("Memento-Datetime", formatdate(epoch_seconds(row.timestamp), usegmt=True)),
            ("Link", f'<{row.original}>; rel="original"'),
        ]
        content_type = ""
        for name, value in row.headers:
            headers.append((f"X-Archive-Orig-{name}", value))
            lowered = name.lower()
            if lowered == "location":
                value = self._web_url(
                    origin, row.timestamp, mod, urljoin(row.original, value)
                )
            elif lowered == "content-type":
                content_type = value
            if lowered not in _HOP_BY_HOP:
                headers.append((name, value))
        if row.location and not any(n.lower() == "location" for n, _ in row.headers):
            target = urljoin(row.original, row.location)
            headers.append(
                ("Location", self._web_url(origin, row.timestamp, mod, target))
            )
        if mod in ("", "if_", "fw_") and "html" in content_type.lower():
            page = self.archive.replay_page(row)
            if page is None:
                page = self.rewrite(row, payload, origin, toolbar=mod == "")
            payload = page
        return Reply(status, headers, payload)

    def rewrite(
        self, row: CaptureRow, payload: bytes, origin: str, toolbar: bool
    ) -> bytes:
        """The replay form of an archived HTML page, as the Wayback Machine makes it."""
        neighbours = self.archive.captures_of(row.urlkey)
        return rewrite_replay_page(
            payload, row, origin, neighbours if toolbar else None, retrieved=self.now()
        )

    def _web_url(self, origin: str, ts: str, mod: str, url: str) -> str:
        path = f"/web/{ts}{mod}/{url}"
        if self.redirect_style == "path":
            return path
        if self.redirect_style == "scheme-relative":
            return "//" + origin.split("://", 1)[1] + path
        return origin + path


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "WaybackImitation/1.0"
    timeout = 30

    @property
    def wayback(self) -> WaybackServer:
        return self.server.wayback  # type: ignore[attr-defined]

    def setup(self) -> None:
        super().setup()
        self.wayback.track(self.connection, alive=True)

    def finish(self) -> None:
        self.wayback.track(self.connection, alive=False)
        super().finish()

    def log_message(self, format: str, *args: object) -> None:
        logger.debug(format, *args)

    def do_GET(self) -> None:
        wayback = self.wayback
        split = urlsplit(self.path)
        pool = _pool(split.path)
        if wayback.blocked:
            wayback.log(RequestRecord("GET", self.path, 0, pool, "refuse"))
            self._abort()
            return
        if split.path == "/__faults__":
            self._send(self._control(split.query), pool, None)
            return
        decision = (
            wayback.faults.decide(pool, split.path, split.query)
            if pool != "control"
            else Decision()
        )
        if decision.delay_ms:
            time.sleep(decision.delay_ms / 1000)
        if decision.kind == "refuse":
            wayback.log(RequestRecord("GET", self.path, 0, pool, "refuse"))
            wayback.block(decision.block_ms)
            self._abort()
            return
        if decision.kind and decision.kind.isdigit():
            reply = _error_reply(
                int(decision.kind), decision.retry_after, decision.retry_date
            )
            self._send(reply, pool, decision)
            return
        if decision.kind in _CANNED:
            self._send(_CANNED[decision.kind](), pool, decision)
            return
        origin = f"http://{self.headers.get('Host') or wayback.host}"
        if split.path.startswith("/cdx/search/cdx"):
            reply = wayback.answer_cdx(split.query)
            if decision.kind in ("resume-repeat", "resume-back"):
                reply = _moved_resume_key(reply, split.query, decision.kind)
        elif split.path.startswith("/web/"):
            elsewhere = decision.kind == "nearest"
            reply = wayback.answer_replay(self.path, origin, elsewhere=elsewhere)
        else:
            reply = _not_archived()
        self._send(reply, pool, decision)

    def _control(self, query: str) -> Reply:
        params = parse_qs(query)
        faults = self.wayback.faults
        try:
            if params.get("clear"):
                faults.clear()
            for spec in params.get("spec", []):
                faults.configure(spec)
        except FaultSpecError as exc:
            return Reply(400, [("Content-Type", "text/plain")], f"{exc}\n".encode())
        body = json.dumps(faults.injected()).encode()
        return Reply(200, [("Content-Type", "application/json")], body)

    def _send(self, reply: Reply, pool: str, decision: Decision | None) -> None:
        headers = list(reply.headers)
        body = reply.body
        encoded = any(n.lower() == "content-encoding" for n, _ in headers)
        accepts = "gzip" in (self.headers.get("Accept-Encoding") or "").lower()
        dup_gzip = decision is not None and decision.dup_gzip
        if decision is not None and decision.kind == "corrupt":
            body = corrupted(body)
        if kind_of(decision) == "short":
            body = body[: len(body) // 2]
        if body and not encoded and (accepts or dup_gzip):
            body = gzip.compress(body, mtime=0)
            headers.append(("Content-Encoding", "gzip"))
            encoded = True
        if dup_gzip and encoded:
            headers.append(("Content-Encoding", "gzip"))
        kind = decision.kind if decision is not None else None
        self.send_response(reply.status)
        for name, value in headers:
            self.send_header(name, value)
        if kind == "chunked":  # no length said: the client learns it by reading
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        fault = kind if kind in ("reset", "truncate") else (kind or None)
        if dup_gzip:
            fault = "dup-gzip" if fault is None else fault
        self.wayback.log(RequestRecord("GET", self.path, reply.status, pool, fault))
        if kind == "reset":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self._abort()
        elif kind == "trickle" and decision is not None:
            self._trickle(body, decision.chunks, decision.gap_ms)
        elif kind == "chunked":
            self._chunked(body)
        elif kind == "truncate":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_WR)
        else:
            self.wfile.write(body)

    def _chunked(self, body: bytes) -> None:
        """The body in HTTP/1.1 chunks of 8 KiB, then the last chunk."""
        try:
            for start in range(0, len(body), 8192):
                piece = body[start : start + 8192]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:  # the client stopped reading (a size cap)
            self.close_connection = True

    def _trickle(self, body: bytes, chunks: int, gap_ms: int) -> None:
        """The body in ``chunks`` pieces ``gap_ms`` apart: a link that crawls."""
        size = max(1, -(-len(body) // max(1, chunks)))
        for start in range(0, len(body), size):
            time.sleep(gap_ms / 1000)
            try:
                self.wfile.write(body[start : start + size])
                self.wfile.flush()
            except OSError:
                return  # the client gave up waiting

    def _abort(self) -> None:
        """Close with a TCP reset, so the client sees a connection error, not EOF."""
        self.close_connection = True
        _reset(self.connection)


def _pool(path: str) -> str:
    if path.startswith(("/cdx/", "/web/timemap")):
        return "cdx"
    if path.startswith("/web/"):
        return "replay"
    return "control"


def _not_archived() -> Reply:
    return Reply(404, [("Content-Type", "text/html; charset=utf-8")], NOT_ARCHIVED)


def _error_reply(
    status: int, retry_after: int | None, retry_date: int | None = None
) -> Reply:
    headers = [("Content-Type", "text/html")]
    if retry_after is not None:
        headers.append(("Retry-After", str(retry_after)))
    elif retry_date is not None:
        when = formatdate(time.time() + retry_date, usegmt=True)
        headers.append(("Retry-After", when))
    return Reply(status, headers, ERROR_PAGES.get(status, b"error\n"))


def kind_of(decision: Decision | None) -> str | None:
    return decision.kind if decision is not None else None


_CANNED: dict[str, Callable[[], Reply]] = {
    # the archive's own "not archived" page, but with 200 (a lost WARC backend)
    "missing200": lambda: Reply(
        200, [("Content-Type", "text/html; charset=utf-8")], NOT_ARCHIVED
    ),
    "html200": lambda: Reply(
        200, [("Content-Type", "text/html; charset=utf-8")], MAINTENANCE
    ),
    "empty200": lambda: Reply(200, [("Content-Type", "text/plain")], b""),
}


def _moved_resume_key(reply: Reply, query: str, kind: str) -> Reply:
    """``reply`` (a CDX page) with its resume key replaced: by the key the request
    sent (``resume-repeat``), or by one that resumes at the page's own first row
    (``resume-back``). A page without a key, or a first page asked to repeat,
    is left alone."""
    sent = parse_qs(query).get("resumeKey", [""])[-1]
    text = reply.body.decode("utf-8")
    if reply.status != 200 or not text.rstrip().endswith('"]]'):
        return reply  # only the JSON output is moved; enough for the crawler
    rows = json.loads(text)
    if len(rows) < 4 or rows[-2] != [] or len(rows[-1]) != 1:
        return reply
    header, table = rows[0], rows[1:-2]
    if kind == "resume-repeat":
        if not sent:
            return reply
        # printed as the server prints the search key it decoded from ``sent``
        # (run_cdx_query decodes the parameter's value once more)
        key = quote_plus(unquote_plus(sent))
    else:
        if "urlkey" not in header or "timestamp" not in header:
            return reply
        first = table[0]
        line_key = f"{first[header.index('urlkey')]} {first[header.index('timestamp')]}"
        key = quote_plus(line_key)
    lines = [json.dumps(r) for r in [header, *table]] + ["[]", json.dumps([key])]
    body = ("[" + ",\n".join(lines) + "]\n").encode()
    return Reply(reply.status, reply.headers, body)


def _reset(connection: socket.socket) -> None:
    try:
        connection.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
        )
        connection.close()
    except OSError:
        logger.debug("Connection already closed")
