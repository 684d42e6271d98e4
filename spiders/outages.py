"""What the crawl does when an archive cannot be used any more this run.

An archive is out of reach when its host fails ``ISE_ARCHIVE_UNREACHABLE_AFTER``
requests in a row, refuses a connection (the Internet Archive's firewall), or asks
with ``Retry-After`` for a wait over ``ISE_ARCHIVE_RETRY_AFTER_MAX`` ("come back
later"). The pools middleware (spiders/middlewares.py) notices it; :class:`Outages`
decides what follows, in one ERROR line:

* the **main archive** (``WAYBACK_BASE_URL``): the crawl stops at once, the state
  kept, exit 75 (``ise_archive/blocked``; ``ise_archive/unreachable`` or
  ``ise_archive/blocked_reason`` says why in the run report);
* **another archive** (``ISE_ARCHIVE_MORE_ARCHIVES``, pools ``cdx@<name>`` and
  ``replay@<name>``): it is set aside for the rest of the run and the crawl goes on
  with the others. Its requests fail with :class:`~spiders.failures.SetAside`
  without being sent: a capture is fetched from the next archive that holds it or
  stays pending for the next run, its CDX listings wait for the next run too
  (``ise_archive/set_aside/<host>``: the run ends with exit 75, ``blocked``).

Before this, another archive that refused connections stopped the whole crawl
before the main archive's posts were fetched (blind fault round: exit 75 in 2.6 s,
63 captures pending, no record).
"""

from __future__ import annotations

import logging
from typing import NoReturn
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import deferred_from_coro

from ise_archive.fetch.reachability import (
    Reachability,
    set_aside_message,
    told_to_wait_message,
    unreachable_message,
)
from spiders.failures import SetAside
from spiders.slots import fail_waiting

logger = logging.getLogger(__name__)


def request_host(request: Request) -> str:
    parts = urlsplit(request.url)
    return f"{parts.scheme}://{parts.netloc}"


def other_archives_pool(pool: str) -> bool:
    """Whether ``pool`` is another archive's (``cdx@<name>``, ``replay@<name>``)."""
    return "@" in pool


class Outages:
    """The archives the crawl can no longer use, and the stop or set-aside that
    follows (see the module docs)."""

    def __init__(self, crawler: Crawler, reachability: Reachability) -> None:
        self.crawler = crawler
        self.reachability = reachability
        #: The main archive is out of reach: the crawl is stopping.
        self.stopping = False
        #: Hosts of other archives left out of the rest of the run, and why.
        self.set_aside: dict[str, str] = {}

    def check(self, request: Request, pool: str) -> None:
        """Refuse, unsent, a request to an archive set aside or a stopping crawl."""
        if self.stopping:
            raise IgnoreRequest("the archive cannot be reached")
        host = request_host(request)
        if other_archives_pool(pool) and host in self.set_aside:
            raise SetAside(f"{host}: {self.set_aside[host]}")

    def out_of_reach(
        self, request: Request, pool: str, reason: str, *, told: bool = False
    ) -> NoReturn:
        """``request``'s archive cannot be used any more this run (it cannot be
        reached, or ``told`` us to wait too long): another archive is set aside,
        the main one stops the crawl. Raises what the request's errback gets."""
        host = request_host(request)
        if not other_archives_pool(pool):
            self.stop(host, reason, told=told)
            raise IgnoreRequest(f"{host}: {reason}")
        message = f"{host}: {reason}"
        if host not in self.set_aside:
            self.set_aside[host] = reason
            self.crawler.stats.set_value(f"ise_archive/set_aside/{host}", reason)
            logger.error("%(message)s", {"message": set_aside_message(host, reason)})
            fail_waiting(self.crawler, pool.partition("@")[2], SetAside, message)
        raise SetAside(message)

    def stop(self, host: str, reason: str, *, told: bool = False) -> None:
        """Say once that ``host`` cannot be reached (or ``told`` us to come back
        later) and stop; the state is kept."""
        if self.stopping:
            return
        self.stopping = True
        stats = self.crawler.stats
        stats.set_value("ise_archive/blocked", 1)
        if told:
            message = told_to_wait_message(host, reason)
            stats.set_value("ise_archive/blocked_reason", f"{host}: {reason}")
        else:
            stats.set_value("ise_archive/unreachable", f"{host}: {reason}")
            streak = self.reachability.streak(host)
            message = unreachable_message(host, reason, streak=streak)
        logger.error("%(message)s", {"message": message})
        engine = self.crawler.engine
        if engine is None or not engine.running:
            return
        # the requests waiting in a pool are dropped at once (spiders/slots.py)
        deferred_from_coro(engine.close_spider_async(reason="unreachable"))
