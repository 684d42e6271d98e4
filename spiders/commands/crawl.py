"""``scrapy crawl`` that checks everything first and exits with the run's status.

Scrapy's own ``crawl`` exits 0 whenever the spider ran, and reports a bad argument
as a traceback after the crawl has started. A scheduled archival run must tell cron
what happened (:mod:`ise_archive.exit_codes`), so before anything is requested
this command checks the settings, the spider's arguments, that ``OUTPUT_DIR`` can
be written and that the state database opens: any problem is one line on stderr
per bad value and exit 3. After the run, the exit code is the run report's.
The one-paragraph summary goes to stdout unless the run changed nothing, so a cron
job stays quiet on quiet nights.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from ise_archive.config import (
    CrawlConfig,
    logging_problems,
    parse_spider_arguments,
    writable_directory,
)
from ise_archive.errors import ConfigError, StateError
from ise_archive.exit_codes import ExitCode
from ise_archive.store.lock import OutputLock
from ise_archive.store.state import State
from spiders.config import crawl_config
from spiders.run import CrawlRun
from spiders.terminal import quiet_terminal

logger = logging.getLogger(__name__)


class Command(ScrapyCrawlCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        # Scrapy opens the log right after this, with a traceback for a bad level
        # or an unwritable file: check both first (exit 3, one line each)
        problems = logging_problems(
            self.settings.get("LOG_LEVEL"),
            self.settings.get("LOG_FILE")
            if self.settings.getbool("LOG_ENABLED")
            else None,
        )
        for problem in problems:
            sys.stderr.write(f"Cannot start the crawl: {problem}\n")
        if problems:
            raise SystemExit(ExitCode.CONFIG)
        quiet_terminal(self.settings)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            super().run(args, opts)
            return
        assert self.crawler_process is not None
        try:
            # the spider's update_settings checks every setting here; the public
            # create_crawler (Command._create_crawler only exists from Scrapy 2.18)
            crawler = self.crawler_process.create_crawler(args[0])
            config = crawl_config(crawler.settings)
            preflight(config, opts.spargs, jobdir=crawler.settings.get("JOBDIR"))
            # held until this process ends: one run at a time per dataset
            lock = OutputLock.acquire(config.output_dir)  # noqa: F841
        except ConfigError as exc:
            for problem in exc.problems:
                sys.stderr.write(f"Cannot start the crawl: {problem}\n")
            self.exitcode = ExitCode.CONFIG
            return
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        try:
            run = crawler.get_extension(CrawlRun)
        except RuntimeError:  # the crawl never got as far as its extensions
            run = None
        if self.crawler_process.bootstrap_failed or run is None:
            self.exitcode = ExitCode.INTERNAL  # checked above: a bug, see the log
            return
        if not run.summary:
            # The run ended before its dataset and report were written: a second
            # Ctrl-C (Scrapy's forced stop) or a crash while closing.
            interrupted = run.interrupted
            sys.stderr.write(
                "The crawl stopped before its dataset and report were written"
                + (
                    " (stopped twice): the state is kept, run the same command "
                    "again to finish\n"
                    if interrupted
                    else ": see the log\n"
                )
            )
            self.exitcode = ExitCode.INTERRUPTED if interrupted else ExitCode.INTERNAL
            return
        self.exitcode = run.exit_code
        changed = crawler.stats.get_value("ise_archive/run_changed", True)
        # cron mail stays empty on quiet nights; a person at a terminal always
        # gets the summary
        if run.summary and (changed or self.exitcode or sys.stdout.isatty()):
            sys.stdout.write(run.summary + "\n")


def preflight(
    config: CrawlConfig, arguments: dict[str, str], *, jobdir: str | None = None
) -> None:
    """Everything a run needs before its first request, or :class:`ConfigError`."""
    parse_spider_arguments(arguments, max_attempts=config.max_attempts)
    writable_directory(config.output_dir, "OUTPUT_DIR")
    if jobdir:
        writable_directory(Path(jobdir), "JOBDIR")
    try:
        State.open(config.state_path).close()
    except StateError as exc:
        raise ConfigError(f"the state database cannot be used: {exc}") from exc
