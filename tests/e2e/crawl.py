"""Run the real ``scrapy crawl ise_blog`` against the local Wayback imitation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "tests" / "fixtures" / "dev" / "gold"

#: Politeness relaxed for the local imitation: the tests never sleep for real.
RELAXED = {
    "ISE_ARCHIVE_CDX_RPM": "600000",
    "ISE_ARCHIVE_REPLAY_RPS": "10000",
    "ISE_ARCHIVE_429_PAUSE": "0.05",
    "ISE_ARCHIVE_RETRY_BACKOFF_BASE": "0.01",
    "ISE_ARCHIVE_RETRY_BACKOFF_MAX": "0.1",
    "ISE_ARCHIVE_PROGRESS_INTERVAL": "0",
    "DOWNLOAD_TIMEOUT": "20",
    "LOG_LEVEL": "INFO",
}


def crawl_command(
    base_url: str, output_dir: Path, *args: str, **settings: str
) -> list[str]:
    merged = {**RELAXED, **settings}
    command = [sys.executable, "-m", "scrapy", "crawl", "ise_blog"]
    command += ["-s", f"WAYBACK_BASE_URL={base_url}", "-s", f"OUTPUT_DIR={output_dir}"]
    for name, value in merged.items():
        command += ["-s", f"{name}={value}"]
    return command + list(args)


def run_crawl(
    base_url: str, output_dir: Path, *args: str, timeout: float = 240, **settings: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        crawl_command(base_url, output_dir, *args, **settings),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        check=False,
    )


def read_records(
    output_dir: Path, completeness: str | None = "full"
) -> list[dict[str, Any]]:
    """The records of a dataset: by default the full ones (read from a page of the
    post), which the gold describes; ``"partial"`` for the posts known only from
    feeds and listings, None for all."""
    lines = (output_dir / "records.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    if completeness is None:
        return records
    return [r for r in records if r["completeness"] == completeness]


def without_warc_locations(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records without ``captures[].warc``: where a run's WARC records are
    (file named by run, offsets in arrival order) is the one thing two crawls of
    the same archive do not share."""
    return [
        {
            **record,
            "captures": [
                {k: v for k, v in c.items() if k != "warc"} for c in record["captures"]
            ],
        }
        for record in records
    ]


def gold_posts() -> dict[str, dict[str, Any]]:
    posts = {}
    for path in sorted(GOLD.glob("*/*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        posts[data["url"]] = data
    return posts


def replay_fetches(requests_log: list[Any]) -> Counter[str]:
    """How often each ``/web/<ts>id_/<url>`` capture was requested."""
    return Counter(
        record.path
        for record in requests_log
        if record.path.startswith("/web/") and record.pool == "replay"
    )


def dataset_files(output_dir: Path) -> dict[str, bytes]:
    """Every dataset file's bytes, leaving out run reports and the state."""
    files = {}
    for path in sorted(output_dir.rglob("*")):
        relative = path.relative_to(output_dir).as_posix()
        if path.is_file() and not relative.startswith(("runs/", ".state/")):
            files[relative] = path.read_bytes()
    return files


def last_report(output_dir: Path) -> dict[str, Any]:
    reports = sorted((output_dir / "runs").glob("*.json"))
    return json.loads(reports[-1].read_text(encoding="utf-8"))


def gold_fields(record: dict[str, Any]) -> dict[str, Any]:
    """The fields of a record the gold files state, in the gold's shape."""
    return {
        "title": record["title"],
        "author": record["author"],
        "published": record["published"],
        "tags": [t["name"] for t in record["tags"]],
        "tag_urls": [t["url"] for t in record["tags"]],
        "related": record["related"],
    }


def expected_gold_fields(gold: dict[str, Any]) -> dict[str, Any]:
    return {
        k: gold[k] for k in ("title", "author", "published", "tags", "tag_urls")
    } | {"related": gold["related"]}
