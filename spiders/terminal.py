"""What a person at a terminal sees: a live progress view, warnings, the summary.

At a terminal (stderr is a TTY) Scrapy's INFO chatter (version dump, settings,
middleware lists, the 40-line stats dump) buries the few lines that matter, and a
log line a minute says nothing about how long is left. So there, unless the log
level or a log file was chosen (``-L``, ``-s LOG_LEVEL``, ``-s LOG_FILE``), the
console shows warnings and errors only, as ``LEVEL: message``
(:func:`quiet_terminal`), above a live view (:class:`ProgressView`, with rich): one
bar per phase with counts, the pace of each pool and the time left. The run ends
with the one summary paragraph the crawl command prints. Logs written to files,
cron mail and pipes keep the INFO lines and the periodic progress line
(:mod:`spiders.progress`). ``-s ISE_ARCHIVE_PROGRESS_VIEW=off`` turns all of this
off.
"""

from __future__ import annotations

import logging
import sys
from time import monotonic
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from twisted.internet import task

from ise_archive.report import duration_text, pool_delays, pool_pace
from spiders.run import crawl_run

#: Seconds between redraws; the open work is counted in the state at each one.
REFRESH_S = 1.0


def wants_view(settings: BaseSettings) -> bool:
    """A person is watching: stderr is a terminal and the view is not turned off."""
    view = str(settings.get("ISE_ARCHIVE_PROGRESS_VIEW", "auto")).lower()
    return view != "off" and sys.stderr.isatty()


def quiet_terminal(settings: BaseSettings) -> None:
    """At a terminal, keep only warnings and errors on the console, one short line
    each, unless the user chose a log level or a log file."""
    if not wants_view(settings) or settings.get("LOG_FILE"):
        return
    chosen = SETTINGS_PRIORITIES["cmdline"]
    if (settings.getpriority("LOG_LEVEL") or 0) < chosen:
        settings.set("LOG_LEVEL", "WARNING", priority="cmdline")
    if (settings.getpriority("LOG_FORMAT") or 0) < chosen:
        settings.set("LOG_FORMAT", "%(levelname)s: %(message)s", priority="cmdline")


class ProgressView:
    """The live view on stderr while the crawl runs (a Scrapy extension)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA {task.fields[eta]}"),
            console=self.console,
        )
        self.discovery: TaskID = self.progress.add_task(
            "discovery (CDX)", total=None, rate="", eta="?"
        )
        self.fetching: TaskID = self.progress.add_task(
            "fetching captures", total=None, rate="", eta="?"
        )
        self.first_answer: dict[str, float] = {}
        self.live: Live | None = None
        self.loop: task.LoopingCall | None = None
        self.handlers: list[tuple[logging.StreamHandler[Any], Any]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressView:
        if not wants_view(crawler.settings):
            raise NotConfigured  # not at a terminal: off, not a bad value
        view = cls(crawler)
        crawler.signals.connect(view.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(view.spider_closed, signal=signals.spider_closed)
        return view

    def spider_opened(self) -> None:
        self.live = Live(
            self.renderable(),
            console=self.console,
            auto_refresh=False,
            redirect_stderr=True,
            transient=False,
        )
        self.live.start()
        # Scrapy's log handler holds the real stderr: route it through the view,
        # so a warning prints above the bars instead of through them.
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream in (
                sys.__stderr__,
                self.console.file,
            ):
                self.handlers.append((handler, handler.stream))
                handler.setStream(sys.stderr)
        self.loop = task.LoopingCall(self.refresh)
        self.loop.start(REFRESH_S, now=True)

    def refresh(self, *, final: bool = False) -> None:
        """Redraw from the stats, and the open work in the state (``final``: the
        state may be closed already, and nothing is open any more)."""
        stats = self.crawler.stats
        run = crawl_run(self.crawler)
        answered = stats.get_value("ise_archive/cdx/pages", 0) + sum(
            n
            for key, n in stats.get_stats().items()
            if key.startswith("ise_archive/cdx/failed/") and isinstance(n, int)
        )
        planned = (
            len(run.config.queries)
            + stats.get_value("ise_archive/cdx/resume_pages", 0)
            + stats.get_value("ise_archive/discovery/exact_lookups", 0)
        )
        fetched = stats.get_value("ise_archive/fetch/requests", 0)
        phase = getattr(self.crawler.spider, "phase", "cdx")
        total = fetched if final else self.fetch_total(fetched, phase)
        self.progress.update(
            self.discovery,
            completed=answered,
            total=max(planned, answered),
            rate=f"{stats.get_value('ise_archive/cdx/captures', 0)} captures",
            eta=self.eta("cdx", planned - answered, answered),
        )
        self.progress.update(
            self.fetching,
            description=f"fetching ({phase})" if phase != "cdx" else "fetching",
            completed=fetched,
            total=total,
            rate=f"{stats.get_value('ise_archive/capture/record', 0)} posts",
            eta="?" if total is None else self.eta("replay", total - fetched, fetched),
        )
        if self.live is not None:
            self.live.update(self.renderable(), refresh=True)

    def eta(self, pool: str, left: int, done: int) -> str:
        """Time left: ``left`` requests at the pace seen since the pool's first
        answer, or at its allowed pace before there is one."""
        if left <= 0:
            return "0s"
        now = monotonic()
        first = self.first_answer.setdefault(pool, now) if done else None
        if first is not None and done > 1 and now > first:
            per_request = (now - first) / (done - 1)
        else:
            per_request = pool_delays(self.crawler.stats.get_stats()).get(pool, 0.0)
        return duration_text(left * per_request) if per_request > 0 else "?"

    def fetch_total(self, fetched: int, phase: str) -> int | None:
        """Fetched plus the open work; unknown while discovery still lists."""
        if phase == "cdx":
            return None
        return fetched + crawl_run(self.crawler).state.open_work()

    def renderable(self) -> Group:
        stats = self.crawler.stats.get_stats()
        met = sum(
            n
            for key, n in stats.items()
            if key.startswith("ise_archive/pool/") and key.endswith("/429")
        )
        failed = sum(
            n
            for key, n in stats.items()
            if key.startswith("ise_archive/failed/reason_count/")
        )
        delays = pool_delays(stats)
        status = (
            f"pace: {pool_pace(delays) or 'starting'}  |  429s met: {met}  |  "
            f"failed captures: {failed}"
        )
        return Group(self.progress, Text(status, style="dim"))

    def spider_closed(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.live is None:
            return
        self.refresh(final=True)
        for handler, stream in self.handlers:
            handler.setStream(stream)
        self.live.stop()
        self.live = None
