"""Checks that a record, or a whole written dataset, is what we promise.

:func:`validate_record` checks one record against the shipped JSON Schema, so the
pipeline can refuse a bad record before it reaches ``records.jsonl``.
:func:`validate_dataset` re-reads a dataset the way a stranger would: every record
against the schema, every manifest checksum, every record's Markdown file (and no
Markdown file without a record). It reports problems as values; it never repairs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match

from ise_archive.dataset.checksums import file_sha256
from ise_archive.dataset.paths import (
    CARD_FILE,
    DATAPACKAGE_FILE,
    FILES_DIR,
    MANIFEST_FILE,
    POSTS_DIR,
    RECORDS_FILE,
    SCHEMA_FILE,
    WACZ_FILE,
    WARC_DIR,
    post_markdown_path,
    safe_join,
)
from ise_archive.errors import DatasetError, UnsafePath
from ise_archive.markdown.local import local_targets
from ise_archive.records import Post, parse_published

logger = logging.getLogger(__name__)

_MAX_MESSAGE = 300
_LOCAL_DEF = "#/$defs/"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a dataset: where (a path, ``:line`` in records), what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def records_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one record, as shipped in the package."""
    return json.loads(records_schema_bytes())


def records_schema_bytes() -> bytes:
    """The shipped schema file, byte for byte (the dataset carries a copy)."""
    return resources.files("ise_archive").joinpath(SCHEMA_FILE).read_bytes()


class RecordValidator:
    """The shipped schema, compiled once: a fast verdict, jsonschema's messages.

    jsonschema interprets the schema anew for every record (2.0 ms per record of the
    2,000-post synthetic crawl, 40 % of a ``rebuild``); fastjsonschema turns it into
    Python code once (0.4 ms). That code decides only that a record is valid: a
    record it refuses is checked again by jsonschema, whose verdict and message
    stand (the two agree on every record the tests try, and where they could ever
    differ, jsonschema is the one the ``validate`` command and readers use). The
    compiled check uses Python's ``re`` and jsonschema's own format checkers, so
    ``pattern`` and ``format`` mean the same in both.
    """

    def __init__(self) -> None:
        schema = inline_local_refs(records_schema())
        checker = Draft202012Validator.FORMAT_CHECKER
        self.reference = Draft202012Validator(schema, format_checker=checker)
        self._compiled = fastjsonschema.compile(
            rare_branches_last(schema),
            formats={name: _format_check(checker, name) for name in _formats(schema)},
            use_default=False,  # a check must not fill defaults into the record
        )

    def passes_compiled(self, data: Any) -> bool:
        """The compiled check alone (tests compare it with jsonschema's)."""
        try:
            self._compiled(data)
        except fastjsonschema.JsonSchemaValueException:
            return False
        return True

    def iter_errors(self, data: Any) -> Iterator[ValidationError]:
        """jsonschema's errors for ``data``; none, quickly, for a valid record."""
        if self.passes_compiled(data):
            return iter(())
        return self.reference.iter_errors(data)

    def is_valid(self, data: Any) -> bool:
        """Whether jsonschema finds ``data`` valid (asked only if the compiled check
        refuses it)."""
        return self.passes_compiled(data) or self.reference.is_valid(data)


def record_validator() -> RecordValidator:
    """A validator for records, with format checks; build it once per batch.

    It checks the shipped schema with its local references written out in place
    (:func:`inline_local_refs`): the same rules and the same error messages, but
    jsonschema no longer resolves a ``$ref`` for every URL and timestamp of every
    capture, which made validation 40 % slower (2.0 ms per record of the 2,000-post
    synthetic crawl of ``benchmarks/crawl.py``, against 1.2 ms); and it is compiled
    (:class:`RecordValidator`).
    """
    return RecordValidator()


def _formats(schema: Any) -> set[str]:
    """Every ``format`` named anywhere in ``schema``."""
    if isinstance(schema, list):
        return set().union(*map(_formats, schema)) if schema else set()
    if not isinstance(schema, dict):
        return set()
    found = {schema["format"]} if isinstance(schema.get("format"), str) else set()
    return found.union(*map(_formats, schema.values()))


