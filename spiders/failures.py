"""What a failed download means: the archive blocking us, or a reason to report.

Scrapy hands an errback a Twisted ``Failure``; the library's outcome vocabulary
(:mod:`ise_archive.outcomes`) wants a reason string. Exceptions are matched by
type, never by their class name's spelling.
"""

from __future__ import annotations

from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    IgnoreRequest,
)
from twisted.internet.error import ConnectError, ConnectionRefusedError
from twisted.python.failure import Failure

from ise_archive.errors import PageTooLarge
from ise_archive.outcomes import transport_failure_reason


def blocked_reason(failure: Failure) -> str | None:
    """``"connection-refused"`` when the archive refused the connection (how the
    Internet Archive's firewall answers an IP it blocked), else None."""
    if failure.check(DownloadConnectionRefusedError, ConnectionRefusedError):
        return "connection-refused"
    if type(failure.value) is ConnectError:  # Twisted's generic "could not connect"
        return "connection-refused"
    return None


def transport_failure(failure: Failure) -> str:
    """The ``failed:<reason>`` reason of a download that got no usable answer."""
    if failure.check(DownloadCancelledError, IgnoreRequest):
        # Scrapy stopped the download at ``download_maxsize`` (IgnoreRequest when
        # the body only outgrew it while being decompressed).
        return PageTooLarge.reason
    return transport_failure_reason(type(failure.value).__name__)
