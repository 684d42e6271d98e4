"""The dataset's self-description: ``README.md`` (the card), ``datapackage.json``.

Both are rendered from the run's counts and the shipped record schema only, never from
the clock, so an unchanged dataset gets byte-identical descriptions. The card follows
the Hugging Face dataset-card layout (YAML header, then prose); the data package
follows the Frictionless Data Package standard, so ``frictionless validate
datapackage.json`` checks every record's types and the integrity of ``records.jsonl``.
This module renders text; :mod:`ise_archive.dataset.writer` writes it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from ise_archive.archive.archives import parse_archive
from ise_archive.dataset.paths import RECORDS_FILE, SCHEMA_FILE
from ise_archive.outcomes import OUTCOME_MEANINGS

PACKAGE_NAME = "ise-gov-blog"
PRETTY_NAME = "ISE Blog (ise.gov, 2005-2017) rescued from the Wayback Machine"
LICENSE_URL = "https://creativecommons.org/publicdomain/zero/1.0/"

# Table Schema type of each record field; nested values are JSON arrays/objects.
_TABLE_TYPES = {
    "nid": "integer",
    "word_count": "integer",
    "tags": "array",
    "related": "array",
    "images": "array",
    "links": "array",
    "captures": "array",
    "versions": "array",
    "sources": "array",
    "attachments": "array",
    "capture": "object",
}
_SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"))
_INTERNET_ARCHIVE_HOSTS = ("archive.org", "web.archive.org", "wayback.archive.org")
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "0.0.0.0")
_KIND_TITLES = {"wayback": "Wayback-compatible archive", "pywb": "pywb collection"}


def archive_title(base_url: str) -> str:
    """What the archive at ``base_url`` is, as a source title a reader can trust.

    >>> archive_title("https://web.archive.org")
    'Wayback Machine (Internet Archive)'
    >>> archive_title("https://webarchive.library.unt.edu/eot2016")
    'pywb collection eot2016 at webarchive.library.unt.edu'
    >>> archive_title("http://127.0.0.1:8765")
    'Wayback-compatible archive on the crawling machine (127.0.0.1:8765), not the \
Internet Archive'
    """
    try:
        archive = parse_archive(base_url)
    except ValueError:
        return f"archive at {base_url}"
    parts = urlsplit(archive.root)
    host = (parts.hostname or "").lower()
    if host in _LOCAL_HOSTS or host.startswith("127."):
        return (
            f"{_KIND_TITLES[archive.kind]} on the crawling machine ({parts.netloc}), "
            "not the Internet Archive"
        )
    if archive.kind == "pywb":
        return f"pywb collection {archive.name} at {parts.netloc}"
    if host in _INTERNET_ARCHIVE_HOSTS:
        return "Wayback Machine (Internet Archive)"
    return f"Wayback-compatible archive at {parts.netloc}"


def size_category(posts: int) -> str:
    """The Hugging Face ``size_categories`` value for ``posts`` records."""
    for limit, name in _SIZE_CATEGORIES:
        if posts < limit:
            return name
    return "100K<n<1M"


def render_datapackage(
    schema: Mapping[str, Any],
    *,
    records_sha256: str,
    records_size: int,
    source: str,
    archives: Sequence[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """The Frictionless descriptor: records.jsonl as a table, plus the JSON Schema."""
    properties = schema["properties"]
    fields = [
        {
            "name": name,
            "type": _TABLE_TYPES.get(name, "string"),
            "description": spec.get("description", ""),
        }
        for name, spec in properties.items()
    ]
    for field in fields:
        if field["name"] in ("url", "title", "kind"):
            field["constraints"] = {"required": True}
    records: dict[str, Any] = {
        "name": "records",
        "path": RECORDS_FILE,
        "format": "jsonl",
        "mediatype": "application/jsonl",
        "encoding": "utf-8",
        "hash": f"sha256:{records_sha256}",
        "bytes": records_size,
        "schema": {"fields": fields, "primaryKey": ["url"]},
    }
    if not records_size:  # Frictionless cannot read an empty JSON Lines table
        records["type"] = "file"
    return {
        "name": PACKAGE_NAME,
        "title": PRETTY_NAME,
        "description": schema["description"],
        "licenses": [
            {"name": "CC0-1.0", "path": LICENSE_URL, "title": "CC0 1.0 Universal"}
        ],
        "sources": [
            {
                "title": "Information Sharing Environment blog",
                "path": "http://www.ise.gov/blog",
            },
            *(
                {"title": a["title"], "path": a["url"]}
                for a in archives or [{"title": archive_title(source), "url": source}]
            ),
        ],
        "keywords": ["ise.gov", "information sharing", "web archive", "blog"],
        "resources": [
            records,
            {
                "name": "record-schema",
                "type": "file",
                "path": SCHEMA_FILE,
                "format": "json",
                "mediatype": "application/schema+json",
                "description": "JSON Schema (draft 2020-12) of a records.jsonl line.",
            },
        ],
    }


def render_card(
    counts: Mapping[str, Any],
    schema: Mapping[str, Any],
    *,
    tool: str,
    source: str,
    evidence: Sequence[str] = (),
    crawl: Mapping[str, Any] | None = None,
    archives: Sequence[Mapping[str, str]] = (),
) -> str:
    """The dataset card (``README.md``) for a dataset with these ``counts``.

    ``evidence`` lists the WARC and WACZ files kept with it (none: no section);
    ``crawl`` is the manifest's ``crawl`` block (run id, UTC start, complete).
    """
    crawl = crawl or {}
    archives = archives or [{"title": archive_title(source), "url": source}]
    posts = int(counts["posts"])
    by_year = "\n".join(
        f"| {year} | {n} |" for year, n in sorted(counts["posts_by_year"].items())
    )
    fields = "\n".join(
        f"| `{name}` | {_one_line(spec.get('description', ''))} |"
        for name, spec in schema["properties"].items()
    )
    return _CARD.format(
        size=size_category(posts),
        pretty=PRETTY_NAME,
        posts=posts,
        captures=counts["captures"],
        versions=counts["versions"],
        changed=counts["posts_with_several_versions"],
        partial=counts.get("posts_partial", 0),
        undated=counts["posts_by_year"].get("undated", 0),
        by_year=by_year or "| - | 0 |",
        fields=fields,
        tool=tool,
        source=source,
        this_copy=_this_copy(tool, crawl, archives),
        archive_titles=", ".join(f"{a['title']} (`{a['url']}`)" for a in archives),
        outcomes="\n".join(
            f"| `{name}` | {_one_line(meaning)} |" for name, meaning in OUTCOME_MEANINGS
        ),
        records=RECORDS_FILE,
        schema_file=SCHEMA_FILE,
        evidence=_evidence_section(evidence),
    )


def _evidence_section(files: Sequence[str]) -> str:
    if not files:
        return ""
    warcs = sum(1 for name in files if name.endswith(".warc.gz"))
    return _EVIDENCE.format(warcs=warcs)


_EVIDENCE = """\
## Evidence: WARC and WACZ

