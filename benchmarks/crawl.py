"""Benchmark: the real ``scrapy crawl ise_blog`` over a synthetic archive of N posts.

Run from the repository root::

    python benchmarks/crawl.py [--posts 2000] [--seed 1]
    python benchmarks/crawl.py --sizes 250,1000,2000,8000
    python benchmarks/crawl.py --faults [--scale 10]   # 429s and 503s all along

A synthetic archive (:func:`tests.wayback.synthetic.generate_archive`: several
captures per post in the dev corpus's page families, listings, the feed) is served
by the local Wayback imitation from a thread of this process, and the crawl runs as
a subprocess with politeness relaxed (``tests/e2e/crawl.py``'s settings, replay
concurrency 8). One crawl runs at a time; its memory is read from
``/proc/<pid>/status`` (peak = ``VmHWM``, see :class:`RssSampler`). Per run it
prints: posts found against the ground truth, replay fetches per post split by page
family (attachments too: fetches and rescued bytes per post), CDX requests,
pages/s, wall time and RSS by crawl phase, peak RSS; then it checks
``records.jsonl`` against
:func:`~tests.wayback.synthetic.synthetic_posts` (every URL once, title, author,
published, node id, body) and prints every mismatch. With ``--sizes`` it ends with
a table showing whether time and memory grow with N. With ``--warc-compare
[--repeats 3]`` it crawls the same archive with WARC output on and off, interleaved,
and prints the median and spread of wall and CPU time, the slowdown, the WARC
writer's own time and the WARC (and WACZ) bytes per post. Exit status 1 if any
check failed.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout, not installed
    sys.path.insert(0, str(ROOT))

from benchmarks.faults import (  # noqa: E402
    FAULTS,
    fault_settings,
    measure,
    print_faults,
)
from ise_archive.attachments.discovery import (  # noqa: E402
    IMAGE_EXTENSIONS,
    is_site_file,
)
from ise_archive.normalize.urls import classify_url  # noqa: E402
from tests.e2e.crawl import crawl_command, last_report, read_records  # noqa: E402
from tests.wayback.server import RequestRecord, WaybackServer  # noqa: E402
from tests.wayback.synthetic import (  # noqa: E402
    EASTERN,
    SyntheticPost,
    generate_archive,
    synthetic_posts,
)

#: On top of tests/e2e/crawl.py's relaxed politeness: more replay in flight.
FAST = {
    "ISE_ARCHIVE_REPLAY_CONCURRENCY": "8",
    "CONCURRENT_REQUESTS": "16",
    # milliseconds in the log, so the phases can be timed
    "LOG_FORMAT": "%(asctime)s.%(msecs)03d [%(name)s] %(levelname)s: %(message)s",
}
#: A crawl that takes longer is killed and reported as hung.
TIMEOUT_S = 900
# /web/20111006123456id_/http://www.ise.gov/blog/a/b
_REPLAY = re.compile(r"^/web/\d{1,14}[a-z]{0,2}_?/(?P<url>.+)$")
# 2026-11-23 20:31:50.123 [spiders.ise_blog] INFO: Phase: posts
_LOG_LINE = re.compile(
    r"^(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) \[(?P<name>[^\]]+)\] "
    r"\w+: (?P<message>.*)$"
)
#: Log messages that open a span of the run, in the order they appear.
_MILESTONES = (
    ("Spider opened", "cdx"),
    ("Phase: listings", "listings"),
    ("Phase: posts", "posts"),
    ("Phase: nodes", "nodes"),
    ("Phase: attachments", "attachments"),
    ("Closing spider", "dataset"),
)
# VmHWM:\t  104000 kB   VmRSS:\t  102400 kB
_VM_HWM = re.compile(r"^VmHWM:\s+(\d+) kB", re.MULTILINE)
_VM_RSS = re.compile(r"^VmRSS:\s+(\d+) kB", re.MULTILINE)
IMAGE_SUFFIXES = tuple(IMAGE_EXTENSIONS)
FAMILIES = ("post", "print", "listing/feed", "attachment", "other")


@dataclass(frozen=True, slots=True)
class Span:
    """One phase of a run (from the log) and the highest RSS sampled during it."""

    name: str
    seconds: float
    peak_rss_mb: float


@dataclass(frozen=True, slots=True)
class Process:
    """How one crawl process ended and what it cost."""

    returncode: int
    wall_s: float
    peak_rss_mb: float
    spans: list[Span]
    log: Path


@dataclass
class RssSampler:
    """Polls a process's ``/proc/<pid>/status``: RSS by phase, and its peak.

    The peak is the kernel's ``VmHWM`` of the crawl's own address space (it starts
    afresh at ``exec``). ``ru_maxrss`` from ``wait4``/``getrusage(RUSAGE_CHILDREN)``
    is no good here: Linux carries the *parent's* high-water mark across the
    child's ``exec`` (``setmax_mm_hiwater_rss`` on the vfork-shared mm), so a crawl
    started from this process, which holds the synthetic archive and the request
    log, reports this process's size (203 MB for N=8000 after two smaller sizes,
    while the crawl itself never passed 120 MB). Only growth in the last
    ``interval_s`` before exit can be missed.
    """

    pid: int
    interval_s: float = 0.05
    samples: list[tuple[datetime, float]] = field(default_factory=list)
    peak_mb: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> RssSampler:
        threading.Thread(target=self._run, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        status = Path(f"/proc/{self.pid}/status")
        while not self._stop.wait(self.interval_s):
            try:
                text = status.read_text()
            except OSError:  # the process is gone (or this is not Linux)
                return
            rss, hwm = _VM_RSS.search(text), _VM_HWM.search(text)
            if rss and hwm:  # both absent once the process is a zombie
                self.samples.append((datetime.now(), int(rss[1]) / 1024))
                self.peak_mb = max(self.peak_mb, int(hwm[1]) / 1024)


def run_crawl_measured(
    base_url: str,
    output_dir: Path,
    *args: str,
    timeout_s: float = TIMEOUT_S,
    **settings: str,
) -> Process:
    """Run one crawl, alone, sampling its memory; kill it if it hangs."""
    log = output_dir.with_name(output_dir.name + ".log")
    command = crawl_command(base_url, output_dir, *args, **{**FAST, **settings})
    started = time.monotonic()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        sampler = RssSampler(process.pid).start()
        try:
            returncode = process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            returncode = process.wait()
            print(f"HUNG: killed after {timeout_s} s; log: {log}")
        finally:
            sampler.stop()
    wall = time.monotonic() - started
    return Process(
        returncode=returncode,
        wall_s=wall,
        peak_rss_mb=sampler.peak_mb,
        spans=phase_spans(log, sampler.samples),
        log=log,
    )


def phase_spans(log: Path, samples: list[tuple[datetime, float]]) -> list[Span]:
    """Each span of the run from the log's milestone lines, with its peak RSS."""
    marks: list[tuple[str, datetime]] = [("start-up", datetime.min)]
    last: datetime | None = None
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        match = _LOG_LINE.match(line)
        if not match:
            continue
        at = datetime.strptime(match["at"], "%Y-%m-%d %H:%M:%S.%f")
        last = at
        for text, name in _MILESTONES:
            if match["message"].startswith(text):
                marks.append((name, at))
    if last is None:
        return []
    ends = [at for _, at in marks[1:]] + [datetime.max]
    spans = []
    for (name, begin), end in zip(marks, ends, strict=True):
        rss = [mb for at, mb in samples if begin <= at < end]
        seconds = (
            (min(end, last) - begin).total_seconds() if begin != datetime.min else 0
        )
        spans.append(Span(name, round(seconds, 2), max(rss, default=0.0)))
    return spans


