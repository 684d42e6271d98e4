"""Write the dataset when the crawl ends: one record per post, plus the run report.

The records come from the state database (every capture of every post, this run's
and earlier runs'), merged and streamed in (published, url) order, so the dataset
is complete after an incremental or resumed run and memory stays flat. Each record is
checked against the shipped JSON Schema before it is written (once, by
:func:`~ise_archive.dataset.writer.write_dataset`); a record that fails is reported here
(an ERROR in the log, ``ise_archive/posts/invalid`` in the stats, ``posts_invalid``
in the run report, which then fails) and left out, never written half-valid.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler

from ise_archive import __version__
from ise_archive.archive.archives import parse_archive
from ise_archive.archive.links import with_link_checks
from ise_archive.attachments.files import attached_posts
from ise_archive.attachments.tally import AttachmentTally
from ise_archive.dataset.writer import RunInfo, write_dataset
from ise_archive.errors import DatasetError
from ise_archive.exit_codes import ExitCode
from ise_archive.records import Post
from ise_archive.report import build_report, summary_paragraph, write_report
from ise_archive.runs import incomplete_reason, run_settings
from ise_archive.warc.wacz import Page, package_evidence
from spiders.evidence import evidence_complete
from spiders.run import CrawlRun, crawl_run

logger = logging.getLogger(__name__)


class DatasetPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DatasetPipeline:
        return cls(crawler)

    def process_item(self, item: object) -> object:
        return item

    def close_spider(self) -> None:
        """Write the dataset and the report; every failure ends in the exit code.

        Scrapy logs an exception raised here as "Scraper close failure" and exits
        0, so nothing may escape: a dataset that cannot be written is reported
        (exit 74), and the report of an interrupted run says so (exit 130).
        """
        run = crawl_run(self.crawler)
        stats = self.crawler.stats
        output_dir = run.config.output_dir
        changes = _RecordChanges({})
        pages = _Pages()
        tally = AttachmentTally()
        io_error = None
        try:
            changes.previous = _previous_record_hashes(output_dir / "records.jsonl")
            write_dataset(
                output_dir,
                tally.counted(_posts(run)),
                run=_run_info(run, stats.get_stats()),
                on_invalid=changes.invalid,
                on_written=pages.after(changes.written),
                evidence=lambda: self.evidence(output_dir, pages.pages),
            )
        except (OSError, DatasetError) as exc:
            io_error = f"dataset in {output_dir}: {exc}"
            logger.error("Could not write the dataset: %(exc)s", {"exc": exc})
        for name, value in changes.counts.items():
            stats.set_value(f"ise_archive/posts/{name}", value)
        stats.set_value("ise_archive/posts/removed", len(changes.previous))
        for name, value in tally.stats().items():
            stats.set_value(name, value)
        report = build_report(
            run_id=run.run_id,
            started=run.started,
            finished=datetime.now(UTC),
            stats=stats.get_stats(),
            state_counts=run.state.counts(),
            run_outcomes=run.state.outcome_counts(since_run=run.run_id),
            max_failure_share=run.config.max_failure_share,
            blocked=run.blocked,
            interrupted=run.interrupted,
            io_error=io_error,
            parameters={
                **run.parameters,
                "settings": run_settings(self.crawler.settings.copy_to_dict()),
            },
        )
        run.state.end_run(run.run_id, report.to_json())
        try:
            path = write_report(output_dir / "runs", report)
        except OSError as exc:
            logger.error("Could not write the run report: %(exc)s", {"exc": exc})
            report = replace(report, status="failed", exit_code=ExitCode.IO)
            path = None
        run.exit_code = ExitCode(report.exit_code)
        stats.set_value("ise_archive/run_changed", report.status != "no-change")
        run.summary = summary_paragraph(
            report, dataset_dir=output_dir, report_path=path
        )
        logger.info("%(summary)s", {"summary": run.summary})

    def evidence(self, output_dir: Path, pages: list[Page]) -> list[str]:
        """Close this run's WARC files, then package them (WACZ) for the manifest."""
        self.crawler.signals.send_catch_log(signal=evidence_complete)
        started = time.process_time()  # CPU: py-wacz runs in this process
        files = package_evidence(output_dir, pages)
        seconds = round(time.process_time() - started, 3)
        self.crawler.stats.set_value("ise_archive/warc/wacz_seconds", seconds)
        return files


