"""The state keeps where each fetched capture's bytes are and whether they matched
the CDX digest; merged records carry it in ``captures[]``."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from ise_archive.dataset.validation import validate_record
from ise_archive.records import Post, WarcRef
from ise_archive.store.state import State
from tests.store.test_state import BASE, A, cap, identity, key, post


def test_fetched_captures_name_their_warc_record_and_check(tmp_path: Path) -> None:
    state = State.open(tmp_path / "state.sqlite3")
    state.begin_run("r1", parameters={})
    used, mismatched, duplicate = (
        cap("20110101000000", A, digest="X"),
        cap("20120101000000", A, digest="Y"),
        cap("20130101000000", A, digest="X"),
    )
    state.add_captures([used, mismatched, duplicate], identity)
    state.save_post(key(used), post(A, date(2011, 1, 1)))
    state.set_outcome(key(mismatched), "failed:digest-mismatch")
    state.set_outcome(key(duplicate), "duplicate")
    first = WarcRef(filename="ise-archive-r1-00001.warc.gz", offset=412)
    state.set_evidence(key(used), verified=True, warc=first)
    state.set_evidence(key(mismatched), verified=True, warc=None)
    # fetched again (digest retry): the later answer replaces the earlier
    state.set_evidence(key(mismatched), verified=False, warc=first)
    [merged] = list(state.merged_posts(archive_base_url=BASE))
    assert [(c.outcome, c.warc, c.verified) for c in merged.captures] == [
        ("record", first, True),
        ("failed:digest-mismatch", first, False),
        ("duplicate", None, None),
    ]
    data = merged.to_json()
    validate_record(data)
    assert data["captures"][0]["warc"] == {
        "filename": "ise-archive-r1-00001.warc.gz",
        "offset": 412,
    }
    assert Post.from_json(data) == merged
    state.close()


def test_an_older_state_database_gains_the_evidence_table(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    State.open(path).close()

    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE evidence")
    state = State.open(path)
    assert state.evidence(["x"]) == {}
    state.close()


def test_a_capture_is_checked_against_the_digest_its_archive_listed(
    tmp_path: Path,
) -> None:
    from dataclasses import replace

    state = State.open(tmp_path / "state.sqlite3")
    state.begin_run("r1", parameters={})
    main = cap("20110101000000", A, digest="CUT")
    other = replace(main, digest="WHOLE", archive="pywb:http://x/eot")
    state.add_captures([main], identity)
    state.add_captures([other], identity, rank=1)
    assert state.listed_digest(main) == "CUT"
    assert state.listed_digest(other) == "WHOLE"
    unknown = replace(main, archive="pywb:http://y/z")
    assert state.listed_digest(unknown) == "CUT"  # no listing of its own
    state.close()