@dataclass(frozen=True, slots=True)
class Requests:
    """The requests the archive saw during one crawl, by pool and page family."""

    cdx: int
    replay: Counter[str]
    repeated: dict[str, int]
    statuses: Counter[int]

    @property
    def fetches(self) -> int:
        return sum(self.replay.values())


def count_requests(log: Sequence[RequestRecord]) -> Requests:
    """Split the server's request log: CDX pages, and replay fetches by family."""
    replay: Counter[str] = Counter()
    paths: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    cdx = 0
    for record in log:
        statuses[record.status] += 1
        if record.pool == "cdx":
            cdx += 1
            continue
        match = _REPLAY.match(record.path)
        if record.pool != "replay" or not match:
            continue
        paths[record.path] += 1
        replay[_family(match["url"])] += 1
    repeated = {path: n for path, n in paths.items() if n > 1}
    return Requests(cdx=cdx, replay=replay, repeated=repeated, statuses=statuses)


def _family(url: str) -> str:
    if is_site_file(url) or url.lower().endswith(IMAGE_SUFFIXES):
        return "attachment"
    kind = classify_url(url)
    if kind in ("listing", "feed"):
        return "listing/feed"
    return kind if kind in ("post", "print") else "other"


def check_records(
    records: list[dict[str, Any]], truth: list[SyntheticPost]
) -> list[str]:
    """Every ground-truth post exactly once, with its fields; one line per problem."""
    problems = []
    expected = {post.url: post for post in truth}
    seen = Counter(record["url"] for record in records)
    problems += [f"twice ({n}x): {url}" for url, n in seen.items() if n > 1]
    problems += [f"missing: {url}" for url in expected if url not in seen]
    problems += [f"not a synthetic post: {url}" for url in seen if url not in expected]
    for record in records:
        post = expected.get(record["url"])
        if post is None:
            continue
        wanted = {
            "title": post.title,
            "author": post.author,
            # the instant, as the page shows it: a time the generator drew in the
            # spring-forward gap (02:30 -05:00) is printed as 03:30 -04:00
            "published": post.published.astimezone(UTC).astimezone(EASTERN).isoformat(),
            "nid": post.nid,
            "body_markdown": post.body_text,
        }
        for name, value in wanted.items():
            got = record.get(name)
            if isinstance(got, str):
                got = got.strip()
            if got != value:
                problems.append(f"{name} of {post.url}: {got!r} != {value!r}")
    return problems


