"""The ``ise-archive`` command: extract, validate and export, without a crawl.

``ise-archive extract PATH...`` turns saved captures into records (JSON Lines, one
object per input, ``--pretty`` for indented JSON; ``-`` reads standard input),
``ise-archive validate DIR`` checks a dataset, ``ise-archive export --parquet DIR``
adds a Parquet copy of the records and ``ise-archive demo`` runs a real crawl against
the local Wayback imitation. The crawl itself is ``scrapy crawl ise_blog``.

Every error a person can cause is one line on stderr, ``ise-archive: <what>: <why>``,
and an exit code of the project's one table (:data:`EXIT_CODES_HELP`); a traceback
appears only with ``--debug``. Each subcommand lives in its own ``_run_*`` function so
new subcommands slot in without touching the others.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ise_archive import __version__
from ise_archive.errors import DamagedWarc, IseArchiveError
from ise_archive.exit_codes import EXIT_CODE_HELP, ExitCode

#: The project's one table (ise_archive.exit_codes), with argparse's 2 in its place.
EXIT_CODES_HELP = (
    "exit codes (the same table for `scrapy crawl ise_blog`):\n"
    + "\n".join(
        f"  {int(code):>3}  {text}"
        for code, text in sorted(
            [
                *((int(c), t) for c, t in EXIT_CODE_HELP.items()),
                (2, "usage error reported by argparse or Scrapy (never ours)"),
            ]
        )
    )
    + "\n"
)

#: Problems of one kind ``validate`` lists before it summarises the rest.
DEFAULT_MAX_PROBLEMS = 10
# 20111006123456: a Wayback capture time, exactly yyyyMMddhhmmss
_TIMESTAMP = re.compile(r"[0-9]{14}")
# "records.jsonl:17: is not JSON: ..." -> kind "records.jsonl: is not JSON"
_DIGITS = re.compile(r"[0-9]+")

logger = logging.getLogger(__name__)


class CommandError(Exception):
    """An error the user can fix: printed as one line, exits with ``code``."""

    def __init__(self, message: str, code: int = ExitCode.CONFIG) -> None:
        super().__init__(message)
        self.code = code


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="ise-archive: %(levelname)s: %(message)s",
    )
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return int(run(args))
    except CommandError as exc:
        _error(str(exc))
        return exc.code
    except KeyboardInterrupt:
        _error("interrupted")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # the reader (| head) went away: not an error worth a traceback
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return ExitCode.OK
    except Exception as exc:
        if debug:
            raise
        _error(
            f"internal error: {type(exc).__name__}: {exc} (a bug: run again with "
            "--debug for the traceback and report it)"
        )
        return ExitCode.INTERNAL


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="log details and show tracebacks",
    )
    parser = argparse.ArgumentParser(
        prog="ise-archive",
        description="Rescue the ise.gov blog from web archives (library commands; "
        "the crawl is `scrapy crawl ise_blog`).",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    parser.add_argument(
        "--version", action="version", version=f"ise-archive {__version__}"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for add in (_add_extract, _add_validate, _add_export, _add_demo):
        add(commands, common)
    _add_evidence_commands(commands, common)
    return parser


def _subparser(
    commands: Any, name: str, common: argparse.ArgumentParser, help_text: str
) -> argparse.ArgumentParser:
    return commands.add_parser(
        name,
        help=help_text,
        description=help_text,
        parents=[common],
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _error(message: str) -> None:
    sys.stderr.write(f"ise-archive: {message}\n")


# --- extract -------------------------------------------------------------------------


def _add_extract(commands: Any, common: argparse.ArgumentParser) -> None:
    extract = _subparser(
        commands, "extract", common, "extract records from saved archived pages"
    )
    extract.add_argument(
        "paths", nargs="+", metavar="PATH", help="saved page; '-' reads stdin"
    )
    extract.add_argument(
        "--url",
        help="the page's original URL: the record's url and capture.original "
        "(else read from the page)",
    )
    extract.add_argument(
        "--timestamp", help="capture time, 14 digits YYYYMMDDhhmmss (else from page)"
    )
    extract.add_argument(
        "--headers",
        type=Path,
        metavar="FILE",
        help="original HTTP headers: a JSON object or 'Name: value' lines",
    )
    extract.add_argument(
        "--pretty", action="store_true", help="indented JSON instead of JSON Lines"
    )
    extract.set_defaults(run=_run_extract)


def _run_extract(args: argparse.Namespace) -> int:
    from ise_archive.extract import PostPage

    url = _checked_url(args.url) if args.url else None
    timestamp = _checked_timestamp(args.timestamp) if args.timestamp else None
    headers = _read_headers(args.headers) if args.headers else None
    if args.paths.count("-") > 1:
        raise CommandError("'-' (standard input) can be given only once")
    status = ExitCode.OK
    unreadable = 0
    for name in args.paths:
        try:
            body = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
            page = PostPage(body, url=url, timestamp=timestamp, headers=headers)
            result = _extract_page(page, url)
        except OSError as exc:
            _error(f"{name}: cannot read: {exc.strerror or exc}")
            status, unreadable = ExitCode.FAILED, unreadable + 1
            continue
        except IseArchiveError as exc:
            _error(f"{name}: {type(exc).__name__}: {exc}")
            status = ExitCode.FAILED
            continue
        data = result.to_json()
        text = json.dumps(data, ensure_ascii=False, indent=2 if args.pretty else None)
        sys.stdout.write(text + "\n")
    # no path could be read at all: the command could not start (a bad path)
    return ExitCode.CONFIG if unreadable == len(args.paths) else status


def _extract_page(page: Any, url: str | None) -> Any:
    """``page.to_item()``, except that ``--url`` also names the record.

    The library takes a post's URL from the page's canonical link first (a
    ``/node/<nid>`` capture is named after its post); a person who passes ``--url``
    says which post this is, so a post URL given there wins, and the record's
    ``url`` and ``capture.original`` agree.
    """
    from dataclasses import replace

    import lxml.html

    from ise_archive.archive.archives import parse_archive
    from ise_archive.markdown.converter import render_markdown
    from ise_archive.normalize.urls import canonical_post_url
    from ise_archive.records import Post

    reading = page.read()
    item = reading.item
    if not isinstance(item, Post) or reading.fields is None:
        return item
    named = canonical_post_url(url) if url else None
    if named:
        item = replace(item, url=named)
    body = reading.fields.body
    body_html = lxml.html.tostring(body, encoding="unicode") if body is not None else ""
    archive = parse_archive(page.options.archive_base_url)
    return render_markdown(item, body_html, archive)


def _checked_timestamp(value: str) -> str:
    """``value`` if it is a real Wayback capture time, else a CommandError."""
    try:
        if not _TIMESTAMP.fullmatch(value):
            raise ValueError
        datetime.strptime(value, "%Y%m%d%H%M%S")
    except ValueError:
        raise CommandError(
            f"--timestamp {value!r}: not a capture time; give 14 digits "
            "YYYYMMDDhhmmss, e.g. 20111006123456"
        ) from None
    return value


def _checked_url(value: str) -> str:
    from ise_archive.normalize.urls import is_site_url

    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CommandError(
            f"--url {value!r}: not an http(s) URL; give the page's original URL, "
            "e.g. http://www.ise.gov/blog/<author>/<slug>"
        )
    if not is_site_url(value.strip()):
        raise CommandError(
            f"--url {value!r}: not an ise.gov URL; give the page's original URL on "
            "ise.gov, e.g. http://www.ise.gov/blog/<author>/<slug>"
        )
    return value.strip()


def _read_headers(path: Path) -> dict[str, str]:
    """Headers from a JSON object, or from ``Name: value`` lines (curl -D style).

    Anything else (binary, a JSON array or string, text without a header line) is
    refused: silently extracting without the headers would hide the mistake.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"--headers {path}: cannot read: {exc.strerror}") from exc
    hint = 'give a JSON object like {"Content-Type": "text/html; charset=utf-8"}'
    try:
        if b"\x00" in data:
            raise UnicodeDecodeError("utf-8", data, 0, 1, "NUL byte")
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CommandError(
            f"--headers {path}: not a text file (binary?); {hint}"
        ) from None
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
        if text.lstrip().startswith(("{", "[")):
            raise CommandError(f"--headers {path}: malformed JSON; {hint}") from None
    if parsed is not None:
        if not isinstance(parsed, dict):
            kind = type(parsed).__name__
            raise CommandError(f"--headers {path}: JSON {kind}, not an object; {hint}")
        return {str(k): str(v) for k, v in parsed.items()}
    headers: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip() and not name.startswith(("HTTP/", " ", "\t")):
            headers[name.strip()] = value.strip()
    if not headers:
        raise CommandError(f"--headers {path}: no 'Name: value' line; {hint}")
    return headers