def _format_check(checker: FormatChecker, name: str) -> Callable[[Any], bool]:
    """jsonschema's check of format ``name`` (True for a format it does not check,
    as jsonschema does: ``uri`` without ``rfc3987`` installed)."""

    def check(value: Any) -> bool:
        return checker.conforms(value, name)

    return check


def inline_local_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with each ``{"$ref": "#/$defs/<name>"}`` replaced by the definition.

    A reference with sibling keywords becomes ``allOf: [definition]`` next to them,
    which is what draft 2020-12 means by it. A definition that refers to itself
    (directly or not) and any other reference are left as they are, and so is
    ``$defs``, so those still resolve.

    >>> inline_local_refs({"$defs": {"d": {"type": "string"}},
    ...                    "properties": {"a": {"$ref": "#/$defs/d", "minLength": 1}}})
    ... # doctest: +NORMALIZE_WHITESPACE
    {'$defs': {'d': {'type': 'string'}},
     'properties': {'a': {'allOf': [{'type': 'string'}], 'minLength': 1}}}
    """
    defs = schema.get("$defs", {})

    def inline(node: Any, expanding: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [inline(item, expanding) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        name = ref[len(_LOCAL_DEF) :] if _is_local_def(ref) else None
        if name not in defs or name in expanding:
            return {key: inline(value, expanding) for key, value in node.items()}
        target = inline(defs[name], (*expanding, name))
        rest = {k: inline(v, expanding) for k, v in node.items() if k != "$ref"}
        return {"allOf": [target], **rest} if rest else target

    return {
        key: value if key == "$defs" else inline(value, ())
        for key, value in schema.items()
    }


def rare_branches_last(schema: Any) -> Any:
    """``schema`` with the ``null`` and ``const`` branches of every ``anyOf`` last.

    ``anyOf`` holds whatever its order, but the compiled check tries the branches
    in order and raises (and catches) an exception for each that fails, which
    costs more than the check itself. Most values are not the empty case
    (``nid`` is a number, ``warc`` an object, ``author_url`` a URL), so asking
    for it last halves the compiled check's time (0.41 -> 0.22 s for 2,000
    records). Only the compiled copy is reordered; the shipped file is not.

    >>> rare_branches_last({"anyOf": [{"type": "null"}, {"type": "integer"}]})
    {'anyOf': [{'type': 'integer'}, {'type': 'null'}]}
    """
    if isinstance(schema, list):
        return [rare_branches_last(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    reordered = {key: rare_branches_last(value) for key, value in schema.items()}
    if isinstance(reordered.get("anyOf"), list):
        reordered["anyOf"] = sorted(reordered["anyOf"], key=_is_empty_case)
    return reordered


def _is_empty_case(branch: Any) -> bool:
    """A branch that admits only ``null`` or one constant (``""``)."""
    return isinstance(branch, dict) and (
        branch.get("type") == "null" or set(branch) == {"const"}
    )


def _is_local_def(ref: object) -> bool:
    return isinstance(ref, str) and ref.startswith(_LOCAL_DEF)


def validate_record(
    data: Mapping[str, Any], validator: RecordValidator | None = None
) -> None:
    """Raise :class:`DatasetError` naming the failing field if ``data`` is invalid.

    >>> validate_record({"kind": "post"})
    Traceback (most recent call last):
    ...
    ise_archive.errors.DatasetError: at $: 'url' is a required property
    """
    error = best_match((validator or record_validator()).iter_errors(data))
    if error is not None:
        raise DatasetError(describe_error(error))


def describe_error(error: ValidationError) -> str:
    """``at $.captures[0].timestamp: '2011' does not match ...``, kept short."""
    where = "$" + "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}"
        for part in error.absolute_path
    )
    message = error.message
    if len(message) > _MAX_MESSAGE:
        message = message[: _MAX_MESSAGE - 3] + "..."
    return f"at {where}: {message}"


def validate_dataset(output_dir: Path) -> list[Problem]:
    """Every problem found in the dataset under ``output_dir``; empty means valid."""
    if not output_dir.is_dir():
        return [Problem(str(output_dir), "is not a directory")]
    problems = list(manifest_problems(output_dir))
    expected_md: set[str] = set()
    problems += _records_problems(output_dir, expected_md)
    problems += _markdown_problems(output_dir, expected_md)
    problems += _package_problems(output_dir)
    problems += unlisted_files(output_dir)
    logger.info(
        "Validated %(dir)s: %(n)d problem(s)", {"dir": output_dir, "n": len(problems)}
    )
    return problems


@dataclass(frozen=True)
class Completeness:
    """Whether the run that wrote a dataset finished (the manifest's ``crawl``)."""

    complete: bool
    reason: str = ""
    run_id: str | None = None
    started: str | None = None


def dataset_completeness(output_dir: Path) -> Completeness | None:
    """What the manifest says about its run; None when it does not say (or no
    readable manifest: :func:`validate_dataset` reports that)."""
    manifest = _load_json(output_dir / MANIFEST_FILE)
    crawl = manifest.get("crawl") if isinstance(manifest, dict) else None
    if not isinstance(crawl, dict) or not isinstance(crawl.get("complete"), bool):
        return None
    return Completeness(
        complete=crawl["complete"],
        reason=str(crawl.get("incomplete_reason") or ""),
        run_id=crawl.get("run_id"),
        started=crawl.get("started"),
    )


def manifest_problems(output_dir: Path) -> Iterator[Problem]:
    """Every file of the manifest that is missing or whose bytes changed."""
    manifest = _load_json(output_dir / MANIFEST_FILE)
    if isinstance(manifest, Problem):
        yield manifest
        return
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, list):
        yield Problem(MANIFEST_FILE, "has no 'files' list")
        return
    for entry in files:
        if not isinstance(entry, dict) or not {"path", "sha256", "size"} <= set(entry):
            yield Problem(MANIFEST_FILE, f"malformed files entry {entry!r}")
            continue
        yield from _file_entry_problems(output_dir, entry)