@dataclass(frozen=True, slots=True)
class SizeResult:
    posts: int
    process: Process
    requests: Requests
    records: int
    problems: list[str]
    #: Bytes of the distinct files rescued into files/ (images and attachments).
    attachment_bytes: int = 0

    @property
    def ok(self) -> bool:
        return self.process.returncode == 0 and not self.problems


def attachment_bytes(records: Sequence[dict[str, Any]]) -> int:
    """Bytes of the distinct rescued files the records name."""
    sizes = {
        a["path"]: a["size"]
        for record in records
        for a in record.get("attachments", ())
        if not a.get("missing")
    }
    return sum(sizes.values())


def bench_size(n_posts: int, seed: int, workdir: Path) -> SizeResult:
    """Generate, serve and crawl one synthetic archive of ``n_posts`` posts."""
    started = time.monotonic()
    archive = generate_archive(n_posts, seed)
    print(
        f"\n== {n_posts} posts (seed {seed}): {len(archive)} captures, "
        f"built in {time.monotonic() - started:.1f} s"
    )
    output_dir = workdir / f"out-{n_posts}"
    with WaybackServer(archive) as server:
        process = run_crawl_measured(server.base_url, output_dir)
        requests = count_requests(list(server.requests_log))
    truth = synthetic_posts(n_posts, seed)
    records = read_records(output_dir) if process.returncode == 0 else []
    every = read_records(output_dir, completeness=None) if records else []
    problems = check_records(records, truth) if records else ["no records.jsonl"]
    result = SizeResult(
        n_posts,
        process,
        requests,
        len(records),
        problems,
        attachment_bytes(every),
    )
    print_size(result)
    return result


def print_size(result: SizeResult) -> None:
    process, requests, n = result.process, result.requests, result.posts
    print(f"exit status        {process.returncode}")
    if process.returncode != 0:
        tail = process.log.read_text(encoding="utf-8", errors="replace")
        print("  " + "\n  ".join(tail.splitlines()[-30:]))
    print(f"posts found        {result.records} of {n} (ground truth)")
    print(
        f"replay fetches     {requests.fetches} = {requests.fetches / n:.3f} per post"
    )
    for family in FAMILIES:
        count = requests.replay[family]
        print(f"  {family:<16} {count:>6}   {count / n:.3f} per post")
    print(f"  fetched twice    {len(requests.repeated):>6}")
    print(
        f"attachments        {requests.replay['attachment'] / n:.3f} fetches per post, "
        f"{result.attachment_bytes / n:,.0f} bytes per post"
    )
    print(f"CDX requests       {requests.cdx}")
    print(f"HTTP statuses      {dict(sorted(requests.statuses.items()))}")
    print(
        f"wall time          {process.wall_s:.1f} s, "
        f"{requests.fetches / process.wall_s:.1f} pages/s, "
        f"{n / process.wall_s:.1f} posts/s"
    )
    for span in process.spans:
        seconds = f"{span.seconds:>6.1f} s" if span.seconds else " " * 8
        print(f"  {span.name:<16} {seconds}   peak RSS {span.peak_rss_mb:>6.1f} MB")
    print(
        f"peak RSS           {process.peak_rss_mb:.1f} MB "
        f"({process.peak_rss_mb * 1024 / n:.1f} kB/post)"
    )
    if result.problems:
        print(f"MISMATCHES         {len(result.problems)}")
        for problem in result.problems[:50]:
            print(f"  {problem}")
    else:
        print("records.jsonl      every post once, all fields as the ground truth")
    for path, count in list(requests.repeated.items())[:20]:
        print(f"  fetched {count}x: {path}")


