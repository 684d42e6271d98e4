"""Tests for ise_archive.archive.cdx: query URLs and CDX answers."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from urllib.parse import parse_qsl, quote_plus, unquote_plus, urlsplit

import pytest

from ise_archive.archive.cdx import (
    CDX_FIELDS,
    DEFAULT_FILTERS,
    DEFAULT_PREFIXES,
    CDXPage,
    CDXQuery,
    cdx_endpoint,
    cdx_query_key,
    cdx_query_url,
    describe_cdx_query,
    discovery_queries,
    exact_query,
    parse_cdx_page,
)
from ise_archive.errors import CDXError
from ise_archive.records import Capture

INDEX = Path(__file__).parents[1] / "fixtures" / "dev" / "index.jsonl"
ROWS = [json.loads(line) for line in INDEX.read_text().splitlines()]

# The wayback-cdx-server README's resume-key example, repeated row included.
README_JSON = b"""[["urlkey","timestamp","original","mimetype","statuscode","digest","length"],
 ["org,archive)/", "19970126045828", "http://www.archive.org:80/", "text/html", "200", "Q4YULN754FHV2U6Q5JUT6Q2P57WEWNNY", "1415"],
 ["org,archive)/", "19971011050034", "http://www.archive.org:80/", "text/html", "200", "XAHDNHZ5P3GSSSNJ3DMEOJF7BMCCPZR3", "1402"],
 ["org,archive)/", "19971211122953", "http://www.archive.org:80/", "text/html", "200", "XAHDNHZ5P3GSSSNJ3DMEOJF7BMCCPZR3", "1405"],
 ["org,archive)/", "19971211122953", "http://www.archive.org:80/", "text/html", "200", "XAHDNHZ5P3GSSSNJ3DMEOJF7BMCCPZR3", "1405"],
 ["org,archive)/", "19980109140106", "http://archive.org:80/", "text/html", "200", "XAHDNHZ5P3GSSSNJ3DMEOJF7BMCCPZR3", "1402"],
 [],
 ["org%2Carchive%29%2F+19980109140106%21"]]"""  # noqa: E501

README_TEXT = b"""org,archive)/ 19970126045828 http://www.archive.org:80/ text/html 200 Q4YULN754FHV2U6Q5JUT6Q2P57WEWNNY 1415
org,archive)/ 19971011050034 http://www.archive.org:80/ text/html 200 XAHDNHZ5P3GSSSNJ3DMEOJF7BMCCPZR3 1402
org,archive)/ 19971211122953 http://www.archive.org:80/ text/html 200 XAHDNHZ5P3GSSSNJ3DMEOJF7BMCCPZR3 1405
org,archive)/ 19971211122953 http://www.archive.org:80/ text/html 200 XAHDNHZ5P3GSSSNJ3DMEOJF7BMCCPZR3 1405
org,archive)/ 19980109140106 http://archive.org:80/ text/html 200 XAHDNHZ5P3GSSSNJ3DMEOJF7BMCCPZR3 1402