def _file_entry_problems(output_dir: Path, entry: dict[str, Any]) -> Iterator[Problem]:
    name = str(entry["path"])
    try:
        path = safe_join(output_dir, name)
    except UnsafePath as exc:
        yield Problem(MANIFEST_FILE, f"lists an unsafe path: {exc}")
        return
    if not path.is_file():
        yield Problem(name, "is listed in the manifest but missing")
        return
    sha256, size = file_sha256(path)
    if size != entry["size"]:
        yield Problem(name, f"has {size} bytes, the manifest says {entry['size']}")
    elif sha256 != entry["sha256"]:
        yield Problem(name, "does not match its SHA-256 in the manifest (modified?)")


def unlisted_files(output_dir: Path) -> list[Problem]:
    """Dataset files the manifest does not list, so no checksum vouches for them:
    a manifest edited or cut short, or under ``files/`` a file no record uses (a
    mirror kept without ``rsync --delete``, or one put there by hand). Only the
    dataset's own names count; anything else a user keeps beside it is theirs."""
    manifest = _load_json(output_dir / MANIFEST_FILE)
    entries = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(entries, list):
        return []  # reported by manifest_problems
    listed = {str(e.get("path")) for e in entries if isinstance(e, dict)}
    problems = []
    for path in _dataset_files(output_dir):
        name = path.relative_to(output_dir).as_posix()
        if name in listed:
            continue
        why = "no record uses it" if name.startswith(f"{FILES_DIR}/") else "unchecked"
        problems.append(Problem(name, f"is not listed in the manifest ({why})"))
    return problems


def _dataset_files(output_dir: Path) -> list[Path]:
    """The files a dataset writes: its fixed files, Markdown, closed WARC files,
    the WACZ and the rescued files (a ``.open`` WARC is a killed run's, recovered
    by the next one)."""
    fixed = (RECORDS_FILE, SCHEMA_FILE, DATAPACKAGE_FILE, CARD_FILE, WACZ_FILE)
    found = [output_dir / name for name in fixed]
    found += (output_dir / POSTS_DIR).rglob("*.md")
    found += (output_dir / WARC_DIR).glob("*.warc.gz")
    found += (output_dir / FILES_DIR).rglob("*")
    return sorted(path for path in found if path.is_file())


