"""Benchmark: ``ise-archive rebuild`` of a crawled synthetic archive of N posts.

Run from the repository root::

    python benchmarks/rebuild.py [--posts 2000] [--seed 1] [--workers N]

A synthetic archive (:func:`tests.wayback.synthetic.generate_archive`) is crawled
once with WARC output on (the real ``scrapy crawl``, politeness relaxed), then
rebuilt offline from its WARC files into a new directory, timed. Prints the crawl
and rebuild wall times, rebuild posts per second (target: >= 200 on this machine's
cores), the time of the extraction pass alone, and whether ``records.jsonl``, the
Markdown files and the manifest came out byte for byte the same. Exit status 1 if
they did not.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout, not installed
    sys.path.insert(0, str(ROOT))

from ise_archive.extract import ExtractOptions  # noqa: E402
from ise_archive.warc.readahead import prepare_extraction  # noqa: E402
from ise_archive.warc.rebuild import rebuild, stored_run  # noqa: E402
from tests.e2e.crawl import dataset_files, read_records, run_crawl  # noqa: E402
from tests.wayback.server import WaybackServer  # noqa: E402
from tests.wayback.synthetic import generate_archive  # noqa: E402

#: Replay concurrency as in benchmarks/crawl.py: the crawl is only the set-up here.
FAST = {"ISE_ARCHIVE_REPLAY_CONCURRENCY": "8", "LOG_LEVEL": "WARNING"}


def bench(n_posts: int, seed: int, workers: int | None, workdir: Path) -> bool:
    archive = generate_archive(n_posts, seed)
    source, out = workdir / "crawled", workdir / "rebuilt"
    print(f"== {n_posts} posts (seed {seed}): {len(archive)} captures")
    with WaybackServer(archive) as server:
        started = time.monotonic()
        crawl = run_crawl(server.base_url, source, timeout=3600, **FAST)
        crawl_s = time.monotonic() - started
    if crawl.returncode != 0:
        print(f"crawl failed ({crawl.returncode}):\n{crawl.stderr[-3000:]}")
        return False
    posts = len(read_records(source))
    warc = sum(p.stat().st_size for p in (source / "warc").glob("*.warc.gz"))
    print(
        f"crawl              {crawl_s:7.1f} s, {posts} posts, WARC {warc / 1e6:.1f} MB"
    )
    started = time.monotonic()
    status = rebuild(source, out, workers=workers)
    rebuild_s = time.monotonic() - started
    cores = workers or os.cpu_count() or 1
    print(
        f"rebuild            {rebuild_s:7.1f} s = {posts / rebuild_s:6.1f} posts/s "
        f"({cores} extraction processes, exit {status})"
    )
    _, _, options = stored_run(source / "warc")
    started = time.monotonic()
    prepared = prepare_extraction(
        source / "warc", ExtractOptions(**options), workers=workers
    )
    extract_s = time.monotonic() - started
    print(
        f"  extraction pass  {extract_s:7.1f} s = {len(prepared) / extract_s:6.1f} "
        f"pages/s ({len(prepared)} pages)"
    )
    before, after = dataset_files(source), dataset_files(out)
    same = before == after
    print(f"identical dataset  {'yes' if same else 'NO'} ({len(before)} files)")
    if not same:
        for name in sorted(set(before) | set(after)):
            if before.get(name) != after.get(name):
                print(f"  differs: {name}")
    return status == 0 and same


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, help="default: one per CPU core")
    parser.add_argument("--keep", type=Path, help="keep the datasets here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ise-bench-") as scratch:
        workdir = args.keep or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        ok = bench(args.posts, args.seed, args.workers, workdir)
    print("\nall checks passed" if ok else "\nCHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