# --- validate ------------------------------------------------------------------------


def _add_validate(commands: Any, common: argparse.ArgumentParser) -> None:
    validate = _subparser(
        commands,
        "validate",
        common,
        "check a dataset directory: records against the schema, manifest "
        "checksums, Markdown files, and whether the run that wrote it finished",
    )
    validate.add_argument("output_dir", type=Path, metavar="OUTPUT_DIR")
    validate.add_argument(
        "--strict",
        action="store_true",
        help="an incomplete dataset (its run did not finish) fails with exit 1",
    )
    validate.add_argument(
        "--json", action="store_true", help="one JSON object with every problem"
    )
    validate.add_argument(
        "--max-problems",
        type=int,
        default=DEFAULT_MAX_PROBLEMS,
        metavar="N",
        help=f"problems of one kind to list (default {DEFAULT_MAX_PROBLEMS}; 0: all)",
    )
    validate.set_defaults(run=_run_validate)


@dataclass(frozen=True, slots=True)
class _Verdict:
    problems: list[Any]
    complete: bool | None
    reason: str


def _run_validate(args: argparse.Namespace) -> int:
    from ise_archive.dataset.validation import dataset_completeness, validate_dataset

    directory: Path = args.output_dir
    if not directory.is_dir():
        raise CommandError(
            f"{directory}: not a directory; give a dataset directory "
            "(the crawl's OUTPUT_DIR)"
        )
    completeness = dataset_completeness(directory)
    verdict = _Verdict(
        validate_dataset(directory),
        completeness.complete if completeness else None,
        completeness.reason if completeness else "",
    )
    if args.json:
        _print_validation_json(directory, verdict, strict=args.strict)
    else:
        _print_validation_text(directory, verdict, args.max_problems)
    incomplete = verdict.complete is not True
    if incomplete and not args.json:
        what = (
            f"the run that wrote it did not finish ({verdict.reason})"
            if verdict.complete is False
            else "its manifest does not say whether its run finished"
        )
        _error(
            f"warning: {directory}: {what}: posts may be missing; run the crawl "
            "again to complete it" + ("" if args.strict else " (--strict fails)")
        )
    if verdict.problems or (args.strict and incomplete):
        return ExitCode.FAILED
    return ExitCode.OK