def _records_problems(output_dir: Path, expected_md: set[str]) -> list[Problem]:
    path = output_dir / RECORDS_FILE
    if not path.is_file():
        return [Problem(RECORDS_FILE, "is missing")]
    problems: list[Problem] = []
    validator = record_validator()
    urls: set[str] = set()
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            where = f"{RECORDS_FILE}:{number}"
            try:
                data = json.loads(decode_record_line(raw))
            except UnicodeDecodeError as exc:
                problems.append(Problem(where, f"is not UTF-8: {exc.reason}"))
                continue
            except json.JSONDecodeError as exc:
                problems.append(Problem(where, f"is not JSON: {exc}"))
                continue
            error = best_match(validator.iter_errors(data))
            if error is not None:
                problems.append(Problem(where, describe_error(error)))
            url = data.get("url") if isinstance(data, dict) else None
            if not isinstance(url, str):
                continue
            if url in urls:
                problems.append(Problem(where, f"repeats the URL {url}"))
                continue
            urls.add(url)
            post = Post(url=url, title="", published=_published(data.get("published")))
            post_markdown_path(post, expected_md)
            problems += _attachment_problems(output_dir, where, data)
    return problems


def _attachment_problems(
    output_dir: Path, where: str, data: dict[str, Any]
) -> list[Problem]:
    """Each rescued attachment of a record is a file with the sha256 it states."""
    problems = []
    for attachment in data.get("attachments") or ():
        if not isinstance(attachment, dict) or not attachment.get("path"):
            continue
        name = str(attachment["path"])
        try:
            path = safe_join(output_dir, name)
        except UnsafePath as exc:
            problems.append(Problem(where, f"attachment path {exc}"))
            continue
        if not path.is_file():
            problems.append(Problem(name, f"is an attachment of {where} but missing"))
        elif file_sha256(path)[0] != attachment.get("sha256"):
            problems.append(
                Problem(name, f"does not match the sha256 {where} states (modified?)")
            )
    return problems


def decode_record_line(raw: bytes) -> str:
    """One line of records.jsonl as text; :class:`UnicodeDecodeError` if not UTF-8.

    Lines are read as bytes and decoded one by one, so a file with a Latin-1 or
    binary line is reported line by line instead of stopping the whole check.
    """
    return raw.decode("utf-8")


def _published(value: object) -> date | None:
    """``published`` of a possibly invalid record, for its Markdown file's folder."""
    try:
        return parse_published(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _markdown_problems(output_dir: Path, expected_md: set[str]) -> list[Problem]:
    found = {
        str(PurePosixPath(*p.relative_to(output_dir).parts))
        for p in (output_dir / POSTS_DIR).rglob("*.md")
        if not p.name.startswith(".")
    }
    problems = [
        Problem(name, "record has no Markdown file") for name in expected_md - found
    ]
    problems += [
        Problem(name, "Markdown file has no record") for name in found - expected_md
    ]
    root = output_dir.resolve()
    for name in sorted(found):
        document = output_dir / name
        text = document.read_text(encoding="utf-8", errors="replace")
        for target in local_targets(text):
            resolved = (document.parent / target).resolve()
            if not resolved.is_relative_to(root) or not resolved.is_file():
                problems.append(Problem(name, f"links to {target}, which is missing"))
    return sorted(problems, key=lambda p: p.path)


def _package_problems(output_dir: Path) -> list[Problem]:
    problems: list[Problem] = []
    if not (output_dir / SCHEMA_FILE).is_file():
        problems.append(Problem(SCHEMA_FILE, "is missing"))
    package = _load_json(output_dir / DATAPACKAGE_FILE)
    if isinstance(package, Problem):
        return [*problems, package]
    resources_ = package.get("resources") if isinstance(package, dict) else None
    if not isinstance(resources_, list) or not resources_:
        return [*problems, Problem(DATAPACKAGE_FILE, "lists no resources")]
    for resource in resources_:
        name = resource.get("path") if isinstance(resource, dict) else None
        if not isinstance(name, str) or not (output_dir / name).is_file():
            problems.append(
                Problem(DATAPACKAGE_FILE, f"resource path {name!r} does not exist")
            )
    return problems


def _load_json(path: Path) -> Any:
    name = path.name
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Problem(name, "is missing")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Problem(name, f"cannot be read as JSON: {exc}")
