"""ise_archive/fetch/reachability.py: outages told apart from unlucky requests."""

from __future__ import annotations

import errno

import pytest
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
)
from twisted.internet.error import ConnectionLost, DNSLookupError, NoRouteError

from ise_archive.fetch.reachability import Reachability, describe_transport_failure


def _wrapped(outer: Exception, inner: Exception) -> Exception:
    """``outer`` raised ``from inner``, as Scrapy wraps Twisted's errors."""
    try:
        try:
            raise inner
        except Exception as exc:
            raise outer from exc
    except Exception as exc:
        return exc


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (CannotResolveHostError("no results"), "host name does not resolve"),
        (
            _wrapped(CannotResolveHostError("x"), DNSLookupError("x")),
            "host name does not resolve",
        ),
        (DownloadConnectionRefusedError("refused"), "connection refused"),
        (NoRouteError(), "no route to host"),
        (
            OSError(errno.ENETUNREACH, "Network is unreachable"),
            "network is unreachable",
        ),
        (DownloadTimeoutError("took longer than 90 s"), "timed out"),
        (
            DownloadFailedError(
                "[<twisted.python.failure.Failure OpenSSL.SSL.Error: [('SSL routines',"
                " '', 'certificate verify failed')]>]"
            ),
            "TLS failed",
        ),
        (ConnectionLost(), "connection lost"),
        (DownloadFailedError("[<Failure ConnectionLost>]"), "connection lost"),
        (ValueError("odd"), "ValueError: odd"),
    ],
)
def test_each_failure_gets_a_reason_a_person_reads(exc: Exception, reason: str) -> None:
    assert describe_transport_failure(exc) == reason


def test_a_host_is_unreachable_only_after_failures_in_a_row() -> None:
    hosts = Reachability(failures_in_a_row=3)
    archive, other = "https://web.archive.org", "https://arquivo.pt"

    seen = [hosts.failed(archive), hosts.failed(other), hosts.failed(archive)]
    hosts.answered(archive)
    seen += [hosts.failed(archive), hosts.failed(archive), hosts.failed(archive)]

    assert seen == [False, False, False, False, False, True]
    assert (hosts.streak(archive), hosts.streak(other)) == (3, 1)


def test_at_least_one_failure_is_needed() -> None:
    with pytest.raises(ValueError, match="failures_in_a_row"):
        Reachability(failures_in_a_row=0)
