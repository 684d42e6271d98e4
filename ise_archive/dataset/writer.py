"""Writing the dataset under OUTPUT_DIR: records, Markdown tree, descriptions, manifest.

Guarantees, because the dataset is rewritten every night and read by strangers:

* **Atomic files.** Every file is written to a hidden temporary name in its own
  directory, flushed to disk, then ``os.replace``'d into place. Posts are *staged*
  while the (streamed) records arrive and only moved into place once the last one
  was read, so an error in the middle of the stream leaves the previous dataset
  untouched. The files of one commit are made durable together, before any of them
  is renamed (:func:`sync_to_disk`), and every rename before the manifest's is
  durable before the manifest is renamed: a crash never leaves a manifest that
  vouches for a file not on disk.
* **Quiet re-runs.** A file whose bytes would not change is not rewritten (its mtime
  stays), so an unchanged archive gives an unchanged dataset.
* **Determinism.** Output depends only on the records and :class:`RunInfo`: no clock
  (the run's time is kept from the previous write when nothing else changed), sorted
  keys where order carries no meaning, ``\\n`` line ends, UTF-8.
* **Containment.** Every path is checked with
  :func:`ise_archive.dataset.paths.safe_join`.

Layout (see docs/dataset.md): ``records.jsonl``, ``posts/<yyyy>/<mm>/<slug>.md``,
``schema/record.schema.json``, ``datapackage.json``, ``README.md``, ``manifest.json``.
``runs/`` and ``.state/`` belong to the crawler and are never touched here.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from ise_archive.attachments.captures import local_copies
from ise_archive.dataset.card import dumps_json, render_card, render_datapackage
from ise_archive.dataset.checksums import file_sha256
from ise_archive.dataset.manifest import (
    RunInfo,
    archives_used,
    crawl_block,
    crawl_of_content,
    file_list,
    plain_parameters,
    render_manifest,
)
from ise_archive.dataset.paths import (
    CARD_FILE,
    DATAPACKAGE_FILE,
    FILES_DIR,
    MANIFEST_FILE,
    POSTS_DIR,
    RECORDS_FILE,
    SCHEMA_FILE,
    post_markdown_path,
    safe_join,
)
from ise_archive.dataset.validation import (
    record_validator,
    records_schema,
    records_schema_bytes,
    validate_record,
)
from ise_archive.errors import DatasetError
from ise_archive.markdown.frontmatter import render_post_document
from ise_archive.markdown.local import localize_markdown
from ise_archive.records import Post, dumps_data

logger = logging.getLogger(__name__)


#: ``on_invalid(post, error)``: a record that does not match the schema, left out.
InvalidRecordHandler = Callable[[Post, DatasetError], None]
#: ``on_written(post, line)``: a record and its line of records.jsonl (with ``\n``).
WrittenRecordHandler = Callable[[Post, str], None]
#: ``evidence()``: called once the posts are in place; writes (or keeps) the
#: evidence files and returns their paths, relative to OUTPUT_DIR, for the manifest.
EvidenceHook = Callable[[], Iterable[str]]
#: Suffix of our temporary files; leftovers of a killed run are removed on start.
TEMP_SUFFIX = ".ise-tmp"


@dataclass(frozen=True, slots=True, kw_only=True)
class DatasetSummary:
    """What :func:`write_dataset` did, for logs and run reports."""

    posts: int
    files_written: int
    files_unchanged: int
    files_removed: int
    counts: Mapping[str, Any]


def write_dataset(
    output_dir: Path,
    posts: Iterable[Post],
    *,
    run: RunInfo,
    on_invalid: InvalidRecordHandler | None = None,
    on_written: WrittenRecordHandler | None = None,
    evidence: EvidenceHook | None = None,
) -> DatasetSummary:
    """Write (or update in place) the dataset of ``posts`` under ``output_dir``.

    ``posts`` must be sorted by (published, url) and is consumed once, as a stream:
    only file names and checksums are kept in memory. Each record is checked against
    the schema first, and is the only place it is: a record that fails is given to
    ``on_invalid`` and left out, or, without ``on_invalid``, raises
    :class:`DatasetError` and, like any error raised by the iterator, leaves the
    previous dataset as it was. ``on_written`` sees every record that goes in, with
    its line, so a caller can compare it with the previous dataset without
    serialising it again. ``evidence`` adds the WARC and WACZ files (see
    :data:`EvidenceHook`) to the manifest and the card.
    """
    # refuse bad parameters before writing anything
    parameters = plain_parameters(run.parameters)
    output_dir.mkdir(parents=True, exist_ok=True)
    files = _FileSet(output_dir.resolve())
    files.remove_stale_temps()
    try:
        counts, markdown = _stage_posts(files, posts, on_invalid, on_written)
        files.commit()
    finally:
        files.discard()
    removed = _remove_vanished_markdown(files.root, markdown)
    attachment_files = counts.pop("attachment_files")
    removed += _remove_unused_files(files.root, set(attachment_files))
    _list_attachment_files(files, attachment_files)
    evidence_files = sorted(evidence()) if evidence else []
    for name in evidence_files:
        files.entries[name] = file_sha256(safe_join(files.root, name))
    schema = records_schema()
    files.put(SCHEMA_FILE, records_schema_bytes())
    records_sha256, records_size = files.entries[RECORDS_FILE]
    archives = archives_used(run)
    package = render_datapackage(
        schema,
        records_sha256=records_sha256,
        records_size=records_size,
        source=run.source_archive,
        archives=archives,
    )
    files.put(DATAPACKAGE_FILE, dumps_json(package))
    manifest = render_manifest(run, parameters, counts, files.entries)
    manifest["crawl"] = crawl_of_content(files.root, manifest, crawl_block(run))
    card = render_card(
        counts,
        schema,
        tool=run.tool_version,
        source=run.source_archive,
        evidence=evidence_files,
        crawl=manifest["crawl"],
        archives=archives,
    )
    files.put(CARD_FILE, card.encode("utf-8"))
    manifest["files"] = file_list(files.entries)
    files.put(MANIFEST_FILE, dumps_json(manifest))
    files.sync_directories()
    summary = DatasetSummary(
        posts=counts["posts"],
        files_written=files.written,
        files_unchanged=files.unchanged,
        files_removed=removed,
        counts=counts,
    )
    logger.info(
        "Dataset %(dir)s: %(posts)d posts, %(w)d files written, %(u)d unchanged, "
        "%(r)d removed",
        {
            "dir": output_dir,
            "posts": summary.posts,
            "w": summary.files_written,
            "u": summary.files_unchanged,
            "r": summary.files_removed,
        },
    )
    return summary


def render_record_line(post: Post) -> str:
    """One line of records.jsonl for ``post``, newline included.

    U+2028/U+2029 are escaped (still the same JSON) so that readers splitting on
    Unicode line breaks, like Python's ``str.splitlines``, see one record per line.
    """
    return _record_line(post.to_json())


def _record_line(data: Mapping[str, Any]) -> str:
    line = dumps_data(data)
    return line.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n"


def _stage_posts(
    files: _FileSet,
    posts: Iterable[Post],
    on_invalid: InvalidRecordHandler | None,
    on_written: WrittenRecordHandler | None,
) -> tuple[dict[str, Any], set[str]]:
    validator = record_validator()
    counts: Counter[str] = Counter()
    by_year: Counter[str] = Counter()
    taken: set[str] = set()
    urls: set[str] = set()
    attachment_files: dict[str, str] = {}
    with files.stream(RECORDS_FILE) as write_record:
        for post in posts:
            data = post.to_json()  # once: validated, then written
            try:
                validate_record(data, validator)
            except DatasetError as exc:
                if on_invalid is None:
                    raise DatasetError(f"invalid record {post.url}: {exc}") from exc
                on_invalid(post, exc)
                continue
            if post.url in urls:
                raise DatasetError(f"two records share the URL {post.url}")
            urls.add(post.url)
            line = _record_line(data)
            write_record(line)
            if on_written is not None:
                on_written(post, line)
            path = post_markdown_path(post, taken)
            document = render_post_document(post)
            local = local_copies(post)
            if local:  # images and file links open the rescued copies, offline
                document = localize_markdown(document, local, str(path))
            files.stage(path, document.encode("utf-8"))
            counts["posts"] += 1
            counts["captures"] += len(post.captures)
            counts["versions"] += len(post.versions)
            counts["posts_with_several_versions"] += len(post.versions) > 1
            counts["posts_partial"] += post.completeness == "partial"
            for attachment in post.attachments:
                counts["attachments"] += 1
                counts["attachments_missing"] += attachment.missing
                if attachment.path:
                    attachment_files[attachment.path] = attachment.sha256
            by_year[str(post.published.year) if post.published else "undated"] += 1
    summary: dict[str, Any] = {
        key: counts[key]
        for key in (
            "posts",
            "captures",
            "versions",
            "posts_with_several_versions",
            "posts_partial",
            "attachments",
            "attachments_missing",
        )
    }
    summary["attachment_files"] = attachment_files
    summary["posts_by_year"] = dict(sorted(by_year.items()))
    summary["markdown_files"] = len(taken)
    return summary, taken


def _list_attachment_files(files: _FileSet, wanted: Mapping[str, str]) -> None:
    """Put the rescued files the records name in the manifest, checking that each
    on disk still has the sha256 its records state."""
    for path in sorted(wanted):
        entry = file_sha256(safe_join(files.root, path))
        if entry[0] != wanted[path]:
            raise DatasetError(
                f"{path} does not have the sha256 its records state "
                f"({entry[0]} != {wanted[path]})"
            )
        files.entries[path] = entry


def _remove_vanished_markdown(root: Path, keep: set[str]) -> int:
    """Delete Markdown files of posts no longer in the record set; prune empty dirs."""
    return _prune(
        root, POSTS_DIR, keep, lambda name: name.endswith(".md"), "its post is gone"
    )


def _remove_unused_files(root: Path, keep: set[str]) -> int:
    """Delete rescued files no record names any more; prune empty directories.

    An incremental run can leave a copy in ``files/`` that no record uses (a post
    now read from a newer capture links another version of a report, or no longer
    links it). The dataset is what its manifest lists, so that a mirror made with
    ``rsync --delete`` is exactly the dataset and a stray file is never mistaken for
    part of it: such a copy is removed, like the Markdown of a vanished post. Its
    bytes are not lost: the WARC ``file`` record it was saved from stays in
    ``warc/`` (earlier runs' files never change), and the crawl state still names
    it, so a record that needs it again gets it back on the next run.
    """
    return _prune(
        root,
        FILES_DIR,
        keep,
        lambda name: not name.startswith("."),
        "no record uses it (its WARC record stays)",
    )


def _prune(
    root: Path, folder: str, keep: set[str], ours: Callable[[str], bool], why: str
) -> int:
    """Delete the files under ``root/folder`` that ``ours`` claims and ``keep``
    does not list (paths relative to ``root``), then the directories left empty
    (``folder`` itself stays). Returns how many files went."""
    top = safe_join(root, folder)
    removed = 0
    for dirpath, _dirnames, filenames in os.walk(top, topdown=False):
        directory = Path(dirpath)
        for name in filenames:
            relative = PurePosixPath(*(directory / name).relative_to(root).parts)
            if ours(name) and str(relative) not in keep:
                safe_join(root, relative).unlink()
                logger.info("Removed %(path)s: %(why)s", {"path": relative, "why": why})
                removed += 1
        if directory != top and not any(directory.iterdir()):
            directory.rmdir()
    return removed


class _FileSet:
    """The files of one dataset write: staged temporaries, checksums, counters."""

    def __init__(self, root: Path) -> None:
        self.root = root
        #: path relative to root -> (sha256, size), for the manifest.
        self.entries: dict[str, tuple[str, int]] = {}
        self.written = 0
        self.unchanged = 0
        #: (temporary, target) of each file staged, as plain strings: a Path pair
        #: costs ~1.3 kB, which a first run of 100,000 posts would keep ~130 MB of.
        self._staged: list[tuple[str, str]] = []
        self._directories: set[str] = set()

    def stage(self, relative: PurePosixPath | str, data: bytes) -> None:
        """Prepare ``data`` for ``relative``; it goes into place at :meth:`commit`."""
        target = safe_join(self.root, relative)
        self.entries[str(relative)] = (hashlib.sha256(data).hexdigest(), len(data))
        if _same_bytes(target, data):
            self.unchanged += 1
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_temp_file(target, sync=False) as (handle, temp):
            handle.write(data)
        self._staged.append((os.fspath(temp), os.fspath(target)))

    def put(self, relative: str, data: bytes) -> None:
        """Write ``data`` to ``relative`` now (atomically, and only if it changed)."""
        self.stage(relative, data)
        if relative == MANIFEST_FILE:  # the manifest does not list itself
            del self.entries[relative]
        self.commit()

    @contextmanager
    def stream(self, relative: str) -> Iterator[Callable[[str], None]]:
        """Yield a ``write(text)`` for ``relative``; staged when the block succeeds.

        The file is hashed as it is written, so a records.jsonl of 100,000 posts is
        compared with the existing one without holding either in memory.
        """
        target = safe_join(self.root, relative)
        digest = hashlib.sha256()
        size = 0
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_temp_file(target, sync=False) as (handle, temp):

            def write(text: str) -> None:
                nonlocal size
                data = text.encode("utf-8")
                digest.update(data)
                size += len(data)
                handle.write(data)

            yield write
        entry = (digest.hexdigest(), size)
        self.entries[relative] = entry
        if _same_digest(target, entry):
            temp.unlink()
            self.unchanged += 1
        else:
            self._staged.append((os.fspath(temp), os.fspath(target)))

    def commit(self) -> None:
        """Move every staged file into place, once they and the renames before them
        are on disk."""
        if self._staged:
            sync_to_disk([temp for temp, _ in self._staged], sorted(self._directories))
            self._directories.clear()
        for temp, target in self._staged:
            os.replace(temp, target)
            self._directories.add(os.path.dirname(target))
            self.written += 1
        self._staged.clear()

    def discard(self) -> None:
        """Delete temporaries not committed (the write was interrupted)."""
        for temp, _target in self._staged:
            Path(temp).unlink(missing_ok=True)
        self._staged.clear()

    def remove_stale_temps(self) -> None:
        """Delete temporaries a killed run left behind (only in our directories)."""
        names = [(self.root, name) for name in os.listdir(self.root)]
        for top in (self.root / POSTS_DIR, self.root / "schema"):
            for dirpath, _dirnames, filenames in os.walk(top):
                names += [(Path(dirpath), name) for name in filenames]
        for directory, name in names:
            if name.startswith(".") and name.endswith(TEMP_SUFFIX):
                (directory / name).unlink(missing_ok=True)

    def sync_directories(self) -> None:
        """Make the renames so far durable (their directories' entries)."""
        if self._directories:
            sync_to_disk([], sorted(self._directories))
        self._directories.clear()


def sync_to_disk(files: list[str], directories: list[str]) -> None:
    """Make ``files`` and the entries of ``directories`` durable, all at once.

    One fsync per file cost 2 ms each (4.6 s of a 2,000-post ``rebuild``). On Linux
    ``sync()`` waits until every dirty page of the system is written, "the same
    guarantees as fsync() called on every file" (sync(2)), for the price of one:
    0.2-0.5 s for 2,000 files. Elsewhere (where ``sync()`` may return before the
    writes are done) each file and directory is fsync'ed.
    """
    if sys.platform.startswith("linux"):
        os.sync()
        return
    for path in files:
        _fsync_path(path, os.O_RDWR)  # Windows fsyncs only what may be written
    if os.name == "posix":  # directories cannot be opened for fsync on Windows
        for directory in directories:
            _fsync_path(directory, os.O_RDONLY)


def _fsync_path(path: str, flags: int) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_temp_file(
    target: Path, *, sync: bool = True
) -> Iterator[tuple[IO[bytes], Path]]:
    """A hidden temp file next to ``target``: fsync'ed on success (unless ``sync`` is
    false: the caller syncs it with others, :func:`sync_to_disk`), deleted on
    error."""
    fd, name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=TEMP_SUFFIX
    )
    os.chmod(name, 0o644)  # mkstemp's 0600 would hide the dataset from other users
    done = False
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle, Path(name)
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        done = True
    finally:
        if not done:
            Path(name).unlink(missing_ok=True)


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except FileNotFoundError:
        return False


def _same_digest(path: Path, entry: tuple[str, int]) -> bool:
    try:
        if path.stat().st_size != entry[1]:
            return False
        return file_sha256(path) == entry
    except FileNotFoundError:
        return False
