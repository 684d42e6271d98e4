"""Tests for ise_archive.records (the records' own rules; their JSON is tested with
the dataset writer)."""

from __future__ import annotations

import pytest

from ise_archive.records import Capture


@pytest.mark.parametrize(
    ("digest", "known"),
    [
        ("-", ""),
        ("", ""),
        (" - ", ""),
        ("Q4YULN754FHV2U6Q5JUT6Q2P57WEWNNY", "Q4YULN754FHV2U6Q5JUT6Q2P57WEWNNY"),
        (
            "sha1:Q4YULN754FHV2U6Q5JUT6Q2P57WEWNNY",
            "sha1:Q4YULN754FHV2U6Q5JUT6Q2P57WEWNNY",
        ),
    ],
)
def test_a_row_without_a_digest_has_no_known_digest(digest: str, known: str) -> None:
    capture = Capture(timestamp="20110101000000", original="http://x", digest=digest)
    assert capture.known_digest == known
    assert capture.digest == digest  # the index's value stays as it was printed