#: The crawl's evidence cost in its stats dump (``LOG_LEVEL=INFO``): the WARC writer's
#: records, bytes and seconds (spiders/evidence.py), the WACZ's seconds.
_WRITTEN = re.compile(r"'ise_archive/warc/written': (\{[^}]*\})")
_WACZ_S = re.compile(r"'ise_archive/warc/wacz_seconds': ([0-9.]+)")


@dataclass
class WarcRun:
    """One crawl of the WARC comparison."""

    label: str
    wall_s: float
    cpu_s: float
    returncode: int
    warc_bytes: int
    wacz_bytes: int
    written: dict[str, float]
    wacz_s: float


def bench_warc(n_posts: int, seed: int, workdir: Path, repeats: int = 3) -> bool:
    """Crawl one archive ``repeats`` times with WARC output on and as often off,
    interleaved (on/off, then off/on, ...), so the machine's other load falls on both
    alike. Reports the median and the spread of wall and CPU time (the crawl
    process's user + system time: what the evidence costs, whatever else runs), the
    time the WARC writer itself took (in-process), and the bytes per post."""
    archive = generate_archive(n_posts, seed)
    print(
        f"\n== WARC on/off, {n_posts} posts (seed {seed}): {len(archive)} captures, "
        f"{repeats} interleaved runs each"
    )
    runs: list[WarcRun] = []
    for turn in range(repeats):
        order = [("on", "True"), ("off", "False")]
        for label, enabled in order if turn % 2 == 0 else order[::-1]:
            output_dir = workdir / f"warc-{label}-{turn}-{n_posts}"
            run = _warc_run(archive, output_dir, label, enabled)
            runs.append(run)
            print(
                f"WARC {label:<3} wall {run.wall_s:6.1f} s  CPU {run.cpu_s:6.1f} s  "
                f"exit {run.returncode}  WARC {run.warc_bytes / 1e6:6.2f} MB = "
                f"{run.warc_bytes / n_posts / 1e3:5.1f} kB/post  writer "
                f"{run.written.get('seconds', 0):5.2f} s for "
                f"{int(run.written.get('records', 0))} records  WACZ "
                f"{run.wacz_bytes / 1e6:5.2f} MB in {run.wacz_s:4.2f} s"
            )
    print_warc_summary(runs)
    return all(run.returncode == 0 for run in runs)


def _warc_run(archive: Any, output_dir: Path, label: str, enabled: str) -> WarcRun:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with WaybackServer(archive) as server:
        process = run_crawl_measured(
            server.base_url,
            output_dir,
            ISE_ARCHIVE_WARC_ENABLED=enabled,
            LOG_LEVEL="INFO",  # for the stats dump; alike on and off
        )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    log = process.log.read_text(encoding="utf-8", errors="replace")
    written = _WRITTEN.search(log)
    wacz_s = _WACZ_S.search(log)
    wacz = output_dir / "ise-archive.wacz"
    return WarcRun(
        label=label,
        wall_s=process.wall_s,
        cpu_s=cpu,
        returncode=process.returncode,
        warc_bytes=sum(
            p.stat().st_size for p in (output_dir / "warc").glob("*.warc.gz")
        ),
        wacz_bytes=wacz.stat().st_size if wacz.exists() else 0,
        written=ast.literal_eval(written[1]) if written else {},
        wacz_s=float(wacz_s[1]) if wacz_s else 0.0,
    )


def print_warc_summary(runs: list[WarcRun]) -> None:
    """Median and spread (min-max) on and off; the overhead of the medians."""
    on = [r for r in runs if r.label == "on"]
    off = [r for r in runs if r.label == "off"]
    for what in ("wall_s", "cpu_s"):
        values = {
            label: sorted(getattr(r, what) for r in group)
            for label, group in (("on", on), ("off", off))
        }
        mid = {label: statistics.median(v) for label, v in values.items()}
        spread = {label: f"{v[0]:.1f}-{v[-1]:.1f}" for label, v in values.items()}
        print(
            f"{what[:-2]:<5} median on {mid['on']:6.1f} s ({spread['on']}), off "
            f"{mid['off']:6.1f} s ({spread['off']}): "
            f"{100 * (mid['on'] / mid['off'] - 1):+.1f} % (target < 10 %)"
        )
    writer = statistics.median(r.written.get("seconds", 0.0) for r in on)
    wacz = statistics.median(r.wacz_s for r in on)
    cpu_off = statistics.median(r.cpu_s for r in off)
    print(
        f"in-process: WARC writer {writer:.2f} s + WACZ {wacz:.2f} s (medians) = "
        f"{100 * (writer + wacz) / cpu_off:.1f} % of the CPU time of a crawl "
        "without WARC"
    )


