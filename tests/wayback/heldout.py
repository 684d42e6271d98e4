"""Held-out-like corpora: the unseen-layout pages as the newest captures of posts.

The evaluation crawls a corpus in the dev format (``index.jsonl`` + ``captures/`` +
``gold/``) with other posts and at least one page layout the dev corpus lacks. This
module assembles such a corpus in a directory from the hand-made unseen pages
(``tests/fixtures/unseen/`` and ``tests/fixtures/unseen-blind/``), so an end-to-end
test can crawl what the evaluation will crawl (tests/e2e/test_heldout_like.py).

Each unseen page of a post becomes that post's newest full-page capture; the dev
corpus supplies the rest of the site around it, older than the page: earlier captures
of the same post in the known d7 templates (so selection has to choose), print copies,
301s, revisits, listings, feeds, the ``/node/N`` 302, tag and user pages, a 404 and a
soft 404. Around every unseen page it adds what the live index holds for a post:
the same bytes under another spelling of the URL (``:80``, ``ise.gov`` without www,
``https``, a trailing ``?``, mixed case), a revisit row of it, and a ``/node/<nid>``
302 to the post. A USWDS listing, "Page not found" page and "Access denied" page
complete the 2016 site. The gold records are the pages' expected values, in the dev
gold format; a post left without an unseen page keeps its dev gold.

Rows are CDX rows as the dev corpus writes them: the SURT ``urlkey`` and the
``digest`` (base32 SHA-1 of the payload) are computed by :mod:`tests.wayback.archive`,
so :meth:`Archive.from_directory` serves the result unchanged.
"""

from __future__ import annotations

import gzip
import json
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from ise_archive.normalize.urls import canonical_post_url
from tests.wayback.archive import sha1_digest, surt_urlkey

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DEV = FIXTURES / "dev"
UNSEEN = FIXTURES / "unseen"
BLIND = FIXTURES / "unseen-blind"
UTF8 = "text/html; charset=utf-8"


@dataclass(frozen=True, slots=True, kw_only=True)
class Layout:
    """One unseen page, captured as the newest full page (or print copy) of a post.

    ``expected`` is the page's expected-values file (``unseen/<name>.json`` or
    ``unseen-blind/expected/<name>.json``); ``spelling`` is the other URL form the
    same bytes were also captured under, a day later.
    """

    page: Path
    expected: Path
    original: str
    timestamp: str
    content_type: str = UTF8
    spelling: str = "port80"


@dataclass(frozen=True, slots=True)
class ExpectedPost:
    """What a perfect crawl writes for one post, and which capture it reads."""

    gold: dict[str, Any]
    timestamp: str
    original: str
    payload: bytes
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class HeldoutCorpus:
    root: Path
    posts: dict[str, ExpectedPost]
    #: capture keys ``"<timestamp> <original>"`` that must never be fetched
    never_fetched: frozenset[str] = field(default_factory=frozenset)


def _u(name: str) -> tuple[Path, Path]:
    return UNSEEN / f"{name}.html", UNSEEN / f"{name}.json"


def _b(name: str) -> tuple[Path, Path]:
    return BLIND / "pages" / f"{name}.html", BLIND / "expected" / f"{name}.json"


_BLOG = "http://www.ise.gov/blog/"
_FIVE = "kshemendra-paul/five-years-ise-blog%E2%80%94and-what%E2%80%99s-next"
_PRIVACY = "renee-caldwell/privacy-civil-rights-and-civil-liberties-building-trust-"
_PRIVACY += "every-exchange"
_OFFICER = "joe-laporte/officer-safety-indian-country-%E2%80%93-reversing-deadly-trend"


def _layout(pages: tuple[Path, Path], original: str, ts: str, **kw: str) -> Layout:
    return Layout(
        page=pages[0], expected=pages[1], original=original, timestamp=ts, **kw
    )


