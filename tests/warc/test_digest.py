"""CDX payload digests, checked on the real captures of the dev fixtures."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import pytest

import ise_archive.warc.digest
import ise_archive.warc.headers
import ise_archive.warc.reader
import ise_archive.warc.replay
import ise_archive.warc.wacz
import ise_archive.warc.writer
from ise_archive.warc.digest import payload_digest, same_digest

DEV = Path(__file__).resolve().parents[1] / "fixtures" / "dev"
ROWS = [json.loads(line) for line in (DEV / "index.jsonl").open(encoding="utf-8")]


@pytest.mark.parametrize(
    "row",
    [r for r in ROWS if (DEV / "captures" / f"{r['cid']}.bin").is_file()],
    ids=lambda r: f"{r['cid']}-{r['statuscode']}",
)
def test_wayback_digest_is_sha1_base32_of_the_raw_payload(row: dict) -> None:
    """Real Wayback rows (200s, redirects, revisits, a 404): the digest is the
    SHA-1 of the id_ payload, revisits carrying the digest of what they revisit."""
    payload = (DEV / "captures" / f"{row['cid']}.bin").read_bytes()
    assert same_digest(payload, row["digest"]) is True
    assert same_digest(payload + b" ", row["digest"]) is False
    assert payload_digest(payload) == "sha1:" + row["digest"]


@pytest.mark.parametrize(
    ("expected", "result"),
    [
        ("sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ", True),
        ("3i42h3s6nnfq2msvx7xzkyayscx5qbyj", True),
        ("da39a3ee5e6b4b0d3255bfef95601890afd80709", True),  # base16
        ("sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", False),
        ("", None),
        ("-", None),
        ("md5:d41d8cd98f00b204e9800998ecf8427e", None),
    ],
)
def test_digest_forms(expected: str, result: bool | None) -> None:
    assert same_digest(b"", expected) is result


@pytest.mark.parametrize(
    "module",
    [
        ise_archive.warc.digest,
        ise_archive.warc.headers,
        ise_archive.warc.reader,
        ise_archive.warc.replay,
        ise_archive.warc.wacz,
        ise_archive.warc.writer,
    ],
)
def test_doctests(module: object) -> None:
    failures, tried = doctest.testmod(module)  # type: ignore[arg-type]
    assert (failures, tried > 0) == (0, True)