def print_table(results: list[SizeResult]) -> None:
    print(
        f"\n{'N':>6} {'wall s':>7} {'pages/s':>8} {'fetch/post':>10} "
        f"{'post fetch/post':>15} {'CDX':>5} {'peak RSS MB':>11} {'RSS kB/post':>11} "
        f"{'ok':>3}"
    )
    for r in results:
        n, fetches = r.posts, r.requests.fetches
        print(
            f"{n:>6} {r.process.wall_s:>7.1f} {fetches / r.process.wall_s:>8.1f} "
            f"{fetches / n:>10.3f} {r.requests.replay['post'] / n:>15.3f} "
            f"{r.requests.cdx:>5} {r.process.peak_rss_mb:>11.1f} "
            f"{r.process.peak_rss_mb * 1024 / n:>11.1f} {'yes' if r.ok else 'NO':>3}"
        )


def bench_faults(n_posts: int, seed: int, workdir: Path, scale: float) -> bool:
    """Fault mode (:mod:`benchmarks.faults`): one crawl meeting 429s and 503s."""
    archive = generate_archive(n_posts, seed)
    print(f"\n== {n_posts} posts (seed {seed}), fault mode: {len(archive)} captures")
    output_dir = workdir / f"faults-{n_posts}"
    with WaybackServer(archive) as server:
        server.faults.configure(FAULTS)
        started = time.monotonic()
        # at the default rates the floor alone is about half an hour
        process = run_crawl_measured(
            server.base_url,
            output_dir,
            timeout_s=max(TIMEOUT_S, 7200 / scale),
            **fault_settings(scale),
        )
        log = list(server.requests_log)
    records = read_records(output_dir) if process.returncode == 0 else []
    problems = check_records(records, synthetic_posts(n_posts, seed))
    print(f"exit status        {process.returncode}")
    print(f"posts found        {len(records)} of {n_posts}; {len(problems)} mismatches")
    report = last_report(output_dir) if (output_dir / "runs").exists() else {}
    result = measure(
        log,
        wall_s=process.wall_s,
        scale=scale,
        report=report,
        ended_at=started + process.wall_s,
    )
    print_faults(result, scale)
    return process.returncode == 0 and not problems and result.ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--sizes", help="comma-separated N to crawl in turn, e.g. 250,1000,2000"
    )
    parser.add_argument(
        "--keep", type=Path, help="write the datasets and logs here (kept)"
    )
    parser.add_argument(
        "--warc-compare",
        action="store_true",
        help="crawl with WARC output on and off: slowdown and WARC bytes per post",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="--warc-compare: interleaved runs with WARC on, and as many off",
    )
    parser.add_argument(
        "--faults",
        action="store_true",
        help="fault mode: 429 on 5 %% and 503 on 2 %% of requests, at the "
        "configured rates (x --scale), pauses shortened (benchmarks/faults.py)",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="fault mode: the default rates times this (1 = the defaults)",
    )
    args = parser.parse_args(argv)
    if args.warc_compare:
        with tempfile.TemporaryDirectory(prefix="ise-bench-") as scratch:
            workdir = args.keep or Path(scratch)
            workdir.mkdir(parents=True, exist_ok=True)
            ok = bench_warc(args.posts, args.seed, workdir, args.repeats)
        return 0 if ok else 1
    if args.faults:
        with tempfile.TemporaryDirectory(prefix="ise-bench-") as scratch:
            workdir = args.keep or Path(scratch)
            workdir.mkdir(parents=True, exist_ok=True)
            ok = bench_faults(args.posts, args.seed, workdir, args.scale)
        print("\ntargets met" if ok else "\nTARGETS NOT MET")
        return 0 if ok else 1
    sizes = [int(n) for n in args.sizes.split(",")] if args.sizes else [args.posts]
    with tempfile.TemporaryDirectory(prefix="ise-bench-") as scratch:
        workdir = args.keep or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        results = [bench_size(n, args.seed, workdir) for n in sizes]
    if len(results) > 1:
        print_table(results)
    ok = all(r.ok for r in results)
    print("\nall checks passed" if ok else "\nCHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