What the archive served is kept next to what was extracted from it:

- `warc/*.warc.gz` ({warcs} files, WARC/1.1, gzip per record): one `response` record
  per fetched capture, saying what the *original* server answered at capture time
  (`WARC-Target-URI` = the original URL, `WARC-Date` = the capture time, the original
  status line and headers, the payload exactly as the archive replayed it raw,
  `WARC-Payload-Digest`, and the archive URL it came from in `WARC-Source-URI`), plus
  the archive's own answers the crawl acted on (CDX pages, redirects), marked
  `ISE-Archive-Role: cdx|archive`. The rescued images and files of `files/` are
  there too, as the archive served them (`ISE-Archive-Role: file`). A page or file
  refused as too large while downloading keeps only the archive's status and
  headers (`WARC-Truncated: length`, no payload). Each run adds its own files
  (`ise-archive-<run>-<n>.warc.gz`); earlier files never change.
- In `records.jsonl`, each fetched capture in `captures` names its record
  (`warc: {{filename, offset}}`) and whether its payload matched the archive's CDX
  digest (`verified`); each rescued attachment names its record the same way
  (`attachments[].warc`). A capture whose bytes differed twice is
  `failed:digest-mismatch`: kept in the WARC, never used for a record.
- `ise-archive.wacz`: the same WARC files packaged with their index and a list of the
  post captures the records use, with titles. Open it in
  [ReplayWeb.page](https://replayweb.page) (drop the file on the page) or in pywb
  (`wb-manager init ise && wb-manager add --unpack-wacz ise ise-archive.wacz &&
  wayback`) to read each post as it was served.

Check and rebuild with the `ise-archive` command:

- `ise-archive verify .` re-hashes every WARC record against its digests and every
  file against `manifest.json`, and checks each rescued file against its WARC
  record; it prints each mismatch and exits 1.
- `ise-archive rebuild . --out DIR` re-runs the whole crawl offline from the WARC
  files, with the installed extractor, and writes the dataset into DIR: with the same
  version of ise-archive, `records.jsonl`, `posts/`, `files/` and the manifest
  entries come out byte for byte the same.

"""


def _this_copy(
    tool: str, crawl: Mapping[str, Any], archives: Sequence[Mapping[str, str]]
) -> str:
    """The card's "This copy" list: when, with what, from where, and if complete."""
    if crawl.get("complete", True):
        state = "**complete**: the run that wrote it processed every capture it listed"
    else:
        reason = crawl.get("incomplete_reason") or "reason not recorded"
        state = (
            f"**incomplete**: the run that wrote it did not finish ({reason}); posts "
            "may be missing. Running the crawl again completes it"
        )
    lines = [
        f"- crawled: {crawl.get('started') or 'time not recorded'} (UTC, start of "
        f"run `{crawl.get('run_id') or '-'}`)",
        f"- tool: ise-archive {tool}",
        "- archives: " + "; ".join(f"{a['title']}, `{a['url']}`" for a in archives),
        f"- {state}",
    ]
    return "\n".join(lines)


def dumps_json(data: Any) -> bytes:
    """Deterministic pretty JSON: sorted keys, UTF-8 kept, no NaN, final newline."""
    text = json.dumps(
        data, ensure_ascii=False, allow_nan=False, sort_keys=True, indent=2
    )
    return (text + "\n").encode("utf-8")


def _one_line(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


_CARD = """\
---
license: cc0-1.0
language:
- en
pretty_name: "{pretty}"
size_categories:
- {size}
tags:
- government
- us-government
- blog
- web-archive
- wayback-machine
- information-sharing
configs:
- config_name: default
  data_files:
  - split: train
    path: {records}
---

# {pretty}

The blog of the US Information Sharing Environment (ise.gov, run by the Office of the
Program Manager for the ISE), published 2005-2017 and offline since, rebuilt from the
Wayback Machine: one record per post with its text as Markdown, its metadata and the
provenance of every archived copy.

## This copy

{this_copy}

## Counts

- posts: {posts} (undated: {undated})
- of which known only from feeds and listings (`completeness: "partial"`): {partial}
- captures of those posts listed in `captures`: {captures}
- distinct contents listed in `versions`: {versions} ({changed} posts changed between
  captures)

| year | posts |
|---|---|
{by_year}

## Layout

- `{records}`: one JSON object per line, one line per post, ordered by `published`
  then `url`; UTF-8.
- `posts/<yyyy>/<mm>/<slug>.md`: each post as Markdown with a YAML header (title,
  author, published, tags, url, archive_url, capture_timestamp); `posts/undated/`
  holds posts without a date.
- `{schema_file}`: JSON Schema (draft 2020-12) that every record validates against.
- `datapackage.json`: Frictionless Data Package (`frictionless validate
  datapackage.json`).
- `manifest.json`: tool version, the crawl (run id, UTC time, `complete`), the
  archives, run parameters, counts, and the SHA-256 and size of every other file
  (`ise-archive validate .` checks them).

{evidence}## Fields

| field | meaning |
|---|---|
{fields}

## Provenance

Source: {archive_titles}; the Wayback Machine holds the only surviving copies of
www.ise.gov. Every capture of a blog post URL (all host and scheme spellings,
`/node/<nid>` shortlinks, `/print/` copies) was fetched raw (`id_` mode, without the
archive's toolbar or link rewriting). Captures of one post are merged into one record:
the content comes from the newest complete full-page capture (a truncated or broken
capture loses to a complete one; a print page is used only when no full page
survives), and `capture` says which one. `captures` lists every capture seen and what
came of it; `versions` lists each distinct body text (SHA-256 and word count) with
the first and last capture that showed it.

A post that archived RSS feeds or blog listings name but whose own page no archive
holds still has a record, marked `completeness: "partial"`: its title, author, date,
tags and teaser text as those feeds and listings gave them, `sources` listing the
feed and listing captures, and no `captures`. Its Markdown file says so under the
title. A later run that finds a full page of the post replaces it.

### Capture outcomes

Each entry of `captures` has an `outcome`, what became of that capture:

| outcome | meaning |
|---|---|
{outcomes}

## How it was made

Made with ise-archive {tool}: CDX listing, raw capture fetch, extraction by page
template (Drupal 7 themes of 2011 and 2014, print pages, and a generic fallback),
Markdown rendering, then validation of every record against the schema before
writing. Re-running on the same archive gives a byte-identical dataset.

## Known gaps

- Only what the archives captured exists here: a post never captured, or whose only
  captures are broken, has at most a partial record from the feeds and listings
  that named it, and is missing when none did.
- Comments are not included. Images and attached files (reports, fact sheets,
  slides under `/sites/default/files/`) are rescued into `files/` when an archive
  holds them: `attachments` says, per post, which were saved (with their sha256)
  and which are missing and why (never archived, too large, failed); files linked
  from other sites are not rescued.
- `published` carries only the day when the captured page showed no time.
- Links in the text point at the original (dead) URLs; the Links list of each
  Markdown file, and `links[].archived_url` in the records, give each one's archived
  copy at the post's capture time. That URL is built, not checked: the archive
  redirects it to its nearest capture, or answers that it holds none (unless the
  crawl ran with ISE_ARCHIVE_CHECK_LINKS: then `links[].archived` says whether
  the archive's index lists a capture).

## License

The posts are works of the US federal government, which are not subject to copyright
in the United States (17 U.S.C. 105). `cc0-1.0` is the Hugging Face license id that
says the same for everyone else: the compilation, records and Markdown are dedicated
to the public domain under CC0 1.0. Guest posts signed by authors outside the federal
government may remain their authors' work; check the byline before reuse.

## Loading

```python
import json
posts = [json.loads(line) for line in open("{records}", encoding="utf-8")]
```

```python
import pandas as pd
posts = pd.read_json("{records}", lines=True)
```

```python
from datasets import load_dataset
posts = load_dataset("json", data_files="{records}", split="train")
```
"""
