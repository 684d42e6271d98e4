"""Tests for ise_archive.dataset.card: what the card calls each archive."""

from __future__ import annotations

import doctest

import pytest

from ise_archive.dataset import card
from ise_archive.dataset.card import archive_title


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("https://web.archive.org", "Wayback Machine (Internet Archive)"),
        ("https://web.archive.org/web/", "Wayback Machine (Internet Archive)"),
        (
            "https://webarchive.library.unt.edu/eot2016",
            "pywb collection eot2016 at webarchive.library.unt.edu",
        ),
        (
            "http://127.0.0.1:8765",
            "Wayback-compatible archive on the crawling machine (127.0.0.1:8765), "
            "not the Internet Archive",
        ),
        (
            "pywb:http://localhost:9000/ise",
            "pywb collection on the crawling machine (localhost:9000), "
            "not the Internet Archive",
        ),
        (
            "https://mirror.example.org",
            "Wayback-compatible archive at mirror.example.org",
        ),
    ],
)
def test_archive_title_says_what_the_archive_is(url: str, title: str) -> None:
    assert archive_title(url) == title


def test_card_examples_hold() -> None:
    assert doctest.testmod(card).failed == 0
