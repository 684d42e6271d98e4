"""The vocabulary of capture outcomes: which strings are outcomes, and what they mean.

Every capture the CDX listing returns ends as exactly one outcome string:
``record``, ``duplicate``, ``skip:<reason>`` or ``failed:<reason>``; ``fetching``
marks one in flight and no outcome at all means pending. The state database
(:mod:`ise_archive.store.state`) stores these strings; this module reads them: whether a
string is an outcome at all, its class for the run report, and whether a failure
is worth another try next run.

It holds no state and does no I/O.
"""

from __future__ import annotations

import logging
import re

logger = logging.getLogger(__name__)

#: Failure reasons (after ``failed:``) worth another try next run: the network or
#: the archive's load was at fault, not the capture. Compared without ``-`` and
#: ``_``, so exception-class slugs (``t-c-p-timed-out``) and short forms
#: (``tcp-timed-out``) agree. ``truncated`` is a transfer cut short; a document cut
#: at crawl time (``truncated-capture``) stays failed, or every run would fetch it.
RETRYABLE_FAILURES = frozenset(
    [
        "timeout",
        "tcptimedout",
        "downloadtimeout",
        "responseneverreceived",
        "responsefailed",
        "responsedataloss",
        "dataloss",
        "partialdownload",
        "downloadfailed",
        "connectionlost",
        "connectiondone",
        "connectionrefused",
        "downloadconnectionrefused",
        "connect",
        "dnslookup",
        "cannotresolvehost",
        "os",
        "truncated",
        "blocked",
    ]
)
#: Failure reasons that are usually the capture's fate but may be the archive's
#: passing glitch, so a few later runs try them again (``ISE_ARCHIVE_RECHECK_RUNS``,
#: :meth:`~ise_archive.store.state.State.reset_inflight`): a "not archived" answer
#: for a capture the archive's own index lists (its index and its storage
#: disagree: a storage node down, or the capture withdrawn), and bytes that differed
#: from the index's digest on both fetches of a run (a transfer corrupted twice, or
#: a damaged record). Each then costs one request per later run, up to the limit.
RECHECKED_FAILURES = frozenset(["archive-error:not-archived", "digest-mismatch"])
# failed:http-503  failed:archive-error:http-429
_RETRYABLE_HTTP = re.compile(r"^(?:archive-error:)?http-(?:408|425|429|5\d\d)$")
# record  duplicate  fetching  skip:not-a-post:listing  failed:http-503
# "ResponseNeverReceived" -> "Response-Never-Received", "TCPTimedOut" -> "TCP-Timed-Out"
_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_OUTCOME = re.compile(r"^(?:record|duplicate|fetching|(?:skip|failed):\S.*)$")


def transport_failure_reason(exception_name: str) -> str:
    """The reason of a download that failed in transport, named after its exception.

    Transport exceptions come from Twisted and Scrapy, whose classes the library
    does not import, so the reason is the class name as a stable slug; the
    retryable ones are listed in :data:`RETRYABLE_FAILURES`.

    >>> transport_failure_reason("TimeoutError")
    'timeout'
    >>> transport_failure_reason("ResponseNeverReceived")
    'response-never-received'
    >>> transport_failure_reason("TCPTimedOutError")
    'tcp-timed-out'
    """
    return _WORD_BOUNDARY.sub("-", exception_name).lower().removesuffix("-error")


def is_outcome(text: str) -> bool:
    """True for a string the state may store as a capture's outcome.

    >>> is_outcome("skip:not-a-post:listing"), is_outcome("skip:")
    (True, False)
    """
    return bool(_OUTCOME.match(text))


def is_retryable(outcome: str | None) -> bool:
    """True for outcomes a new run should try again (in flight, transient failure).

    >>> is_retryable("failed:http-503"), is_retryable("failed:http-404")
    (True, False)
    """
    if outcome == "fetching":
        return True
    if not outcome or not outcome.startswith("failed:"):
        return False
    reason = outcome.removeprefix("failed:")
    if _RETRYABLE_HTTP.match(reason):
        return True
    return reason.replace("-", "").replace("_", "") in RETRYABLE_FAILURES


def is_rechecked(outcome: str | None) -> bool:
    """True for failures a few later runs try again (:data:`RECHECKED_FAILURES`).

    >>> is_rechecked("failed:digest-mismatch"), is_rechecked("failed:http-404")
    (True, False)
    """
    if not outcome or not outcome.startswith("failed:"):
        return False
    return outcome.removeprefix("failed:") in RECHECKED_FAILURES


def outcome_class(outcome: str | None) -> str:
    """``record``, ``duplicate``, ``skip``, ``failed`` or ``pending`` (no final one)."""
    if outcome is None or outcome == "fetching":
        return "pending"
    return outcome.split(":", 1)[0]


#: What each outcome in a record's ``captures[].outcome`` means, for the dataset card
#: and docs: ``(outcome or prefix, meaning)``, in the order a reader meets them.
OUTCOME_MEANINGS: tuple[tuple[str, str], ...] = (
    ("record", "fetched and read as this post; its content is one of `versions`"),
    (
        "duplicate",
        "same bytes (CDX digest) as a capture already used: not fetched again",
    ),
    (
        "skip:superseded",
        "a different, older content of a post whose newer complete capture was "
        "used: not fetched (`-a versions=all` fetches every distinct content)",
    ),
    (
        "skip:redirect-variant",
        "the archive recorded a redirect (http/https, `www.`, `/node/<nid>`) to a "
        "page of the post that was captured itself: nothing to fetch",
    ),
    ("skip:revisit", "a revisit record pointing at content not otherwise listed"),
    (
        "skip:node-alias-known",
        "the post under its `/node/<nid>` address, once its content was read under "
        "its alias URL: not fetched",
    ),
    (
        "skip:same-digest-as:<capture>",
        "same bytes as a capture that failed or was not a post: not fetched again",
    ),
    (
        "skip:attempts-exhausted",
        "not tried: the post's best captures were tried (ISE_ARCHIVE_MAX_ATTEMPTS) "
        "without a complete page",
    ),
    (
        "skip:not-a-post:<kind>",
        "read fine but not a post (listing, tag page, feed, soft 404, ...)",
    ),
    ("skip:error-status:<code>", "the archive captured an HTTP error page"),
    ("skip:out-of-range, skip:out-of-prefix", "outside `-a from/to` or `-a prefix`"),
    (
        "failed:<reason>",
        "could not be had (`failed:http-503`, `failed:truncated-capture`, ...); "
        "transient failures are retried by the next run",
    ),
)