#: The unseen/ pages; Inside the 2013 Annual Report has none and stays in d7-2014.
UNSEEN_LAYOUTS = (
    _layout(_u("byline-below-2011"), _BLOG + _OFFICER, "20111105093012"),
    _layout(
        _u("d6-table-2010-cp1252"),
        "http://ise.gov/blog/ise-bloggers/welcome-ise-blog",
        "20101015080102",
        content_type="text/html",  # windows-1252 bytes, the header names no charset
        spelling="www-https",
    ),
    _layout(
        _u("d8-bootstrap-2016"),
        "https://www.ise.gov/blog/" + _PRIVACY,
        "20160412101500",
        spelling="query",
    ),
    _layout(
        _u("hatom-2012"),
        _BLOG + "ise-bloggers/guest-post-what-rural-sheriffs-need-fusion-centers?",
        "20120701120000",
    ),
    _layout(
        _u("microdata-2013"),
        _BLOG + "ise-bloggers/after-boston-how-information-sharing-supported-"
        "marathon-response",
        "20130601101010",
        spelling="mixed-case",
    ),
    _layout(
        _u("mobile-og-2013"),
        _BLOG + "tamara-wells/niem-30-here-what%E2%80%99s-new-implementers"
        "?device=mobile",
        "20131201083000",
    ),
    _layout(
        _u("static-mirror-2017"),
        "https://www.ise.gov/blog/ise-bloggers/social-media-and-law-enforcement-"
        "tweeting-front-line",
        "20170305120000",
        spelling="no-www",
    ),
    # two unseen layouts of one post: the older (text-only, windows-1252 bytes
    # declared ISO-8859-1) must lose to the newer USWDS page without being fetched
    _layout(
        _u("textonly-2015-cp1252"),
        _BLOG + _FIVE + "?theme=textonly",
        "20150701101500",
        content_type="text/html; charset=ISO-8859-1",
    ),
    _layout(_u("uswds-d7-2016"), "https://www.ise.gov/blog/" + _FIVE, "20160920140000"),
    _layout(
        _u("wordpress-mirror-2017"),
        _BLOG + "marcus-delgado/cyber-threat-information-sharing-who-does-what",
        "20170210090000",
        spelling="query",
    ),
)

#: The blind pages (written without reading the extractor), one per dev post.
BLIND_LAYOUTS = (
    _layout(
        _b("a-omega-2013"),
        _BLOG + "ise-bloggers/after-boston-how-information-sharing-supported-"
        "marathon-response",
        "20130511083015",
    ),
    _layout(
        _b("b-final-2017"),
        "https://www.ise.gov/blog/kshemendra-paul/inside-2013-annual-report-congress",
        "20170303101544",
        content_type="text/html; charset=UTF-8",
        spelling="no-www",
    ),
    _layout(
        _b("c-bartik-2013"),
        _BLOG + "tamara-wells/niem-30-here-what%E2%80%99s-new-implementers",
        "20131203154410",
        spelling="mixed-case",
    ),
    # a Drupal 6 print copy, under the print module's short /print/<nid> form, is
    # the only capture of the post: only its "Source URL" names the post
    _layout(
        _b("d-print-d6-2010"),
        "http://www.ise.gov/print/1043",
        "20100702143122",
    ),
    _layout(
        _b("e-amp-2016"),
        "https://www.ise.gov/blog/marcus-delgado/cyber-threat-information-sharing-"
        "who-does-what?amp",
        "20161109201533",
    ),
    _layout(
        _b("f-legacy-table-2011"),
        "http://ise.gov/blog/ise-bloggers/social-media-and-law-enforcement-"
        "tweeting-front-line",
        "20111019221407",
        spelling="www-query",
    ),
    _layout(
        _b("g-responses-2012"),
        _BLOG + "ise-bloggers/guest-post-what-rural-sheriffs-need-fusion-centers",
        "20120603120933",
    ),
    _layout(
        _b("h-latin1-2011"),
        _BLOG + _OFFICER,
        "20111115064502",
        content_type="text/html; charset=ISO-8859-1",
        spelling="query",
    ),
    # captured on m.ise.gov, which no ise.gov/blog prefix query lists; the site
    # served the same rendering to the crawler under www as well
    _layout(
        _b("i-mobile-2014"), _BLOG + _PRIVACY, "20140402110758", spelling="mixed-case"
    ),
    _layout(_b("j-omega4-2015"), "https://www.ise.gov/blog/" + _FIVE, "20150619031122"),
)

CORPORA = {"unseen": UNSEEN_LAYOUTS, "blind": BLIND_LAYOUTS}

#: 2016 USWDS site pages that are not posts: (page, original, timestamp)
_USWDS_EXTRAS = (
    ("uswds-listing-2016", "https://www.ise.gov/blog", "20161002101010"),
    ("uswds-listing-2016", "http://www.ise.gov/ise-blog", "20161002101500"),
    (
        "uswds-404-2016",
        "https://www.ise.gov/blog/kshemendra-paul/five-years-ise-blog",
        "20161003090000",
    ),
    (
        "uswds-403-2016",
        "https://www.ise.gov/blog/ise-bloggers/partner-workspace-update",
        "20161004090000",
    ),
)


