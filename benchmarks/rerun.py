"""Benchmark: what a scheduled re-run costs (issue 5), on a synthetic archive.

Run from the repository root::

    python benchmarks/rerun.py [--posts 500] [--new 5] [--seed 1]

Three runs of the real ``scrapy crawl ise_blog`` into one ``OUTPUT_DIR``, against
the local Wayback imitation serving a synthetic archive of N posts:

1. the first run, from nothing;
2. an immediate re-run, with nothing new in the archive: expected zero replay
   fetches (only the CDX listing) and a byte-identical dataset (``runs/`` and the
   state aside);
3. a re-run after ``--new`` K new captures of known posts were added to the archive
   (``Archive.add_capture``, each with a changed first paragraph): expected exactly
   those K replay fetches and K posts updated.

It prints each run's requests by pool, wall time, posts added/updated/unchanged,
dataset files changed and peak RSS, then the checks. Exit status 1 if one failed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout, not installed
    sys.path.insert(0, str(ROOT))

from benchmarks.crawl import (  # noqa: E402
    Process,
    Requests,
    count_requests,
    run_crawl_measured,
)
from ise_archive.archive.wayback import raw_capture_url  # noqa: E402
from tests.e2e.crawl import dataset_files, last_report, read_records  # noqa: E402
from tests.wayback.archive import Archive  # noqa: E402
from tests.wayback.server import WaybackServer  # noqa: E402
from tests.wayback.synthetic import (  # noqa: E402
    SyntheticStore,
    generate_archive,
    synthetic_posts,
)

#: When the added captures were made: after every capture of the synthetic archive.
NEW_CAPTURES_AT = datetime(2017, 1, 15, 12, 0)
UPDATE_MARK = "Updated in 2017."


@dataclass(frozen=True, slots=True)
class Step:
    """One run of the crawl: what it cost and what it changed."""

    name: str
    process: Process
    requests: Requests
    replay_paths: frozenset[str]
    report: dict[str, Any]
    files_changed: list[str]
    files: dict[str, bytes]


def run_step(
    name: str, server: WaybackServer, output_dir: Path, previous: dict[str, bytes]
) -> Step:
    seen = len(server.requests_log)
    process = run_crawl_measured(server.base_url, output_dir)
    log = list(server.requests_log)[seen:]
    files = dataset_files(output_dir)
    changed = sorted(
        path
        for path in files.keys() | previous.keys()
        if files.get(path) != previous.get(path)
    )
    report = last_report(output_dir) if process.returncode == 0 else {}
    return Step(
        name=name,
        process=process,
        requests=count_requests(log),
        replay_paths=frozenset(r.path for r in log if r.pool == "replay"),
        report=report,
        files_changed=changed,
        files=files,
    )


def add_new_captures(
    archive: Archive, n_posts: int, seed: int, count: int, base_url: str
) -> dict[str, str]:
    """Add a newer capture with a changed first paragraph to ``count`` known posts.

    Returns ``replay path -> post URL`` of each added capture.
    """
    store = SyntheticStore(n_posts, seed)
    posts = synthetic_posts(n_posts, seed)
    added = {}
    for i in range(count):
        post = posts[i * n_posts // count]
        old = post.paragraphs[0]
        body = store.payload(f"p{post.index}.full14").decode()
        body = body.replace(old, f"{UPDATE_MARK} {old}")
        when = (NEW_CAPTURES_AT + timedelta(minutes=i)).strftime("%Y%m%d%H%M%S")
        original = f"https://www.ise.gov/blog/{post.path}"
        archive.add_capture(
            original,
            when,
            body.encode(),
            headers={"Content-Type": "text/html; charset=utf-8"},
        )
        path = raw_capture_url(base_url, when, original).removeprefix(base_url)
        added[path] = post.url
    return added


def print_steps(steps: list[Step]) -> None:
    print(
        f"\n{'run':<26} {'exit':>4} {'wall s':>7} {'CDX':>5} {'replay':>7} "
        f"{'added':>6} {'updated':>8} {'unchanged':>9} {'files chg':>9} "
        f"{'peak RSS MB':>11}"
    )
    for step in steps:
        r = step.report
        print(
            f"{step.name:<26} {step.process.returncode:>4} "
            f"{step.process.wall_s:>7.1f} {step.requests.cdx:>5} "
            f"{step.requests.fetches:>7} {r.get('posts_added', '-'):>6} "
            f"{r.get('posts_updated', '-'):>8} {r.get('posts_unchanged', '-'):>9} "
            f"{len(step.files_changed):>9} {step.process.peak_rss_mb:>11.1f}"
        )
    for step in steps[1:]:
        if step.files_changed:
            print(f"\nchanged by '{step.name}': {', '.join(step.files_changed)}")


def check_steps(
    steps: list[Step], n_posts: int, added: dict[str, str], output_dir: Path
) -> list[str]:
    """What issue 5 promises of the three runs; one line per broken promise."""
    first, same, new = steps
    problems = [f"{s.name}: exit {s.process.returncode}" for s in steps]
    problems = [p for p, s in zip(problems, steps, strict=True) if s.process.returncode]
    if first.report.get("posts_total") != n_posts:
        problems.append(f"first run: {first.report.get('posts_total')} posts")
    if same.requests.fetches:
        problems.append(f"re-run: {same.requests.fetches} replay fetches, not 0")
    if same.files_changed:
        problems.append(f"re-run: changed {', '.join(same.files_changed)}")
    if new.replay_paths != set(added):
        extra = sorted(new.replay_paths - set(added))[:10]
        missed = sorted(set(added) - new.replay_paths)[:10]
        problems.append(f"new captures: fetched extra {extra}, missed {missed}")
    if new.requests.fetches != len(added):
        problems.append(f"new captures: {new.requests.fetches} fetches")
    if new.report.get("posts_updated") != len(set(added.values())):
        problems.append(f"new captures: {new.report.get('posts_updated')} updated")
    records = {record["url"]: record for record in read_records(output_dir)}
    for url in added.values():
        body = records.get(url, {}).get("body_markdown", "")
        if not body.startswith(UPDATE_MARK):
            problems.append(f"new captures: {url} does not carry the new content")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--new", type=int, default=5, help="captures to add (K)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="write the dataset and logs here")
    args = parser.parse_args(argv)
    archive = generate_archive(args.posts, args.seed)
    print(f"{args.posts} posts (seed {args.seed}): {len(archive)} captures")
    with tempfile.TemporaryDirectory(prefix="ise-rerun-") as scratch:
        workdir = args.keep or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        output_dir = workdir / f"out-{args.posts}"
        with WaybackServer(archive) as server:
            steps = [run_step("first run", server, output_dir, {})]
            steps.append(
                run_step("re-run, nothing new", server, output_dir, steps[-1].files)
            )
            added = add_new_captures(
                archive, args.posts, args.seed, args.new, server.base_url
            )
            steps.append(
                run_step(
                    f"re-run, {args.new} new captures",
                    server,
                    output_dir,
                    steps[-1].files,
                )
            )
        print_steps(steps)
        problems = check_steps(steps, args.posts, added, output_dir)
    for problem in problems:
        print(f"FAILED: {problem}")
    print("\nall checks passed" if not problems else "\nCHECKS FAILED")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