org%2Carchive%29%2F+19980109140106%21
"""  # noqa: E501


def _archive_org(ts: str, original: str, digest: str, length: int) -> Capture:
    return Capture(
        timestamp=ts,
        original=original,
        urlkey="org,archive)/",
        mimetype="text/html",
        status="200",
        digest=digest,
        length=length,
    )


README_CAPTURES = (
    _archive_org(
        "19970126045828",
        "http://www.archive.org:80/",
        "Q4YULN754FHV2U6Q5JUT6Q2P57WEWNNY",
        1415,
    ),
    _archive_org(
        "19971011050034",
        "http://www.archive.org:80/",
        "XAHDNHZ5P3GSSSNJ3DMEOJF7BMCCPZR3",
        1402,
    ),
    _archive_org(
        "19971211122953",
        "http://www.archive.org:80/",
        "XAHDNHZ5P3GSSSNJ3DMEOJF7BMCCPZR3",
        1405,
    ),
    _archive_org(
        "19980109140106",
        "http://archive.org:80/",
        "XAHDNHZ5P3GSSSNJ3DMEOJF7BMCCPZR3",
        1402,
    ),
)
README_KEY = "org%2Carchive%29%2F+19980109140106%21"


def _fixture_capture(row: dict) -> Capture:
    return Capture(
        timestamp=row["timestamp"],
        original=row["original"],
        urlkey=row["urlkey"],
        mimetype=row["mimetype"],
        status=row["statuscode"],
        digest=row["digest"],
        length=int(row["length"]),
    )


def test_json_form_with_resume_key_drops_the_repeated_row():
    assert parse_cdx_page(README_JSON) == CDXPage(
        captures=README_CAPTURES, resume_key=README_KEY
    )


def test_text_form_with_resume_key_drops_the_repeated_row():
    assert parse_cdx_page(README_TEXT) == CDXPage(
        captures=README_CAPTURES, resume_key=README_KEY
    )


def test_json_form_of_the_whole_dev_index():
    header = list(CDX_FIELDS)
    body = [header] + [[r[f] for f in CDX_FIELDS] for r in ROWS]
    page = parse_cdx_page(json.dumps(body).encode())
    assert page == CDXPage(
        captures=tuple(_fixture_capture(r) for r in ROWS), resume_key=None
    )


def test_json_columns_are_read_by_header_name():
    body = json.dumps(
        [
            ["original", "timestamp", "statuscode", "length", "digest"],
            ["http://www.ise.gov/blog", "20111007221405", "-", "-", "ITTB"],
        ]
    ).encode()
    assert parse_cdx_page(body).captures == (
        Capture(
            timestamp="20111007221405",
            original="http://www.ise.gov/blog",
            status="-",
            digest="ITTB",
            length=None,
        ),
    )


@pytest.mark.parametrize(
    "body",
    [b"", b"   \n", b"[]", b'[["urlkey","timestamp","original"]]', b"\n\n"],
    ids=["empty", "blank", "json-empty", "json-header-only", "newlines"],
)
def test_empty_answers_have_no_rows_and_no_key(body):
    assert parse_cdx_page(body) == CDXPage(captures=(), resume_key=None)


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><body>504 Gateway Time-out</body></html>",
        b"\n  <html><head><title>Wayback Machine</title></head></html>",
        b"[[1, 2], [3",
        b'{"error": "bad"',
        b'["urlkey", "timestamp"]',
        b'[["urlkey","mimetype"],["a","b"]]',
        b"this is not an index\n",
    ],
    ids=[
        "html-504",
        "html-page",
        "broken-json",
        "broken-ndjson",
        "json-not-rows",
        "json-no-timestamp",
        "garbage-text",
    ],
)
def test_non_index_answers_raise_cdx_error(body):
    with pytest.raises(CDXError):
        parse_cdx_page(body)


def test_pywb_ndjson_with_its_field_names():
    body = (
        b'{"urlkey": "gov,ise)/blog", "timestamp": "20111007221405", '
        b'"url": "http://www.ise.gov/blog", "mime": "text/html", "status": "200", '
        b'"digest": "ITTB", "length": "15506"}\n'
        b'{"urlkey": "gov,ise)/blog", "timestamp": "20111007221405", '
        b'"url": "http://www.ise.gov/blog", "mime": "text/html", "status": "200", '
        b'"digest": "ITTB", "length": "15506"}\n'
    )
    assert parse_cdx_page(body) == CDXPage(
        captures=(
            Capture(
                timestamp="20111007221405",
                original="http://www.ise.gov/blog",
                urlkey="gov,ise)/blog",
                mimetype="text/html",
                status="200",
                digest="ITTB",
                length=15506,
            ),
        ),
        resume_key=None,
    )


def test_gzipped_answer_is_read():
    assert parse_cdx_page(gzip.compress(README_JSON)).resume_key == README_KEY


def test_malformed_rows_are_dropped_not_fatal(caplog):
    body = json.dumps(
        [
            ["timestamp", "original", "statuscode"],
            ["2011100612345x", "http://www.ise.gov/blog", "200"],
            ["20111006123456", "http://www.ise.gov/blog", "200", "extra"],
            ["20111006123456", "http://www.ise.gov/blog", "200"],
        ]
    ).encode()
    assert parse_cdx_page(body).captures == (
        Capture(
            timestamp="20111006123456", original="http://www.ise.gov/blog", status="200"
        ),
    )
    assert [r.levelname for r in caplog.records] == ["WARNING", "WARNING"]


def test_query_url_is_exact_and_repeats_filters():
    query = CDXQuery(
        url="ise.gov/blog",
        from_ts="2011",
        to_ts="2012",
        limit=100,
        filters=("!mimetype:image/.*", "!statuscode:5.."),
        collapse="digest",
    )
    assert cdx_query_url("https://web.archive.org/", query) == (
        "https://web.archive.org/cdx/search/cdx?url=ise.gov/blog&matchType=prefix"
        "&from=2011&to=2012&filter=!mimetype:image/.*&filter=!statuscode:5.."
        "&collapse=digest"
        "&fl=urlkey,timestamp,original,mimetype,statuscode,digest,length"
        "&output=json&limit=100&showResumeKey=true"
    )


@pytest.mark.parametrize(
    "changes",
    [
        {
            "filters": (
                "!statuscode:5..",
                "~original:.*feed.*",
                "!!mime:x",
                "status:2..",
            )
        },
        {"collapse": "digest"},
        {"collapse": "timestamp:8"},
        {"collapse": "urlkey"},
    ],
)
def test_filters_and_collapse_over_cdx_fields_are_accepted(changes):
    assert CDXQuery(url="ise.gov/blog", **changes)


@pytest.mark.parametrize(
    "changes",
    [
        {"filters": ("statuscode",)},  # no pattern
        {"filters": ("colour:red",)},  # not a field
        {"filters": (":200",)},
        {"collapse": "digest,timestamp"},  # one field only
        {"collapse": "timestamp:x"},
        {"collapse": "colour"},
    ],
)
def test_filters_and_collapse_that_no_server_reads_are_refused(changes):
    """A typo would otherwise be sent to the server, which ignores or 400s it."""
    with pytest.raises(ValueError, match="over a CDX field"):
        CDXQuery(url="ise.gov/blog", **changes)


def test_query_url_encodes_what_must_be_encoded():
    query = CDXQuery(
        url="http://www.ise.gov/blog?page=2&x=1",
        match_type="exact",
        filters=("mimetype:text/html|application/rss\\+xml",),
    )
    url = cdx_query_url("http://127.0.0.1:8080", query)
    assert parse_qsl(urlsplit(url).query) == [
        ("url", "http://www.ise.gov/blog?page=2&x=1"),
        ("matchType", "exact"),
        ("filter", "mimetype:text/html|application/rss\\+xml"),
        ("fl", ",".join(CDX_FIELDS)),
        ("output", "json"),
        ("limit", "5000"),
        ("showResumeKey", "true"),
    ]


def test_resume_key_goes_back_as_the_value_the_server_decodes_twice():
    url = cdx_query_url(
        "https://web.archive.org", exact_query("archive.org"), resume_key=README_KEY
    )
    # the servlet decodes the parameter: the key as printed ...
    value = parse_qsl(urlsplit(url).query)[-1]
    assert value == ("resumeKey", README_KEY)
    # ... and createBoundedCdxIterator decodes it again: the search key
    assert unquote_plus(value[1]) == "org,archive)/ 19980109140106!"


def test_resume_key_with_percent_in_the_urlkey_reaches_the_server_unchanged():
    # gov,ise)/blog/joe-laporte/officer-safety-indian-country-%e2%80%93-... as the
    # Java server prints it (URLEncoder: % -> %25, space -> +).
    key = "gov%2Cise%29%2Fblog%2Fjoe-laporte%2Fx-%25e2%2580%2593-y+20111002193347%21"
    url = cdx_query_url(
        "https://web.archive.org", exact_query("ise.gov/blog"), resume_key=key
    )
    value = dict(parse_qsl(urlsplit(url).query))["resumeKey"]
    assert unquote_plus(value) == (
        "gov,ise)/blog/joe-laporte/x-%e2%80%93-y 20111002193347!"
    )


@pytest.mark.parametrize(
    "key",
    [
        README_KEY,
        "gov%2Cise%29%2Fblog%2Fjoe-laporte%2Fx-%25e2%2580%2593-y+20111002193347%21",
    ],
)
def test_a_stored_answer_is_found_whichever_version_sent_its_resume_key(key):
    base = "https://web.archive.org/cdx/search/cdx?url=ise.gov/blog&from=2011"
    # versions before sent the printed key as it was, encoded the same way
    earlier = f"{base}&resumeKey={quote_plus(unquote_plus(key), safe='*')}"
    now = cdx_query_url("https://web.archive.org", CDXQuery(url="x"), key)
    now_key = now.split("&resumeKey=")[1]
    assert cdx_query_key(earlier) == cdx_query_key(f"{base}&resumeKey={now_key}")
    assert cdx_query_key(earlier) != cdx_query_key(base)
    assert describe_cdx_query(f"{base}&resumeKey={now_key}") == (
        f"url=ise.gov/blog from=2011 resumeKey={unquote_plus(key)} (web.archive.org)"
    )


@pytest.mark.parametrize(
    ("base", "endpoint"),
    [
        ("https://web.archive.org", "https://web.archive.org/cdx/search/cdx"),
        ("https://web.archive.org/", "https://web.archive.org/cdx/search/cdx"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765/cdx/search/cdx"),
        ("http://host/cdx/search/cdx", "http://host/cdx/search/cdx"),
        ("http://host/my-coll/cdx", "http://host/my-coll/cdx"),
    ],
)
def test_endpoint(base, endpoint):
    assert cdx_endpoint(base) == endpoint


@pytest.mark.parametrize(
    "kwargs",
    [
        {"url": ""},
        {"url": "ise.gov", "match_type": "regex"},
        {"url": "ise.gov", "from_ts": "2011-01"},
        {"url": "ise.gov", "to_ts": "201101011200000"},
        {"url": "ise.gov", "limit": 0},
    ],
)
def test_bad_queries_are_refused(kwargs):
    with pytest.raises(ValueError):
        CDXQuery(**kwargs)


def test_discovery_queries_are_bounded_windows_per_prefix():
    queries = discovery_queries(
        prefixes=("ise.gov/blog", "ise.gov/node/"),
        from_year=2010,
        to_year=2014,
        window_years=2,
        limit=1000,
    )
    assert queries == [
        CDXQuery(
            url=prefix,
            from_ts=start,
            to_ts=end,
            limit=1000,
            filters=DEFAULT_FILTERS,
        )
        for prefix in ("ise.gov/blog", "ise.gov/node/")
        for start, end in (("2010", "2011"), ("2012", "2013"), ("2014", "2014"))
    ]


def test_default_discovery_covers_every_dev_post_and_print_row():
    # SURT keys: every host/scheme/port spelling of a row shares its urlkey path.
    paths = [
        r["urlkey"].split(")", 1)[1]
        for r in ROWS
        if r["kind"] in ("post", "print", "feed", "listing")
        or r["variant"] == "redirect"
    ]
    prefixes = [p.removeprefix("ise.gov") for p in DEFAULT_PREFIXES]
    assert [p for p in paths if not p.startswith(tuple(prefixes))] == []


@pytest.mark.parametrize(
    ("from_year", "to_year", "window"), [(2012, 2011, 1), (2010, 2011, 0)]
)
def test_discovery_queries_refuse_bad_windows(from_year, to_year, window):
    with pytest.raises(ValueError):
        discovery_queries(from_year=from_year, to_year=to_year, window_years=window)


def test_exact_query_drops_the_fragment_and_filters():
    assert exact_query("http://www.ise.gov/blog/a/b#comments") == CDXQuery(
        url="http://www.ise.gov/blog/a/b", match_type="exact"
    )


def test_an_empty_answer_to_a_resume_request_is_a_bad_answer():
    """The page before promised more rows; the server prints its form even when
    it has none left (``[]``, a header row), never nothing."""
    with pytest.raises(CDXError, match="resume request is empty"):
        parse_cdx_page(b" \n", resumed=True)
    assert parse_cdx_page(b"", resumed=False) == CDXPage(captures=(), resume_key=None)
    header_only = json.dumps([list(CDX_FIELDS)]).encode()
    for body in (b"[]", header_only):
        assert parse_cdx_page(body, resumed=True) == CDXPage(
            captures=(), resume_key=None
        )
