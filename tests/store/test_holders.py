"""Tests for the state's archives per capture: which archive a capture is fetched
from, and the fallback to the next one when a fetch fails."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest

from ise_archive.store.state import State
from tests.store.test_state import A, cap, identity, key

EOT = "pywb:https://webarchive.library.unt.edu/eot2016"
LOC = "pywb:https://webarchive.loc.gov/all"


@pytest.fixture
def state(tmp_path: Path):
    opened = State.open(tmp_path / "state.sqlite3")
    opened.begin_run("run-1", parameters={})
    yield opened
    opened.close()


def test_a_capture_in_two_archives_is_one_capture_fetched_from_the_main_one(
    state: State,
) -> None:
    c = cap("20120101000000", A)
    assert state.add_captures([dataclasses.replace(c, archive=EOT)], identity, rank=1)
    assert state.add_captures([c], identity, rank=0) == 0  # not new: the same one
    assert [x.archive for x in state.captures_of(A)] == [""]


def test_a_failed_fetch_falls_back_to_the_next_archive_in_rank_order(
    state: State,
) -> None:
    c = cap("20120101000000", A)
    state.add_captures([c], identity)
    state.add_captures([dataclasses.replace(c, archive=LOC)], identity, rank=2)
    state.add_captures([dataclasses.replace(c, archive=EOT)], identity, rank=1)
    state.set_outcome(key(c), "fetching")
    assert state.fall_back(key(c)) == EOT
    assert state.outcomes_of(A) == {}  # open again
    assert state.captures_of(A)[0].archive == EOT
    assert state.fall_back(key(c)) == LOC
    assert state.fall_back(key(c)) is None
    assert state.captures_of(A)[0].archive == LOC


def test_a_capture_only_in_the_main_archive_has_no_fallback(state: State) -> None:
    c = cap("20120101000000", A)
    state.add_captures([c], identity)
    state.set_outcome(key(c), "fetching")
    assert state.fall_back(key(c)) is None
    assert state.outcomes_of(A) == {key(c): "fetching"}


def test_an_older_state_file_gains_the_archive_column(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    State.open(path).close()
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE captures DROP COLUMN archive")
        db.execute("DROP TABLE holders")
    reopened = State.open(path)
    reopened.begin_run("run-2", parameters={})
    reopened.add_captures([cap("20120101000000", A)], identity)
    assert reopened.captures_of(A)[0].archive == ""
    reopened.close()


def test_a_new_run_tries_every_archive_again_best_first(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    first = State.open(path)
    first.begin_run("run-1", parameters={})
    c = cap("20120101000000", A)
    first.add_captures([c], identity)
    first.add_captures([dataclasses.replace(c, archive=EOT)], identity, rank=1)
    first.set_outcome(key(c), "fetching")
    assert first.fall_back(key(c)) == EOT
    assert first.fall_back(key(c)) is None
    first.set_outcome(key(c), "failed:http-503")
    first.close()
    second = State.open(path)
    second.begin_run("run-2", parameters={})
    assert second.reset_inflight() == 1
    assert second.captures_of(A)[0].archive == ""
    second.set_outcome(key(c), "fetching")
    assert second.fall_back(key(c)) == EOT
    second.close()