def _print_validation_text(directory: Path, verdict: _Verdict, cap: int) -> None:
    shown: Counter[str] = Counter()
    for problem in verdict.problems:
        kind = _problem_kind(problem)
        shown[kind] += 1
        if cap <= 0 or shown[kind] <= cap:
            sys.stdout.write(f"{problem}\n")
    for kind, n in shown.items():
        if 0 < cap < n:
            sys.stdout.write(f"… and {n - cap:,} more like '{kind}'\n")
    if verdict.problems:
        hidden = sum(n - cap for n in shown.values() if 0 < cap < n)
        more = f" ({hidden:,} not listed: --max-problems 0 lists all)" if hidden else ""
        _error(f"{directory}: invalid: {len(verdict.problems):,} problem(s){more}")
    else:
        state = {False: " but incomplete", None: ", completeness unknown"}
        sys.stdout.write(f"{directory}: valid{state.get(verdict.complete, '')}\n")


def _problem_kind(problem: Any) -> str:
    """Problems that differ only in a line number or a file name are one kind."""
    where = str(problem.path).split(":", 1)[0].split("/", 1)[0]
    what = _DIGITS.sub("N", str(problem.message).split(":", 1)[0])
    return f"{where}: {what}"


def _print_validation_json(directory: Path, verdict: _Verdict, *, strict: bool) -> None:
    document = {
        "directory": str(directory),
        "valid": not verdict.problems,
        "complete": verdict.complete,
        "incomplete_reason": verdict.reason or None,
        "strict": strict,
        "problem_count": len(verdict.problems),
        "problems": [{"path": p.path, "message": p.message} for p in verdict.problems],
    }
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


# --- export --------------------------------------------------------------------------


def _add_export(commands: Any, common: argparse.ArgumentParser) -> None:
    export = _subparser(commands, "export", common, "write other formats of a dataset")
    export.add_argument("output_dir", type=Path, metavar="OUTPUT_DIR")
    export.add_argument(
        "--parquet", action="store_true", required=True, help="write records.parquet"
    )
    export.set_defaults(run=_run_export)


def _run_export(args: argparse.Namespace) -> int:
    from ise_archive.dataset.export import export_parquet

    if not args.output_dir.is_dir():
        raise CommandError(
            f"{args.output_dir}: not a directory; give a dataset directory "
            "(the crawl's OUTPUT_DIR)"
        )
    try:
        target = export_parquet(args.output_dir)
    except IseArchiveError as exc:
        raise CommandError(f"{args.output_dir}: {exc}") from exc
    except OSError as exc:
        where = exc.filename or args.output_dir
        raise CommandError(
            f"{where}: cannot write the export: {exc.strerror or exc}", ExitCode.IO
        ) from exc
    sys.stdout.write(f"{target}\n")
    return ExitCode.OK


# --- verify, rebuild (the WARC evidence) ---------------------------------------------