def _posts(run: CrawlRun) -> Iterable[Post]:
    """The records, with their attachments and link checks when the run does them."""
    config = run.config
    posts = run.state.dataset_posts(archive_base_url=config.archive_url_base)
    if config.check_links:
        checks = run.state.link_checks()
        posts = (with_link_checks(post, checks) for post in posts)
    if not config.attachments:
        return posts
    return attached_posts(
        posts,
        captures=run.state.file_captures(),
        results=run.state.files(),
        archive=parse_archive(config.archive_url_base),
    )


def _run_info(run: CrawlRun, stats: Mapping[str, Any]) -> RunInfo:
    """What the manifest and card say about this run: which, when, from where, and
    whether it finished (decided before the report, which needs the dataset)."""
    reason = incomplete_reason(
        blocked=run.blocked,
        interrupted=run.interrupted,
        discovery_failed={
            key: value
            for key, value in stats.items()
            if key.startswith("ise_archive/cdx/failed/") and isinstance(value, int)
        },
        pending=run.state.counts().get("pending", 0),
    )
    return RunInfo(
        tool_version=__version__,
        source_archive=run.config.archive.view_root or run.config.archive.root,
        archives=tuple(a.root for a in (run.config.archive, *run.config.more_archives)),
        parameters=run.parameters,
        run_id=run.run_id,
        started=run.started,
        complete=reason is None,
        incomplete_reason=reason or "",
    )


class _Pages:
    """The post capture each full record uses, for the WACZ page list (a record
    known only from a feed or listing has no page of its own to replay)."""

    def __init__(self) -> None:
        self.pages: list[Page] = []

    def after(
        self, handler: Callable[[Post, str], None]
    ) -> Callable[[Post, str], None]:
        def written(post: Post, line: str) -> None:
            handler(post, line)
            if post.capture is not None and post.completeness == "full":
                url = post.capture.original or post.url
                page = Page(url=url, timestamp=post.capture.timestamp, title=post.title)
                self.pages.append(page)

        return written


class _RecordChanges:
    """Counts the records written as added, updated or unchanged, and the invalid.

    ``previous`` is :func:`_previous_record_hashes` of the dataset on disk; a URL
    seen is taken out of it, so what is left at the end are the removed posts.
    """

    def __init__(self, previous: dict[str, str]) -> None:
        self.previous = previous
        self.counts = dict.fromkeys(
            ("added", "updated", "unchanged", "invalid", "partial"), 0
        )

    def written(self, post: Post, line: str) -> None:
        digest = hashlib.sha256(line.rstrip("\n").encode()).hexdigest()
        self.counts["partial"] += post.completeness == "partial"
        before = self.previous.pop(post.url, None)
        if before is None:
            self.counts["added"] += 1
        elif before != digest:
            self.counts["updated"] += 1
        else:
            self.counts["unchanged"] += 1

    def invalid(self, post: Post, exc: DatasetError) -> None:
        self.counts["invalid"] += 1
        logger.error("Record %(url)s left out: %(exc)s", {"url": post.url, "exc": exc})


def _previous_record_hashes(path: Path) -> dict[str, str]:
    """url -> sha256 of its records.jsonl line, from the dataset already on disk."""
    hashes: dict[str, str] = {}
    try:
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                line = line.rstrip("\n")
                try:
                    url = json.loads(line)["url"]
                except (ValueError, KeyError, TypeError):
                    continue
                hashes[url] = hashlib.sha256(line.encode()).hexdigest()
    except FileNotFoundError:
        pass
    return hashes
