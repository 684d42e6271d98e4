"""Tests for ise_archive.store.db: opening the state file, its schema, transactions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ise_archive.errors import StateError
from ise_archive.records import Capture
from ise_archive.store.db import (
    CAPTURE_COLUMNS,
    SCHEMA_VERSION,
    capture_from_db_row,
    open_database,
    write_transaction,
)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "out" / ".state" / "state.sqlite3"


def test_open_creates_parent_dirs_and_uses_wal(db_path: Path):
    open_database(db_path, timeout_s=1).close()
    assert db_path.is_file()
    mode = sqlite3.connect(db_path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_open_refuses_a_file_that_is_not_a_database(tmp_path: Path):
    path = tmp_path / "state.sqlite3"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StateError, match="unusable"):
        open_database(path, timeout_s=1)


def test_open_refuses_a_newer_schema(db_path: Path):
    open_database(db_path, timeout_s=1).close()
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StateError, match="schema version 99"):
        open_database(db_path, timeout_s=1)


def test_open_fails_when_another_writer_holds_the_lock(db_path: Path):
    open_database(db_path, timeout_s=1).close()
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StateError, match="locked"):
            open_database(db_path, timeout_s=0.05)
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_new_database_is_stamped_with_the_schema_version(db_path: Path):
    db = open_database(db_path, timeout_s=1)
    try:
        version = db.execute("SELECT value FROM meta").fetchall()
    finally:
        db.close()
    assert version == [(str(SCHEMA_VERSION),)]


def test_failed_transaction_rolls_back_and_says_which_file(db_path: Path):
    db = open_database(db_path, timeout_s=1)
    try:
        with (
            pytest.raises(StateError, match=str(db_path)),
            write_transaction(db, db_path),
        ):
            db.execute("INSERT INTO aliases VALUES (1, 'http://a')")
            db.execute("INSERT INTO aliases VALUES (1, 'http://b')")
        rows = db.execute("SELECT * FROM aliases").fetchall()
    finally:
        db.close()
    assert rows == []


def test_capture_round_trips_through_its_columns(db_path: Path):
    capture = Capture(
        timestamp="20111006123456",
        original="http://www.ise.gov/blog/x",
        urlkey="gov,ise)/blog/x",
        mimetype="text/html",
        status="200",
        digest="ABC",
        length=123,
        archive="pywb:https://webarchive.library.unt.edu/eot2016",
    )
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE TABLE t ({CAPTURE_COLUMNS})")
    db.execute(
        "INSERT INTO t VALUES (?,?,?,?,?,?,?,?)",
        (
            capture.timestamp,
            capture.original,
            capture.urlkey,
            capture.mimetype,
            capture.status,
            capture.digest,
            capture.length,
            capture.archive,
        ),
    )
    assert (
        capture_from_db_row(db.execute(f"SELECT {CAPTURE_COLUMNS} FROM t").fetchone())
        == capture
    )
