"""The state database file: its tables, opening it, and write transactions.

:class:`ise_archive.store.state.State` holds every query that reads or writes crawl
progress. This module holds what lies beneath them: the tables (``SCHEMA``) and
their version, opening the file in WAL mode (creating the tables in a new file,
refusing one written by a newer version), the ``BEGIN IMMEDIATE`` transaction every
write runs in, and turning a ``captures`` row back into a
:class:`~ise_archive.records.Capture`. It knows nothing of runs or outcomes.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ise_archive.errors import StateError
from ise_archive.records import Capture

logger = logging.getLogger(__name__)

#: Bumped whenever a table changes; a newer database is refused, not guessed at.
SCHEMA_VERSION = 1

#: Where each fetched capture's bytes are kept and whether they matched the CDX
#: digest. Added to version 1 without a bump: older code never reads it, and it is
#: created in older databases when they are opened.
EVIDENCE_SCHEMA = """CREATE TABLE IF NOT EXISTS evidence (
    key TEXT PRIMARY KEY,
    warc_file TEXT,
    warc_offset INTEGER,
    verified INTEGER NOT NULL
)"""
#: What archived feeds and listings said of each post they listed (a
#: :class:`~ise_archive.records.Teaser` as JSON), one row per post and source
#: capture: the partial records of posts no archive kept a page of. Added to
#: version 1 the same way.
TEASERS_SCHEMA = """CREATE TABLE IF NOT EXISTS teasers (
    url TEXT NOT NULL,
    source TEXT NOT NULL,
    teaser_json TEXT NOT NULL,
    PRIMARY KEY (url, source)
)"""
#: Which archives hold each capture (``archive``: ``""`` for the main one, else the
#: archive's spec), in the order they are tried (``rank``), and which were tried
#: already (a fetch failed there), with the payload digest that archive's index
#: gives (a fetch is checked against the digest of the archive that served it).
#: Added to version 1 the same way; a database without it has only main-archive
#: captures.
HOLDERS_SCHEMA = """CREATE TABLE IF NOT EXISTS holders (
    key TEXT NOT NULL,
    archive TEXT NOT NULL,
    rank INTEGER NOT NULL,
    tried INTEGER NOT NULL DEFAULT 0,
    digest TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (key, archive)
)"""
#: Attachments (images and files of posts): the CDX rows of the file directories
#: (``file_captures``) and what became of each distinct file content fetched
#: (``files``: its saved copy, or why there is none, as JSON), so a later run
#: fetches only files not fetched before. Added to version 1 the same way.
FILES_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS file_captures (
    key TEXT PRIMARY KEY,
    timestamp TEXT NOT NULL,
    original TEXT NOT NULL,
    urlkey TEXT,
    mimetype TEXT,
    status TEXT,
    digest TEXT,
    length INTEGER,
    archive TEXT NOT NULL DEFAULT ''
)""",
    """CREATE TABLE IF NOT EXISTS files (
    fetch_key TEXT PRIMARY KEY,
    result_json TEXT NOT NULL
)""",
    # ISE_ARCHIVE_CHECK_LINKS: whether the CDX listed any capture of a link
    """CREATE TABLE IF NOT EXISTS link_checks (
    url TEXT PRIMARY KEY,
    archived INTEGER NOT NULL
)""",
)
SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL UNIQUE,
    parameters TEXT NOT NULL,
    report TEXT
);
CREATE TABLE captures (
    key TEXT PRIMARY KEY,
    timestamp TEXT NOT NULL,
    original TEXT NOT NULL,
    urlkey TEXT NOT NULL,
    mimetype TEXT NOT NULL,
    status TEXT NOT NULL,
    digest TEXT NOT NULL,
    length INTEGER,
    identity TEXT,
    nid INTEGER,
    first_run TEXT,
    outcome TEXT,
    outcome_run TEXT,
    post_url TEXT,
    post_json TEXT,
    archive TEXT NOT NULL DEFAULT '',
    rechecks INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX captures_identity ON captures (identity, timestamp, original);
CREATE INDEX captures_open ON captures (identity)
    WHERE outcome IS NULL OR outcome = 'fetching';
CREATE INDEX captures_post ON captures (post_url) WHERE post_url IS NOT NULL;
CREATE INDEX captures_nid ON captures (nid) WHERE nid IS NOT NULL;
CREATE TABLE aliases (nid INTEGER PRIMARY KEY, url TEXT NOT NULL);
CREATE INDEX aliases_url ON aliases (url);
CREATE TABLE posts (url TEXT PRIMARY KEY, sort_key TEXT NOT NULL);
CREATE INDEX posts_order ON posts (sort_key, url);
"""
#: The columns :func:`capture_from_db_row` reads, in its order.
CAPTURE_COLUMNS = (
    "timestamp, original, urlkey, mimetype, status, digest, length, archive"
)


def open_database(path: Path, *, timeout_s: float) -> sqlite3.Connection:
    """Open (or create) the database at ``path``, its tables ready.

    Raises :class:`StateError` when the file is not a database, is locked by
    another writer for longer than ``timeout_s``, or was written by a newer
    version of ise-archive.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StateError(f"cannot create {path.parent}: {exc}") from exc
    try:
        db = sqlite3.connect(
            path, timeout=timeout_s, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise StateError(f"cannot open state database {path}: {exc}") from exc
    try:
        _prepare(db, path)
    except sqlite3.DatabaseError as exc:
        db.close()
        raise StateError(f"state database {path} is unusable: {exc}") from exc
    except StateError:
        db.close()
        raise
    return db


def _prepare(db: sqlite3.Connection, path: Path) -> None:
    mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if mode != "wal":
        logger.warning(
            "State database %(path)s runs in %(mode)s mode, not WAL",
            {"path": path, "mode": mode},
        )
    db.execute("PRAGMA synchronous=NORMAL")
    with write_transaction(db, path):
        has_meta = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
        ).fetchone()
        if not has_meta:
            create_tables(db)
            return
        version = stored_version(db)
        db.execute(EVIDENCE_SCHEMA)
        db.execute(TEASERS_SCHEMA)
        db.execute(HOLDERS_SCHEMA)
        columns = {row[1] for row in db.execute("PRAGMA table_info(captures)")}
        if "archive" not in columns:  # a version 1 file from before other archives
            db.execute(
                "ALTER TABLE captures ADD COLUMN archive TEXT NOT NULL DEFAULT ''"
            )
        if "rechecks" not in columns:  # a version 1 file from before rechecks
            db.execute(
                "ALTER TABLE captures ADD COLUMN rechecks INTEGER NOT NULL DEFAULT 0"
            )
        held = {row[1] for row in db.execute("PRAGMA table_info(holders)")}
        if "digest" not in held:  # holders written before digests were kept
            db.execute("ALTER TABLE holders ADD COLUMN digest TEXT NOT NULL DEFAULT ''")
        for statement in FILES_SCHEMA:
            db.execute(statement)
    if version is None or version > SCHEMA_VERSION:
        raise StateError(
            f"state database {path} has schema version {version!r}; this "
            f"ise-archive understands up to {SCHEMA_VERSION}"
        )


@contextmanager
def write_transaction(db: sqlite3.Connection, path: Path) -> Iterator[None]:
    """One write transaction, committed on exit.

    ``BEGIN IMMEDIATE`` takes the write lock up front, so a second writer waits
    (up to the open timeout) instead of failing half-way through.
    """
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise StateError(f"state database {path} is busy: {exc}") from exc
    try:
        yield
        db.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        _rollback(db)
        raise StateError(f"state database {path}: {exc}") from exc
    except BaseException:
        _rollback(db)
        raise


def _rollback(db: sqlite3.Connection) -> None:
    if db.in_transaction:
        db.execute("ROLLBACK")


def create_tables(db: sqlite3.Connection) -> None:
    """Create every table and index in an empty database, stamped with its version.

    The caller holds the write transaction, so a crash leaves no half-made schema.
    """
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute(EVIDENCE_SCHEMA)
    db.execute(TEASERS_SCHEMA)
    db.execute(HOLDERS_SCHEMA)
    for statement in FILES_SCHEMA:
        db.execute(statement)
    db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))


def stored_version(db: sqlite3.Connection) -> int | None:
    """The schema version a database was written with; None when unreadable."""
    row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    return int(row[0]) if row and row[0].isdigit() else None


def capture_from_db_row(row: tuple[Any, ...]) -> Capture:
    """The capture held in the first columns of ``row`` (see ``CAPTURE_COLUMNS``)."""
    timestamp, original, urlkey, mimetype, status, digest, length, archive = row[:8]
    return Capture(
        timestamp=timestamp,
        original=original,
        urlkey=urlkey,
        mimetype=mimetype,
        status=status,
        digest=digest,
        length=length,
        archive=archive,
    )