def build_corpus(root: Path, name: str) -> HeldoutCorpus:
    """Write corpus ``name`` (a key of :data:`CORPORA`) into ``root``."""
    layouts = CORPORA[name]
    root.mkdir(parents=True, exist_ok=True)
    (root / "captures").mkdir(exist_ok=True)
    (root / "replay").mkdir(exist_ok=True)
    dev_rows = [
        json.loads(line)
        for line in (DEV / "index.jsonl").read_text("utf-8").splitlines()
    ]
    dev_gold = _dev_gold()
    newest: dict[str, Layout] = {}
    for layout in layouts:
        url = _post_url(layout)
        if url not in newest or layout.timestamp > newest[url].timestamp:
            newest[url] = layout
    rows = [r for r in dev_rows if _keep_dev_row(r, newest)]
    for row in rows:
        for sub, ext in (("captures", "bin"), ("replay", "html")):
            source = DEV / sub / f"{row['cid']}.{ext}"
            if source.is_file():
                shutil.copyfile(source, root / sub / f"{row['cid']}.{ext}")
    writer = _RowWriter(root, rows)
    nids = _dev_node_ids(dev_rows)
    posts: dict[str, ExpectedPost] = {}
    never: set[str] = set()
    for layout in layouts:
        url = _post_url(layout)
        payload = layout.page.read_bytes()
        kind = "print" if "/print/" in layout.original else "post"
        headers = _headers(layout.timestamp, layout.content_type)
        writer.add(layout.original, layout.timestamp, payload, headers, kind, url)
        if newest[url] is not layout:
            never.add(f"{layout.timestamp} {layout.original}")
            continue
        posts[url] = ExpectedPost(
            gold=_gold(url, json.loads(layout.expected.read_text("utf-8"))),
            timestamp=layout.timestamp,
            original=layout.original,
            payload=payload,
            headers=headers,
        )
        if kind == "print":
            continue
        later = _shift(layout.timestamp, days=1)
        writer.add(
            _respell(layout.original, layout.spelling),
            later,
            payload,
            _headers(later, layout.content_type),
            kind,
            url,
        )
        revisit = _shift(layout.timestamp, days=30)
        writer.add(
            layout.original,
            revisit,
            payload,
            _headers(revisit, layout.content_type),
            kind,
            url,
            revisit=True,
        )
        if url in nids:
            moved = _shift(layout.timestamp, days=2)
            writer.add(
                f"http://www.ise.gov/node/{nids[url]}",
                moved,
                b"",
                {**_headers(moved, "text/html; charset=iso-8859-1"), "Location": url},
                "other",
                url,
                status="302",
                location=url,
            )
    for page, original, timestamp in _USWDS_EXTRAS:
        body = (UNSEEN / f"{page}.html").read_bytes()
        writer.add(original, timestamp, body, _headers(timestamp, UTF8), "other", None)
    for url, gold in dev_gold.items():
        if url not in posts:
            posts[url] = _dev_expected(url, gold, rows)
    writer.write()
    gold_dir = root / "gold"
    for url, expected in posts.items():
        post_id = url.removeprefix(_BLOG)
        path = gold_dir / f"{post_id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(
            {"post_id": post_id, **expected.gold}, ensure_ascii=False, indent=2
        )
        path.write_text(text + "\n", encoding="utf-8")
    return HeldoutCorpus(root, posts, frozenset(never))


class _RowWriter:
    def __init__(self, root: Path, rows: list[dict[str, Any]]) -> None:
        self.root = root
        self.rows = list(rows)
        self.count = 0

    def add(
        self,
        original: str,
        timestamp: str,
        payload: bytes,
        headers: dict[str, str],
        kind: str,
        post_url: str | None,
        *,
        status: str = "200",
        revisit: bool = False,
        location: str | None = None,
    ) -> None:
        self.count += 1
        cid = f"h{self.count:04d}"
        (self.root / "captures" / f"{cid}.bin").write_bytes(payload)
        self.rows.append(
            {
                "cid": cid,
                "urlkey": surt_urlkey(original),
                "timestamp": timestamp,
                "original": original,
                "mimetype": "warc/revisit" if revisit else "text/html",
                "statuscode": "-" if revisit else status,
                "digest": sha1_digest(payload),
                "length": str(len(gzip.compress(payload, mtime=0)) + 300),
                "headers": headers,
                "location": location,
                "kind": kind,
                "post_id": post_url.removeprefix(_BLOG) if post_url else None,
                "variant": "revisit"
                if revisit
                else ("redirect" if location else "unseen"),
            }
        )

    def write(self) -> None:
        self.rows.sort(key=lambda r: (r["urlkey"], r["timestamp"]))
        with (self.root / "index.jsonl").open("w", encoding="utf-8") as index:
            for row in self.rows:
                index.write(json.dumps(row, ensure_ascii=False) + "\n")


