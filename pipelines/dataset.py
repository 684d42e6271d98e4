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
from datetime import UTC, datetime
from pathlib import Path

from scrapy.crawler import Crawler

from ise_archive import __version__
from ise_archive.dataset.writer import RunInfo, write_dataset
from ise_archive.errors import DatasetError
from ise_archive.records import Post
from ise_archive.report import build_report, summary_paragraph, write_report

logger = logging.getLogger(__name__)


class DatasetPipeline:
    def __init__(self, crawler: Crawler, output_dir: Path, max_failure_share: float):
        self.crawler = crawler
        self.output_dir = output_dir
        self.max_failure_share = max_failure_share

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DatasetPipeline:
        share = crawler.settings.getfloat("ISE_ARCHIVE_MAX_FAILURE_SHARE")
        if not 0 <= share <= 1:
            from scrapy.exceptions import NotConfigured

            raise NotConfigured(
                f"ISE_ARCHIVE_MAX_FAILURE_SHARE ({share!r}) not in 0..1"
            )
        return cls(crawler, Path(crawler.settings.get("OUTPUT_DIR")), share)

    def process_item(self, item: object) -> object:
        return item

    def close_spider(self) -> None:
        spider = self.crawler.spider
        stats = self.crawler.stats
        changes = _RecordChanges(
            _previous_record_hashes(self.output_dir / "records.jsonl")
        )
        posts = spider.state.merged_posts(archive_base_url=spider.archive_url_base)
        run = RunInfo(
            tool_version=__version__,
            source_archive=spider.archive.view_root or spider.archive.root,
            parameters=spider.run_parameters(),
        )
        write_dataset(
            self.output_dir,
            posts,
            run=run,
            on_invalid=changes.invalid,
            on_written=changes.written,
        )
        for name, value in changes.counts.items():
            stats.set_value(f"ise_archive/posts/{name}", value)
        stats.set_value("ise_archive/posts/removed", len(changes.previous))
        finished = datetime.now(UTC)
        report = build_report(
            run_id=spider.run_id,
            started=spider.started,
            finished=finished,
            stats=stats.get_stats(),
            state_counts=spider.state.counts(),
            run_outcomes=spider.state.outcome_counts(since_run=spider.run_id),
            max_failure_share=self.max_failure_share,
            blocked=spider.blocked,
        )
        path = write_report(self.output_dir / "runs", report)
        spider.state.end_run(spider.run_id, report.to_json())
        spider.exit_code = report.exit_code
        stats.set_value("ise_archive/run_changed", report.status != "no-change")
        spider.summary = summary_paragraph(report)
        logger.info(
            "%(summary)s (report: %(path)s)", {"summary": spider.summary, "path": path}
        )


class _RecordChanges:
    """Counts the records written as added, updated or unchanged, and the invalid.

    ``previous`` is :func:`_previous_record_hashes` of the dataset on disk; a URL
    seen is taken out of it, so what is left at the end are the removed posts.
    """

    def __init__(self, previous: dict[str, str]) -> None:
        self.previous = previous
        self.counts = dict.fromkeys(("added", "updated", "unchanged", "invalid"), 0)

    def written(self, post: Post, line: str) -> None:
        digest = hashlib.sha256(line.rstrip("\n").encode()).hexdigest()
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
