"""Write the dataset when the crawl ends: one record per post, plus the run report.

The records come from the state database (every capture of every post, this run's
and earlier runs'), merged and streamed in (published, url) order, so the dataset
is complete after an incremental or resumed run and memory stays flat. Each record is
checked against the shipped JSON Schema before it is written; a record that fails is
reported and left out, never written half-valid.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from scrapy.crawler import Crawler

from ise_archive import __version__
from ise_archive.dataset import RunInfo, render_record_line, write_dataset
from ise_archive.errors import DatasetError
from ise_archive.records import Post
from ise_archive.report import build_report, summary_paragraph, write_report
from ise_archive.validation import record_validator, validate_record

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
        previous = _previous_record_hashes(self.output_dir / "records.jsonl")
        changes = {"added": 0, "updated": 0, "unchanged": 0, "invalid": 0}
        posts = spider.state.merged_posts(archive_base_url=spider.archive_url_base)
        run = RunInfo(
            tool_version=__version__,
            source_archive=spider.archive_url_base,
            parameters=spider.run_parameters(),
        )
        write_dataset(self.output_dir, _checked(posts, previous, changes), run=run)
        for name, value in changes.items():
            stats.set_value(f"ise_archive/posts/{name}", value)
        stats.set_value("ise_archive/posts/removed", len(previous))
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


def _checked(
    posts: Iterable[Post], previous: dict[str, str], changes: dict[str, int]
) -> Iterator[Post]:
    """Validate each record and count it as added, updated or unchanged."""
    validator = record_validator()
    for post in posts:
        try:
            validate_record(post.to_json(), validator)
        except DatasetError as exc:
            changes["invalid"] += 1
            logger.error(
                "Record %(url)s left out: %(exc)s", {"url": post.url, "exc": exc}
            )
            continue
        line = render_record_line(post).rstrip("\n")
        digest = hashlib.sha256(line.encode()).hexdigest()
        before = previous.pop(post.url, None)
        if before is None:
            changes["added"] += 1
        elif before != digest:
            changes["updated"] += 1
        else:
            changes["unchanged"] += 1
        yield post


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