def _add_evidence_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    """``verify`` and ``rebuild``: the commands that work from the stored WARCs."""
    verify = _subparser(
        commands,
        "verify",
        common,
        "re-hash every WARC payload and every dataset file (manifest.json), and "
        "check each rescued file against its WARC record",
    )
    verify.add_argument("output_dir", type=Path, metavar="OUTPUT_DIR")
    verify.set_defaults(run=_run_verify)

    rebuild = _subparser(
        commands,
        "rebuild",
        common,
        "rebuild the dataset from its stored WARC files, offline",
    )
    rebuild.add_argument("output_dir", type=Path, metavar="OUTPUT_DIR")
    rebuild.add_argument(
        "--out", type=Path, metavar="DIR", help="write it here (default: OUTPUT_DIR)"
    )
    rebuild.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="extraction processes beside the crawl (default: one per CPU core but "
        "the one the crawl runs on, at least one)",
    )
    rebuild.set_defaults(run=_run_rebuild)


def _run_rebuild(args: argparse.Namespace) -> int:
    """The crawl's own exit status; EXIT_CONFIG when there is nothing to rebuild
    from; EXIT_FAILED when a WARC file is damaged (nothing is built from it)."""
    from ise_archive.config import writable_directory
    from ise_archive.dataset.paths import WARC_DIR
    from ise_archive.warc.rebuild import rebuild

    if args.workers is not None and args.workers < 1:
        _error(f"--workers {args.workers}: must be >= 1")
        return ExitCode.CONFIG
    if not args.output_dir.is_dir():
        _error(f"{args.output_dir}: not a directory")
        return ExitCode.CONFIG
    try:
        if args.out is not None:
            writable_directory(args.out, "--out")
        return rebuild(
            args.output_dir, args.out or args.output_dir, workers=args.workers
        )
    except DamagedWarc as exc:  # the evidence, not the program: say which, and how
        _error(
            f"{args.output_dir / WARC_DIR / exc.filename}: {exc.reason}; run "
            f"`ise-archive verify {args.output_dir}`: a damaged WARC file cannot be "
            "rebuilt from"
        )
        return ExitCode.FAILED
    except IseArchiveError as exc:
        _error(f"{args.output_dir}: {exc}")
        return ExitCode.CONFIG


def _run_verify(args: argparse.Namespace) -> int:
    """Exit 1 when a WARC record or a manifest file does not match its digest."""
    from ise_archive.dataset.paths import WARC_DIR
    from ise_archive.dataset.validation import manifest_problems, unlisted_files
    from ise_archive.warc.files import file_evidence_problems
    from ise_archive.warc.reader import verify_warcs, warc_files
    from ise_archive.warc.writer import open_leftovers

    output_dir: Path = args.output_dir
    if not output_dir.is_dir():
        _error(f"{output_dir}: not a directory")
        return ExitCode.CONFIG
    warc_dir = output_dir / WARC_DIR
    problems = [(f"{WARC_DIR}/{p.path}", p.message) for p in verify_warcs(warc_dir)]
    problems += [(p.path, p.message) for p in manifest_problems(output_dir)]
    problems += [(p.path, p.message) for p in unlisted_files(output_dir)]
    problems += [(p.path, p.message) for p in file_evidence_problems(output_dir)]
    for leftover in open_leftovers(warc_dir):
        sys.stdout.write(
            f"{WARC_DIR}/{leftover.name}: note: left open by an interrupted run, not "
            "part of the dataset and not verified (the next crawl or rebuild keeps "
            "its records)\n"
        )
    for where, message in problems:
        sys.stdout.write(f"{where}: {message}\n")
    if problems:
        _error(f"{output_dir}: {len(problems)} mismatch(es)")
        return ExitCode.FAILED
    count = len(warc_files(warc_dir))
    sys.stdout.write(f"{output_dir}: verified ({count} WARC file(s) and manifest)\n")
    return ExitCode.OK


# --- demo ----------------------------------------------------------------------------


def _add_demo(commands: Any, common: argparse.ArgumentParser) -> None:
    demo = _subparser(
        commands,
        "demo",
        common,
        "crawl the local Wayback imitation (offline, about 10 s): starts it, runs "
        "`scrapy crawl ise_blog` against it, stops it, prints where the dataset is "
        "(needs the source checkout, installed with `pip install -e .`)",
    )
    demo.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="dataset directory (default: a new temporary directory, printed)",
    )
    demo.set_defaults(run=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    from ise_archive.demo import DemoError, run_demo

    try:
        return run_demo(args.out, debug=bool(getattr(args, "debug", False)))
    except DemoError as exc:
        raise CommandError(str(exc), exc.code) from exc
