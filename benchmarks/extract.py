"""Benchmark: our extractor against trafilatura on the dev fixture corpus.

Run from the repository root::

    python benchmarks/extract.py [--rounds 3]

Every non-empty capture of ``tests/fixtures/dev/`` (posts, print pages and non-post
pages, raw ``id_`` bytes and Wayback replay copies) goes through
``ise_archive.extract.extract`` and through ``trafilatura.extract(...,
output_format="markdown", with_metadata=True)``: one warm-up pass (not timed),
then ``--rounds`` timed passes. It prints ms/page (median, p95), pages/s and the
throughput ratio, then accuracy on the post pages against the gold records: title
exact, author exact, published day correct, and the share of the gold body's word
tokens that the extracted body recovers.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout, not installed
    sys.path.insert(0, str(ROOT))

from ise_archive.errors import ExtractionError  # noqa: E402
from ise_archive.extract import extract  # noqa: E402
from ise_archive.records import Post  # noqa: E402

DEV = ROOT / "tests" / "fixtures" / "dev"
WORD = re.compile(r"\w+")
# trafilatura's metadata header: 'title: "Social Media..."', "date: 2011-04-10"
FRONT_MATTER = re.compile(r"\A---\n(?P<head>.*?)\n---\n?", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Page:
    name: str
    body: bytes
    url: str
    timestamp: str
    headers: dict[str, str]
    gold: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Reading:
    """What one extractor said about one post page, reduced to what we score."""

    title: str = ""
    author: str = ""
    day: str = ""
    body: str = ""


def load_pages() -> list[Page]:
    """Every capture with bytes, raw and replayed; gold attached to post pages."""
    pages = []
    for line in (DEV / "index.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        gold = None
        if row["kind"] in ("post", "print") and row.get("post_id"):
            gold_path = DEV / "gold" / f"{row['post_id']}.json"
            gold = json.loads(gold_path.read_text(encoding="utf-8"))
        forms = [(row["cid"], DEV / "captures" / f"{row['cid']}.bin")]
        forms.append((f"{row['cid']}-replay", DEV / "replay" / f"{row['cid']}.html"))
        for name, path in forms:
            if path.exists() and path.stat().st_size:
                pages.append(
                    Page(
                        name=name,
                        body=path.read_bytes(),
                        url=row["original"],
                        timestamp=row["timestamp"],
                        headers=row.get("headers") or {},
                        gold=gold,
                    )
                )
    return pages


def run_ours(page: Page) -> Post | None:
    try:
        result = extract(
            page.body, url=page.url, timestamp=page.timestamp, headers=page.headers
        )
    except ExtractionError:
        return None
    return result if isinstance(result, Post) else None


def run_trafilatura(page: Page) -> str | None:
    import trafilatura

    return trafilatura.extract(
        page.body, url=page.url, output_format="markdown", with_metadata=True
    )


def read_ours(result: Post | None) -> Reading:
    if result is None:
        return Reading()
    published = result.published
    day = published.date() if isinstance(published, datetime) else published
    return Reading(
        title=result.title,
        author=result.author,
        day=day.isoformat() if isinstance(day, date) else "",
        body=result.body_markdown,
    )


def read_trafilatura(output: str | None) -> Reading:
    if not output:
        return Reading()
    match = FRONT_MATTER.match(output)
    head: dict[str, str] = {}
    if match:
        for line in match.group("head").splitlines():
            key, _, value = line.partition(": ")
            value = value.strip()
            if value.startswith('"'):
                try:
                    value = json.loads(value)
                except ValueError:
                    value = value.strip('"')
            head[key] = value
    return Reading(
        title=head.get("title", ""),
        author=head.get("author", ""),
        day=head.get("date", "")[:10],
        body=output[match.end() :] if match else output,
    )


def time_runs(
    run: Callable[[Page], Any], pages: list[Page], rounds: int
) -> tuple[list[float], float, list[Any]]:
    """Per-page times in ms over ``rounds`` passes after one untimed warm-up."""
    results = [run(page) for page in pages]  # warm-up: imports, caches, JIT-free
    times: list[float] = []
    started = time.perf_counter()
    for _ in range(rounds):
        for page in pages:
            t0 = time.perf_counter()
            run(page)
            times.append((time.perf_counter() - t0) * 1000)
    return times, time.perf_counter() - started, results


def recall(gold_text: str, extracted: str) -> float:
    gold = Counter(w.lower() for w in WORD.findall(gold_text))
    got = Counter(w.lower() for w in WORD.findall(extracted))
    total = sum(gold.values())
    return sum(min(n, got[w]) for w, n in gold.items()) / total if total else 1.0


def score(readings: list[Reading], pages: list[Page]) -> dict[str, float]:
    scored = [(r, p.gold) for r, p in zip(readings, pages, strict=True) if p.gold]
    n = len(scored)
    return {
        "title exact": sum(r.title == g["title"] for r, g in scored) / n,
        "author exact": sum(r.author == g["author"] for r, g in scored) / n,
        "published day": sum(r.day == g["published"][:10] for r, g in scored) / n,
        "body tokens recovered": sum(recall(g["body_text"], r.body) for r, g in scored)
        / n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed passes")
    args = parser.parse_args()
    pages = load_pages()
    posts = sum(1 for p in pages if p.gold)
    print(
        f"{len(pages)} pages ({posts} post/print pages with gold):"
        f" one warm-up pass, then {args.rounds} timed passes\n"
    )

    ours_t, ours_s, ours = time_runs(run_ours, pages, args.rounds)
    rows = [
        (
            "ise_archive.extract",
            ours_t,
            ours_s,
            score(list(map(read_ours, ours)), pages),
        )
    ]
    try:
        traf_t, traf_s, traf = time_runs(run_trafilatura, pages, args.rounds)
    except ImportError as exc:
        print(f"trafilatura unavailable ({exc}); install the 'bench' extra\n")
    else:
        traf_score = score(list(map(read_trafilatura, traf)), pages)
        rows.append(("trafilatura (markdown+meta)", traf_t, traf_s, traf_score))

    count = len(pages) * args.rounds
    print(f"{'extractor':<28} {'median ms':>10} {'p95 ms':>8} {'pages/s':>9}")
    for name, times, seconds, _ in rows:
        p95 = statistics.quantiles(times, n=20)[18]
        print(
            f"{name:<28} {statistics.median(times):>10.2f} {p95:>8.2f}"
            f" {count / seconds:>9.0f}"
        )
    if len(rows) == 2:
        print(
            f"\nthroughput ratio (ours / trafilatura): {rows[1][2] / rows[0][2]:.1f}x"
        )

    print(f"\naccuracy on {posts} post pages")
    metrics = list(rows[0][3])
    print(f"{'metric':<24}" + "".join(f" {name[:27]:>28}" for name, *_ in rows))
    for metric in metrics:
        print(f"{metric:<24}" + "".join(f" {r[3][metric]:>28.1%}" for r in rows))


if __name__ == "__main__":
    main()
