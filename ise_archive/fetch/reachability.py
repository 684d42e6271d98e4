"""Telling an archive that cannot be reached from one unlucky request.

A machine without network, a mistyped ``WAYBACK_BASE_URL``, a TLS interception
proxy or a firewall block all look, request by request, like transport errors that
a retry might cure; retried silently they made a crawl run for 21 minutes printing
nothing but an empty progress line (issue 10). :class:`Reachability` counts, per
host, the transport failures in a row since the host last answered anything: when
every request to it fails ``failures_in_a_row`` times, the host is unreachable and
the crawl should say why (:func:`describe_transport_failure`) and stop.

Plain Python: exceptions are recognised by their class names along the chain of
causes (Scrapy wraps Twisted's), so the library needs neither.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field

#: Class name (anywhere in the exception's MRO or chain of causes) -> the reason a
#: person reads. First match along the chain wins; the most specific names first.
_REASONS: tuple[tuple[frozenset[str], str], ...] = (
    (
        frozenset({"CannotResolveHostError", "DNSLookupError"}),
        "host name does not resolve",
    ),
    (
        frozenset({"DownloadConnectionRefusedError", "ConnectionRefusedError"}),
        "connection refused",
    ),
    (frozenset({"NoRouteError"}), "no route to host"),
    (
        frozenset({"SSLError", "SSLCertVerificationError", "CertificateError"}),
        "TLS failed",
    ),
    (
        frozenset(
            {
                "DownloadTimeoutError",
                "TimeoutError",
                "TCPTimedOutError",
                "UserTimeoutError",
            }
        ),
        "timed out",
    ),
)
#: Transfers cut off after the connection was made (asked after the TLS words: a
#: failed handshake reaches us as a ``ResponseFailed`` too).
_LOST = frozenset(
    {
        "ConnectionLost",
        "ConnectionDone",
        "ResponseFailed",
        "ResponseNeverReceived",
        "ResponseDataLossError",
        "DownloadFailedError",
    }
)
_ERRNO_REASONS = {
    errno.ECONNREFUSED: "connection refused",
    errno.EHOSTUNREACH: "no route to host",
    errno.ENETUNREACH: "network is unreachable",
    errno.ETIMEDOUT: "timed out",
}
#: Words of a wrapped error's message that name a TLS failure (OpenSSL's texts,
#: e.g. "[('SSL routines', '', 'certificate verify failed')]").
_TLS_WORDS = ("SSL routines", "certificate verify failed", "TLS", "tlsv1 alert")


def describe_transport_failure(exc: BaseException) -> str:
    """What went wrong in transport, in a few words a person understands.

    >>> describe_transport_failure(ConnectionRefusedError(111, "refused"))
    'connection refused'
    >>> describe_transport_failure(OSError(errno.EHOSTUNREACH, "No route to host"))
    'no route to host'
    """
    chain = _chain(exc)
    for link in chain:
        names = {cls.__name__ for cls in type(link).__mro__}
        for known, reason in _REASONS:
            if names & known:
                return reason
        if isinstance(link, OSError) and link.errno in _ERRNO_REASONS:
            return _ERRNO_REASONS[link.errno]
    text = " ".join(str(link) for link in chain)
    if any(word in text for word in _TLS_WORDS):
        return "TLS failed"
    if any(_LOST & {cls.__name__ for cls in type(link).__mro__} for link in chain):
        return "connection lost"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in chain:
        chain.append(link)
        link = link.__cause__ or link.__context__
    return chain


@dataclass
class Reachability:
    """Transport failures in a row, per host; any answer (even a 503) resets them.

    >>> hosts = Reachability(failures_in_a_row=3)
    >>> [hosts.failed("https://web.archive.org") for _ in range(3)]
    [False, False, True]
    >>> hosts.answered("https://web.archive.org")
    >>> hosts.failed("https://web.archive.org")
    False
    """

    failures_in_a_row: int
    _streaks: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.failures_in_a_row < 1:
            raise ValueError(
                f"failures_in_a_row must be >= 1, not {self.failures_in_a_row}"
            )

    def answered(self, host: str) -> None:
        self._streaks.pop(host, None)

    def failed(self, host: str) -> bool:
        """Count one failure; True once the host counts as unreachable."""
        self._streaks[host] = self._streaks.get(host, 0) + 1
        return self._streaks[host] >= self.failures_in_a_row

    def streak(self, host: str) -> int:
        return self._streaks.get(host, 0)


def unreachable_message(host: str, reason: str, *, streak: int) -> str:
    """The one line that says the crawl stops because ``host`` cannot be reached.

    >>> unreachable_message("https://web.archive.org", "host name does not resolve",
    ...                     streak=5)  # doctest: +NORMALIZE_WHITESPACE
    'cannot reach https://web.archive.org: host name does not resolve. Stopping after
    5 failed requests in a row; the state is kept and the next run resumes here: run
    again later (check the network and WAYBACK_BASE_URL).'
    """
    after = f" after {streak} failed requests in a row" if streak > 1 else ""
    return (
        f"cannot reach {host}: {reason}. Stopping{after}; the state is kept and the "
        f"next run resumes here: run again later{_HINTS.get(reason, '')}."
    )


def told_to_wait_message(host: str, reason: str) -> str:
    """The one line that says the crawl stops because ``host`` asked for a long
    wait (:func:`~ise_archive.fetch.pacing.come_back_reason`).

    >>> told_to_wait_message("https://web.archive.org", "it asks for no request "
    ...                      "before 22:30 UTC")  # doctest: +NORMALIZE_WHITESPACE
    'https://web.archive.org: it asks for no request before 22:30 UTC. Stopping; the
    state is kept and the next run resumes here: run it again after that time.'
    """
    return (
        f"{host}: {reason}. Stopping; the state is kept and the next run resumes "
        "here: run it again after that time."
    )


def set_aside_message(host: str, reason: str) -> str:
    """The one line that says another archive (``ISE_ARCHIVE_MORE_ARCHIVES``) is
    left out of the rest of the run, which goes on with the others.

    >>> set_aside_message("http://127.0.0.1:8", "connection refused")
    ... # doctest: +NORMALIZE_WHITESPACE
    'cannot use http://127.0.0.1:8 (ISE_ARCHIVE_MORE_ARCHIVES) for the rest of this
    run: connection refused. The crawl goes on with the other archives; what only it
    holds stays pending for the next run, which tries it again (exit 75).'
    """
    return (
        f"cannot use {host} (ISE_ARCHIVE_MORE_ARCHIVES) for the rest of this run: "
        f"{reason}. The crawl goes on with the other archives; what only it holds "
        "stays pending for the next run, which tries it again (exit 75)."
    )


#: What to check, by reason: a refusal is also how the Internet Archive's firewall
#: answers an IP it blocked (for about an hour after a minute of ignored 429s).
_HINTS = {
    "connection refused": (
        " (nothing listens there, or the archive has blocked this IP, which it "
        "does for about an hour)"
    ),
    "host name does not resolve": " (check the network and WAYBACK_BASE_URL)",
}