def _post_url(layout: Layout) -> str:
    """The post a layout's capture shows: from its URL, or (a ``/print/<nid>``
    capture) from its expected values."""
    url = canonical_post_url(layout.original)
    if url is None:
        data = json.loads(layout.expected.read_text("utf-8"))
        url = data.get("url") or data.get("expected", {}).get("url")
    assert url is not None, layout.original
    return url


def _row_post_url(row: dict[str, Any]) -> str | None:
    if row.get("post_id"):
        return _BLOG + row["post_id"]
    return canonical_post_url(row["original"]) or canonical_post_url(
        row.get("location") or ""
    )


def _keep_dev_row(row: dict[str, Any], newest: dict[str, Layout]) -> bool:
    """Dev rows of a post survive only when older than its unseen page; a post whose
    unseen page is a print copy keeps no dev capture (a full page would win)."""
    url = _row_post_url(row)
    if url is None or url not in newest:
        return True
    layout = newest[url]
    if "/print/" in layout.original:
        return False
    return row["timestamp"] < layout.timestamp


def _dev_gold() -> dict[str, dict[str, Any]]:
    gold = {}
    for path in sorted((DEV / "gold").glob("*/*.json")):
        data = json.loads(path.read_text("utf-8"))
        data.pop("post_id")
        gold[data["url"]] = data
    return gold


def _dev_node_ids(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Post URL -> node id, from the shortlinks in the dev captures' Link headers."""
    nids = {}
    for row in rows:
        link = (row.get("headers") or {}).get("Link", "")
        if "shortlink" in link and row.get("post_id"):
            nid = link.split("/node/", 1)[1].split(">", 1)[0]
            nids[_BLOG + row["post_id"]] = int(nid)
    return nids


def _dev_expected(url: str, gold: dict[str, Any], rows: list[dict]) -> ExpectedPost:
    pages = [
        r
        for r in rows
        if _row_post_url(r) == url and r["kind"] == "post" and r["statuscode"] == "200"
    ]
    row = max(pages, key=lambda r: r["timestamp"])
    payload = (DEV / "captures" / f"{row['cid']}.bin").read_bytes()
    return ExpectedPost(
        gold, row["timestamp"], row["original"], payload, dict(row["headers"])
    )


def _gold(url: str, case: dict[str, Any]) -> dict[str, Any]:
    """The dev gold record of an unseen page's expected values."""
    if "expected" in case:  # unseen-blind/expected/*.json
        expected = case["expected"]
        images = expected["images"]
    else:  # unseen/*.json
        expected = case["fields"]
        images = [image["url"] for image in expected["images"]]
    return {
        "url": url,
        "title": expected["title"],
        "author": expected["author"],
        "published": expected["published"],
        "tags": [tag["name"] for tag in expected["tags"]],
        "tag_urls": [tag["url"] for tag in expected["tags"]],
        "body_text": expected["body_text"],
        "body_links": expected["body_links"],
        "related": expected["related"],
        "images": images,
    }


def _headers(timestamp: str, content_type: str) -> dict[str, str]:
    when = datetime.strptime(timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    return {
        "Date": format_datetime(when, usegmt=True),
        "Server": "Apache",
        "Content-Type": content_type,
    }


def _shift(timestamp: str, *, days: int) -> str:
    when = datetime.strptime(timestamp, "%Y%m%d%H%M%S") + timedelta(days=days)
    return when.strftime("%Y%m%d%H%M%S")


def _respell(original: str, spelling: str) -> str:
    """Another form of the same address, as the live index lists them."""
    scheme, rest = original.split("://", 1)
    host, _, path = rest.partition("/")
    path = path.split("?", 1)[0]
    if spelling == "port80":
        return f"http://{host}:80/{path}"
    if spelling == "no-www":
        return f"{scheme}://ise.gov/{path}"
    if spelling == "www-https":
        return f"https://www.ise.gov/{path}"
    if spelling == "query":
        return f"{scheme}://{host}/{path}?"
    if spelling == "www-query":
        return f"http://www.ise.gov/{path}?"
    if spelling == "mixed-case":
        parts = path.split("/")
        parts[1] = "-".join(word.capitalize() for word in parts[1].split("-"))
        return f"{scheme}://{host}/{'/'.join(parts)}"
    raise ValueError(f"unknown spelling {spelling!r}")
