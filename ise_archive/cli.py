"""The ``ise-archive`` command: extract, validate and export, without a crawl.

``ise-archive extract PATH...`` turns saved captures into records (one JSON object per
line; a single page is printed indented), ``ise-archive validate DIR`` checks a
dataset, ``ise-archive export --parquet DIR`` adds a Parquet copy of the records. The
crawl itself is ``scrapy crawl ise_blog``.

Exit status: 0 when every input was read (non-posts included), 1 when some input could
not be read or a dataset is invalid, 2 for usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from ise_archive.errors import IseArchiveError


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    return int(args.run(args))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ise-archive",
        description="Rescue the ise.gov blog from web archives (library commands).",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    extract = commands.add_parser(
        "extract", help="extract records from saved archived pages"
    )
    extract.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    extract.add_argument("--url", help="the page's original URL (else read from page)")
    extract.add_argument(
        "--timestamp", help="capture time YYYYMMDDhhmmss (else read from the page)"
    )
    extract.add_argument(
        "--headers",
        type=Path,
        metavar="FILE",
        help="original HTTP headers: a JSON object or 'Name: value' lines",
    )
    extract.set_defaults(run=_run_extract)

    validate = commands.add_parser("validate", help="check a dataset directory")
    validate.add_argument("output_dir", type=Path, metavar="OUTPUT_DIR")
    validate.set_defaults(run=_run_validate)

    export = commands.add_parser("export", help="write other formats of a dataset")
    export.add_argument("output_dir", type=Path, metavar="OUTPUT_DIR")
    export.add_argument(
        "--parquet", action="store_true", required=True, help="write records.parquet"
    )
    export.set_defaults(run=_run_export)
    _add_evidence_commands(commands)
    return parser


def _add_evidence_commands(commands: argparse._SubParsersAction) -> None:
    """``verify`` and ``rebuild``: the commands that work from the stored WARCs."""
    verify = commands.add_parser(
        "verify",
        help="re-hash every WARC payload and every dataset file (manifest.json)",
    )
    verify.add_argument("output_dir", type=Path, metavar="OUTPUT_DIR")
    verify.set_defaults(run=_run_verify)


def _run_verify(args: argparse.Namespace) -> int:
    """Exit 1 when a WARC record or a manifest file does not match its digest."""
    from ise_archive.dataset.paths import WARC_DIR
    from ise_archive.dataset.validation import manifest_problems
    from ise_archive.warc.reader import verify_warcs, warc_files

    output_dir: Path = args.output_dir
    if not output_dir.is_dir():
        _error(f"{output_dir}: not a directory")
        return 3
    warc_dir = output_dir / WARC_DIR
    problems = [(f"{WARC_DIR}/{p.path}", p.message) for p in verify_warcs(warc_dir)]
    problems += [(p.path, p.message) for p in manifest_problems(output_dir)]
    for where, message in problems:
        sys.stdout.write(f"{where}: {message}\n")
    if problems:
        _error(f"{output_dir}: {len(problems)} mismatch(es)")
        return 1
    count = len(warc_files(warc_dir))
    sys.stdout.write(f"{output_dir}: verified ({count} WARC file(s) and manifest)\n")
    return 0


def _run_extract(args: argparse.Namespace) -> int:
    from ise_archive.extract import extract

    try:
        headers = _read_headers(args.headers) if args.headers else None
    except (OSError, ValueError) as exc:
        _error(f"{args.headers}: cannot read headers: {exc}")
        return 1
    status = 0
    single = len(args.paths) == 1
    for path in args.paths:
        try:
            body = path.read_bytes()
            result = extract(
                body, url=args.url, timestamp=args.timestamp, headers=headers
            )
        except OSError as exc:
            _error(f"{path}: {exc.strerror or exc}")
            status = 1
            continue
        except IseArchiveError as exc:
            _error(f"{path}: {type(exc).__name__}: {exc}")
            status = 1
            continue
        data = result.to_json()
        text = json.dumps(data, ensure_ascii=False, indent=2 if single else None)
        sys.stdout.write(text + "\n")
    return status


def _run_validate(args: argparse.Namespace) -> int:
    from ise_archive.dataset.validation import validate_dataset

    if not args.output_dir.is_dir():
        _error(f"{args.output_dir}: not a directory")
        return 1
    problems = validate_dataset(args.output_dir)
    for problem in problems:
        sys.stdout.write(f"{problem.path}: {problem.message}\n")
    if problems:
        _error(f"{args.output_dir}: {len(problems)} problem(s)")
        return 1
    sys.stdout.write(f"{args.output_dir}: valid\n")
    return 0


def _run_export(args: argparse.Namespace) -> int:
    from ise_archive.dataset.export import export_parquet

    try:
        target = export_parquet(args.output_dir)
    except (IseArchiveError, OSError) as exc:
        _error(f"{args.output_dir}: {exc}")
        return 1
    sys.stdout.write(f"{target}\n")
    return 0


def _read_headers(path: Path) -> dict[str, str]:
    """Headers from a JSON object, or from ``Name: value`` lines (curl -D style)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    stripped = text.lstrip()
    if stripped.startswith("{"):
        data = json.loads(stripped)
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        return {str(k): str(v) for k, v in data.items()}
    headers: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip() and not name.startswith(("HTTP/", " ", "\t")):
            headers[name.strip()] = value.strip()
    return headers


def _error(message: str) -> None:
    sys.stderr.write(f"ise-archive: {message}\n")
