"""Tests of the local Wayback imitation: CDX API, replay, faults, command line.

The synthetic archive is tested in ``test_synthetic.py``.
"""

from __future__ import annotations

import gzip
import http.client
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from tests.wayback import fixtures
from tests.wayback.archive import Archive, sha1_digest, surt_urlkey
from tests.wayback.faults import Decision, Faults, FaultSpecError, parse_fault_spec
from tests.wayback.server import WaybackServer

DEV_CORPUS = fixtures.DEV_CORPUS
wayback_archive = fixtures.wayback_archive
wayback_server = fixtures.wayback_server
ROWS = [json.loads(line) for line in (DEV_CORPUS / "index.jsonl").open()]
ALL = [(r["urlkey"], r["timestamp"], r["original"]) for r in ROWS]
SEED_POST = "http://www.ise.gov/blog/ise-bloggers/social-media-and-law-enforcement-tweeting-front-line"


def fetch(
    server: WaybackServer, path: str, **headers: str
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """GET without following redirects or decoding anything."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, response.msg, body


def cdx(server: WaybackServer, query: str) -> list[list[str]]:
    status, _, body = fetch(server, "/cdx/search/cdx?" + query + "&output=json")
    assert status == 200
    return json.loads(body)


def triples(table: list[list[str]]) -> list[tuple[str, ...]]:
    return [tuple(row[:3]) for row in table[1:]]


# -- archive ------------------------------------------------------------------


def test_surt_urlkey_reproduces_every_fixture_urlkey():
    assert [surt_urlkey(r["original"]) for r in ROWS] == [r["urlkey"] for r in ROWS]


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://www2.ISE.gov:443/Blog/?b=2&a=1", "gov,ise)/blog?a=1&b=2"),
        ("ise.gov", "gov,ise)/"),
        ("http://ise.gov:8080/x", "gov,ise:8080)/x"),
    ],
)
def test_surt_urlkey_canonicalizes(url, key):
    assert surt_urlkey(url) == key


def test_add_capture_computes_digest_and_urlkey(wayback_archive):
    row = wayback_archive.add_capture(
        "https://ISE.gov/blog/new-post?", "20170101000000", b"hi"
    )
    assert (row.urlkey, row.digest, row.statuscode) == (
        "gov,ise)/blog/new-post",
        sha1_digest(b"hi"),
        "200",
    )
    assert wayback_archive.payload(row) == b"hi"


# -- CDX API ------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 7, 69, 500])
def test_resume_key_paging_returns_every_row_exactly_once(wayback_server, limit):
    seen, key = [], ""
    for _ in range(100):
        table = cdx(
            wayback_server,
            f"url=ise.gov/&matchType=prefix&limit={limit}"
            f"&showResumeKey=true{'&resumeKey=' + quote(key) if key else ''}",
        )
        if table and table[-2] == []:
            key = table[-1][0]
            table = table[:-2]
        else:
            key = ""
        seen += triples(table)
        if not key:
            break
    assert seen == ALL


def test_text_output_prints_resume_key_after_blank_line(wayback_server):
    _, _, body = fetch(
        wayback_server,
        "/cdx/search/cdx?url=ise.gov/iseblog/feed&limit=2"
        "&showResumeKey=true&fl=timestamp",
    )
    assert body.decode() == (
        "20111012030118\n20111027201412\n\n"
        "gov%2Cise%29%2Fiseblog%2Ffeed+20111027201412%21\n"
    )


@pytest.mark.parametrize(
    "url",
    [
        "ise.gov/iseblog/feed",
        "http://www.ise.gov/iseblog/feed",
        "https://www.ise.gov:443/iseblog/feed",
        "www.ise.gov:80/iseblog/feed/",
    ],
)
def test_exact_match_ignores_scheme_www_and_port(wayback_server, url):
    table = cdx(wayback_server, "url=" + quote(url, safe=""))
    assert triples(table) == [t for t in ALL if t[0] == "gov,ise)/iseblog/feed"]


def test_match_types_and_trailing_star(wayback_server):
    prefix = triples(cdx(wayback_server, "url=ise.gov/print/*"))
    host = triples(cdx(wayback_server, "url=www.ise.gov&matchType=host"))
    domain = triples(cdx(wayback_server, "url=*.ise.gov"))
    assert prefix == [t for t in ALL if t[0].startswith("gov,ise)/print/")]
    assert host == domain == ALL


def test_filters_are_anded_full_match_and_negatable(wayback_server):
    table = cdx(
        wayback_server,
        "url=ise.gov/&matchType=prefix&filter=statuscode:200"
        "&filter=!mimetype:text/html&fl=original,mimetype,statuscode",
    )
    expected = [
        [r["original"], r["mimetype"], "200"]
        for r in ROWS
        if r["statuscode"] == "200" and r["mimetype"] != "text/html"
    ]
    assert table == [["original", "mimetype", "statuscode"], *expected]
    partial = cdx(wayback_server, "url=ise.gov/&matchType=prefix&filter=statuscode:20")
    assert partial == []


def test_collapse_drops_adjacent_duplicates_only(wayback_server):
    table = cdx(
        wayback_server, "url=ise.gov/&matchType=prefix&collapse=digest&fl=digest"
    )
    digests = [r["digest"] for r in ROWS]
    expected = [d for i, d in enumerate(digests) if i == 0 or digests[i - 1] != d]
    assert [row[0] for row in table[1:]] == expected
    years = cdx(
        wayback_server, "url=ise.gov/iseblog/feed&collapse=timestamp:4&fl=timestamp"
    )
    assert years == [
        ["timestamp"],
        ["20111012030118"],
        ["20130512000411"],
        ["20160201120000"],
    ]


def test_from_to_are_inclusive_prefixes(wayback_server):
    table = cdx(
        wayback_server, "url=ise.gov/&matchType=prefix&from=2015&to=201506&fl=timestamp"
    )
    expected = [
        r["timestamp"] for r in ROWS if "2015" <= r["timestamp"][:6] <= "201506"
    ]
    assert [row[0] for row in table[1:]] == expected


def test_negative_limit_returns_last_rows(wayback_server):
    table = cdx(wayback_server, "url=ise.gov/iseblog/feed&limit=-1&fl=timestamp")
    assert table == [["timestamp"], ["20160201120000"]]


def test_bad_query_is_400(wayback_server):
    assert fetch(wayback_server, "/cdx/search/cdx?url=x&filter=nofield:1")[0] == 400
    assert fetch(wayback_server, "/cdx/search/cdx?url=x&fl=bogus")[0] == 400


def test_page_index_lags_behind_new_captures(wayback_server):
    new = wayback_server.archive.add_capture(
        SEED_POST, "20170101000000", b"<html></html>"
    )
    _, _, body = fetch(
        wayback_server,
        "/cdx/search/cdx?url=ise.gov/&matchType=prefix&showNumPages=true&pageSize=10",
    )
    assert body == b"7\n"
    paged = []
    for page in range(7):
        paged += triples(
            cdx(
                wayback_server, f"url=ise.gov/&matchType=prefix&page={page}&pageSize=10"
            )
        )
    assert paged == ALL
    wayback_server.archive.refresh_page_index()
    last = cdx(wayback_server, "url=ise.gov/blog/ise-bloggers/social-media*&page=0")
    assert (new.urlkey, new.timestamp, new.original) in triples(last)


# -- replay -------------------------------------------------------------------


@pytest.mark.parametrize("row", ROWS, ids=[r["cid"] for r in ROWS])
def test_id_replay_serves_the_payload_bytes(wayback_server, row):
    status, headers, body = fetch(
        wayback_server, f"/web/{row['timestamp']}id_/{row['original']}"
    )
    expected_status = 200 if row["statuscode"] == "-" else int(row["statuscode"])
    assert (status, body) == (
        expected_status,
        (DEV_CORPUS / "captures" / f"{row['cid']}.bin").read_bytes(),
    )
    assert headers["Memento-Datetime"]


def test_revisit_serves_the_revisited_payload(wayback_server):
    status, _, body = fetch(wayback_server, f"/web/20120305110402id_/{SEED_POST}")
    assert (status, body) == (200, (DEV_CORPUS / "captures" / "c0018.bin").read_bytes())


@pytest.mark.parametrize(
    ("style", "prefix"),
    [
        ("absolute", "http://127.0.0.1:{port}"),
        ("path", ""),
        ("scheme-relative", "//127.0.0.1:{port}"),
    ],
)
def test_redirect_capture_keeps_status_and_rewrites_location(
    wayback_server, style, prefix
):
    wayback_server.redirect_style = style
    status, headers, _ = fetch(
        wayback_server,
        "/web/20120214061915id_/http://ise.gov/blog/"
        "ise-bloggers/social-media-and-law-enforcement-tweeting-front-line",
    )
    assert status == 301
    assert headers["Location"] == prefix.format(port=wayback_server.port) + (
        f"/web/20120214061915id_/{SEED_POST}"
    )


def test_uncaptured_timestamp_redirects_to_nearest_capture(wayback_server):
    wayback_server.redirect_style = "path"
    status, headers, _ = fetch(wayback_server, f"/web/20111010000000id_/{SEED_POST}")
    assert (status, headers["Location"], headers["X-Archive-Redirect-Reason"]) == (
        302,
        f"/web/20111009213310id_/{SEED_POST}",
        "found capture at 20111009213310",
    )


def test_never_captured_url_is_archive_404_without_memento_datetime(wayback_server):
    status, headers, body = fetch(
        wayback_server, "/web/2011id_/http://www.ise.gov/nowhere"
    )
    assert (status, headers["Memento-Datetime"]) == (404, None)
    assert b"Wayback Machine doesn't have that page archived." in body


def test_replay_without_id_serves_the_corpus_replay_page(wayback_server):
    _, _, body = fetch(wayback_server, f"/web/20111006123456/{SEED_POST}")
    assert body == (DEV_CORPUS / "replay" / "c0015.html").read_bytes()


def test_replay_without_id_rewrites_on_the_fly(wayback_server):
    url = "http://www.ise.gov:80/blog/ise-bloggers/social-media-and-law-enforcement-tweeting-front-line"
    _, headers, body = fetch(wayback_server, f"/web/20111009213310/{url}")
    page = body.decode("utf-8")
    base = wayback_server.base_url
    assert headers["Memento-Datetime"] == "Sun, 09 Oct 2011 21:33:10 GMT"
    assert page.count("<!-- BEGIN WAYBACK TOOLBAR INSERT -->") == 1
    assert "<!-- End Wayback Rewrite JS Include -->" in page
    shortlink = "/web/20111009213310/http://www.ise.gov:80/node/1426"
    assert f'<link rel="shortlink" href="{shortlink}" />' in page
    assert (
        f'src="{base}/web/20111009213310im_/http://www.ise.gov/misc/feed.png"' in page
    )
    assert (
        f'@import url("{base}/web/20111009213310cs_/http://www.ise.gov/modules/' in page
    )
    assert (
        f'src="{base}/web/20111009213310js_/http://www.ise.gov/misc/jquery.js' in page
    )
    assert re.search(r'(?:href|src)="/(?!web/|_static/|/archive\.org/)', page) is None
    assert (
        page.rstrip().endswith("-->")
        and "FILE ARCHIVED ON 21:33:10 Oct 09, 2011" in page
    )


def test_gzip_when_accepted(wayback_server):
    _, headers, body = fetch(
        wayback_server,
        f"/web/20111006123456id_/{SEED_POST}",
        **{"Accept-Encoding": "gzip"},
    )
    assert headers.get_all("Content-Encoding") == ["gzip"]
    assert gzip.decompress(body) == (DEV_CORPUS / "captures" / "c0015.bin").read_bytes()


def test_requests_are_logged_with_their_pool(wayback_server):
    fetch(wayback_server, "/cdx/search/cdx?url=ise.gov")
    fetch(wayback_server, "/web/2011id_/http://www.ise.gov/nowhere")
    assert [(r.pool, r.status) for r in wayback_server.requests_log] == [
        ("cdx", 200),
        ("replay", 404),
    ]


# -- faults -------------------------------------------------------------------


def test_429_without_and_with_retry_after(wayback_server):
    wayback_server.faults.configure("429@cdx,first=1;429@cdx,first=1,retry_after=7")
    first = fetch(wayback_server, "/cdx/search/cdx?url=ise.gov")
    second = fetch(wayback_server, "/cdx/search/cdx?url=ise.gov")
    third = fetch(wayback_server, "/cdx/search/cdx?url=ise.gov")
    replay = fetch(wayback_server, f"/web/20111006123456id_/{SEED_POST}")
    assert [(r[0], r[1]["Retry-After"]) for r in (first, second, third, replay)] == [
        (429, None),
        (429, "7"),
        (200, None),
        (200, None),
    ]


def test_every_nth_503_is_bounded_by_times(wayback_server):
    wayback_server.faults.configure("503@replay,every=2,times=2")
    statuses = [
        fetch(wayback_server, f"/web/20111006123456id_/{SEED_POST}")[0]
        for _ in range(6)
    ]
    assert statuses == [200, 503, 200, 503, 200, 200]


def test_reset_mid_body(wayback_server):
    wayback_server.faults.configure("reset@replay,first=1")
    with pytest.raises((ConnectionError, http.client.IncompleteRead)):
        fetch(wayback_server, f"/web/20111006123456id_/{SEED_POST}")
    assert fetch(wayback_server, f"/web/20111006123456id_/{SEED_POST}")[0] == 200


def test_truncated_body_is_shorter_than_content_length(wayback_server):
    wayback_server.faults.configure("truncate@replay,first=1")
    with pytest.raises(http.client.IncompleteRead):
        fetch(wayback_server, f"/web/20111006123456id_/{SEED_POST}")
    assert wayback_server.requests_log[-1].fault == "truncate"


def test_slow_response(wayback_server):
    wayback_server.faults.configure("slow@all,first=1,delay_ms=150")
    started = time.monotonic()
    fetch(wayback_server, "/cdx/search/cdx?url=ise.gov")
    assert time.monotonic() - started >= 0.15


def test_duplicated_content_encoding(wayback_server):
    wayback_server.faults.configure("dup-gzip@replay,first=1")
    _, headers, body = fetch(wayback_server, f"/web/20111006123456id_/{SEED_POST}")
    assert headers.get_all("Content-Encoding") == ["gzip", "gzip"]
    assert gzip.decompress(body) == (DEV_CORPUS / "captures" / "c0015.bin").read_bytes()


def test_corrupt_changes_bytes_of_one_capture_not_its_length_or_headers(
    wayback_server,
):
    path = f"/web/20111006123456id_/{SEED_POST}"
    wayback_server.faults.configure("corrupt@replay,url=20111006123456id_,first=2")
    clean = fetch(wayback_server, f"/web/20111009213310id_/{SEED_POST}")
    first, second, third = (fetch(wayback_server, path) for _ in range(3))
    payload = (DEV_CORPUS / "captures" / "c0015.bin").read_bytes()
    assert clean[2] == payload  # another capture's path: untouched, rule not used
    assert first[2] == second[2] != payload
    assert len(first[2]) == len(payload) == int(first[1]["Content-Length"])
    assert sha1_digest(first[2]) != sha1_digest(payload)

    def headers(reply):  # Date is the clock's
        return [(n, v) for n, v in reply[1].items() if n != "Date"]

    assert headers(first) == headers(third)
    assert third[2] == payload  # first=2: the third fetch is clean


def test_refuse_closes_the_port_then_reopens(wayback_server):
    wayback_server.faults.configure("refuse@cdx,first=1,block_ms=300")
    with pytest.raises(ConnectionError):
        fetch(wayback_server, "/cdx/search/cdx?url=ise.gov")
    with pytest.raises(ConnectionRefusedError):
        fetch(wayback_server, "/cdx/search/cdx?url=ise.gov")
    time.sleep(0.5)
    assert fetch(wayback_server, "/cdx/search/cdx?url=ise.gov")[0] == 200


def test_faults_are_switchable_over_http(wayback_server):
    status, _, body = fetch(
        wayback_server, "/__faults__?spec=" + quote("503@cdx,first=1")
    )
    assert (status, json.loads(body)) == (200, {"503@cdx#0": 0})
    assert fetch(wayback_server, "/cdx/search/cdx?url=ise.gov")[0] == 503
    assert fetch(wayback_server, "/__faults__?spec=bogus")[0] == 400
    assert fetch(wayback_server, "/cdx/search/cdx?url=ise.gov")[0] == 200


def test_probability_faults_are_deterministic_per_seed():
    def run() -> list[str | None]:
        faults = Faults()
        faults.configure("503@all,p=0.5,seed=3,times=1000")
        return [faults.decide("cdx").kind for _ in range(40)]

    first = run()
    assert first == run()
    assert 5 < first.count("503") < 35


def test_rate_limiter_per_pool_with_injected_clock():
    now = [0.0]
    faults = Faults(clock=lambda: now[0])
    faults.configure("ratelimit@cdx,rpm=60,burst=2;ratelimit@replay,rpm=600")
    cdx_kinds = [faults.decide("cdx").kind for _ in range(3)]
    replay_kinds = [faults.decide("replay").kind for _ in range(3)]
    now[0] = 1.0
    assert (cdx_kinds, replay_kinds, faults.decide("cdx").kind) == (
        [None, None, "429"],
        [None, None, None],
        None,
    )


def test_rate_limiter_escalates_to_refusal_after_a_minute_of_429s():
    now = [0.0]
    faults = Faults(clock=lambda: now[0])
    faults.configure(
        "ratelimit@cdx,rpm=0.5,burst=1,retry_after=60,block_after=60,block_ms=50"
    )
    assert faults.decide("cdx") == Decision()
    assert faults.decide("cdx") == Decision("429", retry_after=60)
    now[0] = 59.0  # half a token refilled: still throttled
    assert faults.decide("cdx").kind == "429"
    now[0] = 60.0
    assert faults.decide("cdx") == Decision("refuse", block_ms=50)


def test_rate_limiter_answers_429_over_http(wayback_server):
    wayback_server.faults.configure("ratelimit@cdx,rpm=2")
    statuses = [
        fetch(wayback_server, "/cdx/search/cdx?url=ise.gov")[0] for _ in range(3)
    ]
    assert statuses == [200, 200, 429]


@pytest.mark.parametrize("spec", ["nope", "429@moon", "429,every", "slow,colour=red"])
def test_bad_fault_specs_are_rejected(spec):
    with pytest.raises(FaultSpecError):
        parse_fault_spec(spec)


# -- command line --------------------------------------


def test_command_line_serves_in_the_foreground():
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.wayback",
            "--port",
            "0",
            "--faults",
            "503@cdx,first=1",
        ],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        base = re.search(r"http://\S+", line)[0]
        port = urlsplit(base).port
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        statuses = []
        for _ in range(2):
            connection.request("GET", "/cdx/search/cdx?url=ise.gov")
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
    finally:
        process.terminate()
        process.wait(timeout=5)
    assert (line.split(":")[1].strip().split()[0], statuses) == ("69", [503, 200])


def test_directory_archive_reads_payloads_lazily(tmp_path):
    (tmp_path / "captures").mkdir()
    (tmp_path / "index.jsonl").write_text(json.dumps(ROWS[0]) + "\n")
    archive = Archive.from_directory(tmp_path)
    (tmp_path / "captures" / f"{ROWS[0]['cid']}.bin").write_bytes(b"late")
    assert archive.payload(archive.rows()[0]) == b"late"


def test_command_line_on_a_taken_port_says_so_in_one_line(wayback_server):
    taken = urlsplit(wayback_server.base_url).port
    result = subprocess.run(
        [sys.executable, "-m", "tests.wayback", "--port", str(taken)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout) == (3, "")
    assert result.stderr == (
        f"python -m tests.wayback: cannot listen on 127.0.0.1:{taken}: Address "
        "already in use; pick another --port (0 = any free port)\n"
    )


# -- faults added by the blind fault round (tests/blind/test_faults_*.py) ------


def test_short_body_has_a_content_length_that_agrees(wayback_server):
    wayback_server.faults.configure("short@replay,first=1")
    path = f"/web/20111006123456id_/{SEED_POST}"
    _, headers, body = fetch(wayback_server, path)
    payload = (DEV_CORPUS / "captures" / "c0015.bin").read_bytes()
    assert body == payload[: len(payload) // 2]
    assert int(headers["Content-Length"]) == len(body)
    assert fetch(wayback_server, path)[2] == payload


def test_trickle_sends_the_whole_body_slowly(wayback_server):
    wayback_server.faults.configure("trickle@replay,first=1,chunks=3,delay_ms=100")
    started = time.monotonic()
    _, _, body = fetch(wayback_server, f"/web/20111006123456id_/{SEED_POST}")
    assert time.monotonic() - started >= 0.3
    assert body == (DEV_CORPUS / "captures" / "c0015.bin").read_bytes()


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("missing200", b"doesn't have that page archived"), ("html200", b"offline")],
)
def test_canned_200_pages_carry_no_memento_headers(wayback_server, kind, expected):
    wayback_server.faults.configure(f"{kind}@replay,first=1")
    status, headers, body = fetch(wayback_server, f"/web/20111006123456id_/{SEED_POST}")
    assert status == 200 and expected in body
    assert headers.get("Memento-Datetime") is None


def test_empty200_answers_nothing(wayback_server):
    wayback_server.faults.configure("empty200@cdx,first=1")
    status, _, body = fetch(wayback_server, "/cdx/search/cdx?url=ise.gov/blog*")
    assert (status, body) == (200, b"")


def test_retry_date_is_an_http_date(wayback_server):
    wayback_server.faults.configure("429@cdx,first=1,retry_date=30")
    status, headers, _ = fetch(wayback_server, "/cdx/search/cdx?url=ise.gov")
    assert status == 429
    assert headers["Retry-After"].endswith(" GMT")


def test_query_selects_requests_by_their_query_string(wayback_server):
    wayback_server.faults.configure("503@cdx,query=resumeKey,every=1,times=5")
    assert fetch(wayback_server, "/cdx/search/cdx?url=ise.gov")[0] == 200
    assert fetch(wayback_server, "/cdx/search/cdx?url=ise.gov&resumeKey=x")[0] == 503


def test_resume_key_faults_repeat_or_go_back(wayback_server):
    query = "url=ise.gov/blog*&limit=3&showResumeKey=true&output=json"
    first = cdx(wayback_server, query)
    key = first[-1][0]
    wayback_server.faults.configure("resume-repeat@cdx,first=1")
    repeated = cdx(wayback_server, f"{query}&resumeKey={quote(key)}")
    assert repeated[-1] == [key]
    wayback_server.faults.configure("resume-back@cdx,first=1")
    back = cdx(wayback_server, f"{query}&resumeKey={quote(key)}")
    again = cdx(wayback_server, f"{query}&resumeKey={quote(back[-1][0])}")
    assert again[1:-2] == back[1:-2] == repeated[1:-2]
    assert again[-1] != back[-1]
