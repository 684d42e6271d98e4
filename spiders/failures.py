"""What a failed download means: the reason to report it under.

Whether the archive blocks us or cannot be reached is the pools middleware's call
(spiders/middlewares.py), made over every request to the host, not per failure.

Scrapy hands an errback a Twisted ``Failure``; the library's outcome vocabulary
(:mod:`ise_archive.outcomes`) wants a reason string. Exceptions are matched by
type, never by their class name's spelling.
"""

from __future__ import annotations

from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from twisted.python.failure import Failure

from ise_archive.errors import PageTooLarge
from ise_archive.outcomes import transport_failure_reason
from spiders.slots import NotSent


class SetAside(IgnoreRequest):
    """A request to another archive (``ISE_ARCHIVE_MORE_ARCHIVES``) that cannot be
    used for the rest of the run (spiders/middlewares.py): no failure of what it
    asked for, which is fetched from the next archive holding it or left pending
    for the next run."""


def set_aside(failure: Failure) -> bool:
    """Whether the request's archive was set aside for the rest of the run."""
    return failure.check(SetAside) is not None


def not_sent(failure: Failure) -> bool:
    """Whether the request was never sent because the crawl is stopping: what it
    asked for stays pending (spiders/slots.py), nothing is counted or logged."""
    return failure.check(NotSent) is not None


def transport_failure(failure: Failure) -> str:
    """The ``failed:<reason>`` reason of a download that got no usable answer."""
    if failure.check(DownloadCancelledError, IgnoreRequest):
        # Scrapy stopped the download at ``download_maxsize`` (IgnoreRequest when
        # the body only outgrew it while being decompressed).
        return PageTooLarge.reason
    return transport_failure_reason(type(failure.value).__name__)
