"""Tests for ise_archive.outcomes: reading capture outcome strings."""

from __future__ import annotations

import pytest

from ise_archive.outcomes import is_outcome, is_rechecked, is_retryable, outcome_class


@pytest.mark.parametrize(
    ("outcome", "retryable"),
    [
        ("failed:http-500", True),
        ("failed:archive-error:http-429", True),
        ("failed:connection-lost", True),
        ("failed:t-c-p-timed-out", True),
        ("failed:d-n-s-lookup", True),
        ("failed:response-never-received", True),
        ("failed:_-data-loss", True),
        ("failed:response-data-loss", True),
        ("failed:cannot-resolve-host", True),
        ("failed:blocked", True),
        ("failed:archive-error:blocked", False),
        ("failed:archive-error:not-archived", False),
        ("failed:truncated-capture", False),
        ("failed:redirect-loop", False),
        ("failed:not-h-t-m-l", False),
        ("failed:page-too-large", False),
        ("skip:http-503", False),
        ("record", False),
        (None, False),
    ],
)
def test_is_retryable(outcome, retryable):
    assert is_retryable(outcome) is retryable


@pytest.mark.parametrize(
    ("outcome", "rechecked"),
    [
        ("failed:archive-error:not-archived", True),
        ("failed:digest-mismatch", True),
        ("failed:http-404", False),
        ("failed:archive-error:blocked", False),
        ("failed:truncated-capture", False),
        ("skip:archive-error:not-archived", False),  # an archived page that says so
        ("record", False),
        (None, False),
    ],
)
def test_is_rechecked(outcome, rechecked):
    assert is_rechecked(outcome) is rechecked


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        ("record", "record"),
        ("duplicate", "duplicate"),
        ("skip:not-a-post:listing", "skip"),
        ("failed:http-503", "failed"),
        ("fetching", "pending"),
        (None, "pending"),
    ],
)
def test_outcome_class(outcome, expected):
    assert outcome_class(outcome) == expected


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("record", True),
        ("duplicate", True),
        ("fetching", True),
        ("skip:not-a-post:listing", True),
        ("failed:http-503", True),
        ("skip:", False),
        ("failed: x", False),
        ("pending", False),
        ("records", False),
        ("", False),
    ],
)
def test_is_outcome(text, valid):
    assert is_outcome(text) is valid
