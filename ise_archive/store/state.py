"""The crawl's memory: which captures were seen and what came of each (SQLite).

A scheduled run must cost almost nothing when the archive has nothing new, and a run
killed at any moment must finish cleanly next time. Both rest on this database,
kept with the dataset (by default ``OUTPUT_DIR/.state/state.sqlite3``):

- every capture the CDX listing returned, keyed ``"<timestamp> <original>"``, with
  the *identity* of the post it belongs to and the run that first saw it;
- the outcome of each capture: none yet (pending), ``fetching``, ``record`` (with the
  extracted post), ``duplicate``, ``skip:<reason>`` or ``failed:<reason>``, and the
  run that reached it;
- ``/node/<nid>`` aliases, the runs with their parameters and reports.

Durability: WAL journal, ``synchronous=NORMAL``, and every method that writes
commits before it returns, unless its caller made it part of a :meth:`State.batch`
(the writes for one answer, one planning round), which commits before *it* returns.
A ``kill -9`` loses at most the call in flight; a power loss may also lose the last
few commits, never the database.

Not thread-safe by design: one :class:`State` is used from one thread at a time
(Scrapy calls it from the reactor thread). Two processes may open the same file,
but only one crawl should write to it at a time.

This module does not fetch, parse or write dataset files; merging lives in
:mod:`ise_archive.store.merge`.
"""

from __future__ import annotations

import heapq
import json
import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from ise_archive.errors import StateError
from ise_archive.normalize.urls import node_id
from ise_archive.outcomes import (
    is_outcome,
    is_rechecked,
    is_retryable,
    outcome_class,
)
from ise_archive.records import Capture, Post, Teaser, WarcRef, teaser_from_json
from ise_archive.store.db import (
    CAPTURE_COLUMNS,
    capture_from_db_row,
    open_database,
    write_transaction,
)
from ise_archive.store.merge import (
    merge_post,
    merged_content,
    rank_extracted,
    state_key,
)
from ise_archive.store.partial import partial_post

logger = logging.getLogger(__name__)

DEFAULT_STATE_PATH = Path(".state") / "state.sqlite3"  # relative to OUTPUT_DIR

_PAGE = 500  # rows per query when streaming: writes between pages stay safe


def _record_order(post: Post) -> tuple[str, str]:
    return _sort_key(post.published), post.url


def _sort_key(published: date | None) -> str:
    """Records go by ``published``; "~" sorts after every ISO date, so undated
    posts come last."""
    return published.isoformat() if published else "~"


class State:
    """An open state database. Build it with :meth:`State.open`."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path
        self.run_id: str | None = None

    @classmethod
    def open(cls, path: Path, *, timeout_s: float = 10.0) -> State:
        """Open (or create) the database at ``path``.

        Raises :class:`StateError` when the file is not a database, is locked by
        another writer for longer than ``timeout_s``, or was written by a newer
        version of ise-archive.
        """
        path = Path(path)
        return cls(open_database(path, timeout_s=timeout_s), path)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Make every write inside the block one transaction: committed together
        when the block ends, or none of them (an exception rolls all back).

        A commit writes the WAL and costs more than the statements of most
        writes; a crawl's writes come in groups (the outcome, post and alias of
        one answer; the outcomes of one planning round), each made one commit.
        Inside a batch, a write method's own transaction joins the batch's.
        """
        if self._db.in_transaction:  # an enclosing batch commits
            yield
            return
        with write_transaction(self._db, self.path):
            yield

    def _transaction(self) -> AbstractContextManager[None]:
        return self.batch()

    def close(self) -> None:
        self._db.close()

    # --- runs ---------------------------------------------------------------

    def begin_run(self, run_id: str, *, parameters: Mapping[str, Any]) -> None:
        """Start a run: outcomes reached from now on are attributed to ``run_id``."""
        text = json.dumps(dict(parameters), sort_keys=True, default=str)
        self._write(
            "INSERT INTO runs (run_id, parameters) VALUES (?, ?) "
            "ON CONFLICT (run_id) DO UPDATE SET parameters = excluded.parameters",
            (run_id, text),
        )
        self.run_id = run_id

    def end_run(self, run_id: str, report: Mapping[str, Any]) -> None:
        text = json.dumps(dict(report), sort_keys=True, default=str)
        self._write("UPDATE runs SET report = ? WHERE run_id = ?", (text, run_id))

    # --- captures -----------------------------------------------------------

    def add_captures(
        self,
        captures: Iterable[Capture],
        identity: Callable[[Capture], str | None],
        *,
        unidentified: str | None = "skip:not-a-post-url",
        rank: int = 0,
    ) -> int:
        """Record listed captures; returns how many were never seen before.

        A capture seen again keeps its outcome; its identity is updated if the
        identity function changed its mind. A new capture whose identity is None
        (not a post) gets the outcome ``unidentified`` at once, so that the
        accounting of every listed capture closes without fetching it.

        ``rank`` orders the archives that hold a capture (0 the main one): a
        capture not fetched yet is fetched from the best-ranked archive that
        listed it (:attr:`Capture.archive`), the others are its fallbacks
        (:meth:`fall_back`).
        """
        new = 0
        with self._transaction():
            for capture in captures:
                key = state_key(capture)
                ident = identity(capture)
                before = self._db.total_changes
                self._db.execute(
                    "INSERT OR IGNORE INTO captures (key, timestamp, original, urlkey,"
                    " mimetype, status, digest, length, identity, nid, first_run,"
                    " outcome, outcome_run, archive)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        key,
                        capture.timestamp,
                        capture.original,
                        capture.urlkey,
                        capture.mimetype,
                        capture.status,
                        capture.digest,
                        capture.length,
                        ident,
                        node_id(capture.original),
                        self.run_id,
                        None if ident else unidentified,
                        None if ident or not unidentified else self.run_id,
                        capture.archive,
                    ),
                )
                inserted = self._db.total_changes != before
                self._db.execute(
                    "INSERT OR IGNORE INTO holders (key, archive, rank, digest)"
                    " VALUES (?,?,?,?)",
                    (key, capture.archive, rank, capture.digest),
                )
                if inserted:
                    new += 1
                else:
                    self._prefer_holder(key, capture.archive, rank)
                    self._db.execute(
                        "UPDATE captures SET identity = ? "
                        "WHERE key = ? AND identity IS NOT ?",
                        (ident, key, ident),
                    )
        return new

    def _prefer_holder(self, key: str, archive: str, rank: int) -> None:
        """A capture not fetched yet moves to ``archive`` when it ranks better than
        the archive it would be fetched from now."""
        row = self._db.execute(
            "SELECT c.archive, h.rank FROM captures c LEFT JOIN holders h"
            " ON h.key = c.key AND h.archive = c.archive"
            " WHERE c.key = ? AND c.outcome IS NULL",
            (key,),
        ).fetchone()
        if row is not None and row[0] != archive and (row[1] or 0) > rank:
            self._db.execute(
                "UPDATE captures SET archive = ? WHERE key = ?", (archive, key)
            )

    def listed_digest(self, capture: Capture) -> str:
        """The payload digest the archive a capture is fetched from listed for it
        (two archives holding one capture may list different digests), else the
        capture's own."""
        row = self._db.execute(
            "SELECT digest FROM holders WHERE key = ? AND archive = ?",
            (state_key(capture), capture.archive),
        ).fetchone()
        return row[0] if row and row[0] else capture.digest

    def fall_back(self, key: str) -> str | None:
        """The next archive to fetch a capture from, after a fetch from its current
        one failed: that archive is marked tried, the capture points at the best
        untried holder and is open again. None (nothing changed but the mark) when
        no other archive holds it."""
        with self._transaction():
            row = self._db.execute(
                "SELECT archive FROM captures WHERE key = ?", (key,)
            ).fetchone()
            if row is None:
                return None
            self._db.execute(
                "UPDATE holders SET tried = 1 WHERE key = ? AND archive = ?",
                (key, row[0]),
            )
            following = self._db.execute(
                "SELECT archive FROM holders WHERE key = ? AND tried = 0"
                " ORDER BY rank LIMIT 1",
                (key,),
            ).fetchone()
            if following is None:
                return None
            self._db.execute(
                "UPDATE captures SET archive = ?, outcome = NULL, outcome_run = NULL"
                " WHERE key = ?",
                (following[0], key),
            )
        return following[0]

    def identities_with_open_work(self) -> Iterator[str]:
        """Identities with a capture that has no final outcome, sorted, streamed."""
        return self._stream_identities("(outcome IS NULL OR outcome = 'fetching') AND")

    def identities(self) -> Iterator[str]:
        """Every identity (post URL, listing URL, ``node:N``) captures were filed
        under, sorted, streamed."""
        return self._stream_identities("")

    def _stream_identities(self, condition: str) -> Iterator[str]:
        """Distinct identities of the captures matching ``condition`` (an SQL
        fragment of this module's own, ending in ``AND``), a page at a time."""
        last = ""
        while True:
            rows = self._db.execute(
                f"SELECT DISTINCT identity FROM captures WHERE {condition} "
                "identity > ? ORDER BY identity LIMIT ?",
                (last, _PAGE),
            ).fetchall()
            yield from (ident for (ident,) in rows)
            if len(rows) < _PAGE:
                return
            last = rows[-1][0]

    def open_work(self) -> int:
        """How many identities (posts, listings, nodes) still have unsettled captures.

        Each needs at least one more fetch or decision, so this is the work a
        progress line can promise; the scheduler only holds the current batch.
        """
        return self._db.execute(
            "SELECT count(DISTINCT identity) FROM captures "
            "WHERE outcome IS NULL OR outcome = 'fetching'"
        ).fetchone()[0]

    def captures_of(self, identity: str) -> list[Capture]:
        """Every capture of a post identity, by timestamp then original URL."""
        rows = self._db.execute(
            f"SELECT {CAPTURE_COLUMNS} FROM captures WHERE identity = ? "
            "ORDER BY timestamp, original",
            (identity,),
        )
        return [capture_from_db_row(row) for row in rows]

    def outcomes_of(self, identity: str) -> dict[str, str]:
        """``capture key -> outcome`` for the captures of ``identity`` that have one."""
        rows = self._db.execute(
            "SELECT key, outcome FROM captures WHERE identity = ? "
            "AND outcome IS NOT NULL ORDER BY key",
            (identity,),
        )
        return dict(rows.fetchall())

    def weak_records(self, identity: str) -> set[str]:
        """Keys of the records of ``identity`` that lack a title, date or author.

        Such a page (often an unknown template the generic reader only partly
        understood) is kept, but selection gives the post one more capture to
        fill the gaps from (:data:`ise_archive.plan.payloads.WEAK_RECORD`).
        """
        rows = self._db.execute(
            "SELECT key, post_json FROM captures WHERE identity = ? "
            "AND outcome = 'record' AND post_json IS NOT NULL",
            (identity,),
        )
        weak = set()
        for key, text in rows:
            data = json.loads(text)
            if not (data.get("title") and data.get("published") and data.get("author")):
                weak.add(key)
        return weak

    def set_outcome(self, key: str, outcome: str) -> None:
        """Record what came of a capture. ``record`` is set by :meth:`save_post`.

        Setting the outcome a capture already has writes nothing, so a run that
        settles known captures again leaves the database (and ``outcome_counts``
        for the run) untouched. Any outcome but ``record`` drops a saved post.
        """
        if not is_outcome(outcome):
            raise ValueError(f"not a capture outcome: {outcome!r}")
        row = self._db.execute(
            "SELECT post_url, outcome FROM captures WHERE key = ?", (key,)
        ).fetchone()
        if row is None:
            raise StateError(f"unknown capture {key!r}: add it with add_captures")
        if row[1] == outcome:
            return  # settled again by a later run: nothing changes, nothing written
        if outcome == "record" and row[0] is None:
            raise ValueError(f"{key!r}: use save_post to make a capture a record")
        with self._transaction():
            self._db.execute(
                "UPDATE captures SET outcome = ?, outcome_run = ? WHERE key = ?",
                (outcome, self.run_id, key),
            )
            if outcome != "record" and row[0] is not None:
                self._db.execute(
                    "UPDATE captures SET post_url = NULL, post_json = NULL "
                    "WHERE key = ?",
                    (key,),
                )
                self._refresh_post(row[0])

    def save_post(self, key: str, post: Post) -> None:
        """Store the post extracted from a capture and make the capture a record."""
        data = post.to_json()
        data.pop("captures", None)
        data.pop("versions", None)
        text = json.dumps(data, ensure_ascii=False, allow_nan=False, sort_keys=True)
        row = self._db.execute(
            "SELECT post_url FROM captures WHERE key = ?", (key,)
        ).fetchone()
        if row is None:
            raise StateError(f"unknown capture {key!r}: add it with add_captures")
        with self._transaction():
            self._db.execute(
                "UPDATE captures SET outcome = 'record', outcome_run = ?, "
                "post_url = ?, post_json = ? WHERE key = ?",
                (self.run_id, post.url, text, key),
            )
            if row[0] is not None and row[0] != post.url:
                self._refresh_post(row[0])
            self._refresh_post(post.url, {key: post})

    def set_evidence(self, key: str, *, verified: bool, warc: WarcRef | None) -> None:
        """Record where a fetched capture's bytes are kept and whether they matched
        the CDX digest (a capture fetched again replaces what an earlier run said)."""
        self._write(
            "INSERT INTO evidence VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
            "warc_file = excluded.warc_file, warc_offset = excluded.warc_offset, "
            "verified = excluded.verified",
            (
                key,
                warc.filename if warc else None,
                warc.offset if warc else None,
                int(verified),
            ),
        )

    def evidence(self, keys: Iterable[str]) -> dict[str, tuple[WarcRef | None, bool]]:
        """``key -> (WARC record or None, verified)`` for those of ``keys`` fetched."""
        found: dict[str, tuple[WarcRef | None, bool]] = {}
        wanted = list(keys)
        for start in range(0, len(wanted), _PAGE):
            chunk = wanted[start : start + _PAGE]
            rows = self._db.execute(
                "SELECT key, warc_file, warc_offset, verified FROM evidence "
                f"WHERE key IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            for key, filename, offset, verified in rows:
                warc = WarcRef(filename=filename, offset=offset) if filename else None
                found[key] = (warc, bool(verified))
        return found

    # --- attachments ----------------------------------------------------------

    def add_file_captures(self, captures: Iterable[Capture]) -> int:
        """Keep the CDX rows of attachment prefixes; returns how many were new.

        A capture listed by several archives is kept once per archive (the main
        archive's under the capture's plain key), so each is a holder to fetch
        the file from."""
        rows = [
            (
                state_key(c) + (f" @{c.archive}" if c.archive else ""),
                c.timestamp,
                c.original,
                c.urlkey,
                c.mimetype,
                c.status,
                c.digest,
                c.length,
                c.archive,
            )
            for c in captures
        ]
        with self._transaction():
            before = self._db.total_changes
            self._db.executemany(
                "INSERT OR IGNORE INTO file_captures VALUES (?,?,?,?,?,?,?,?,?)", rows
            )
            return self._db.total_changes - before

    def file_captures(self) -> list[Capture]:
        """Every attachment capture listed so far (by any run)."""
        rows = self._db.execute(
            f"SELECT {CAPTURE_COLUMNS} FROM file_captures ORDER BY key"
        )
        return [capture_from_db_row(row) for row in rows]

    def set_file(self, fetch_key: str, result: Mapping[str, Any]) -> None:
        """What became of one file content: its copy, or ``{"reason": ...}``."""
        text = json.dumps(dict(result), sort_keys=True, allow_nan=False)
        self._write(
            "INSERT INTO files VALUES (?, ?) ON CONFLICT (fetch_key) DO UPDATE "
            "SET result_json = excluded.result_json",
            (fetch_key, text),
        )

    def files(self) -> dict[str, dict[str, Any]]:
        """``fetch key -> result`` of every file content fetched (or refused)."""
        rows = self._db.execute("SELECT fetch_key, result_json FROM files")
        return {key: json.loads(text) for key, text in rows}

    def set_link_check(self, url: str, archived: bool) -> None:
        """Whether the archive listed any capture of ``url`` (CHECK_LINKS)."""
        self._write(
            "INSERT INTO link_checks VALUES (?, ?) ON CONFLICT (url) DO UPDATE "
            "SET archived = excluded.archived",
            (url, int(archived)),
        )

    def link_checks(self) -> dict[str, bool]:
        """``url -> archived`` of every link checked (by any run)."""
        rows = self._db.execute("SELECT url, archived FROM link_checks")
        return {url: bool(archived) for url, archived in rows}

    def set_alias(self, nid: int, url: str) -> None:
        """Remember that ``/node/<nid>`` is the post at ``url``."""
        self._write(
            "INSERT INTO aliases VALUES (?, ?) "
            "ON CONFLICT (nid) DO UPDATE SET url = excluded.url",
            (nid, url),
        )

    def alias(self, nid: int) -> str | None:
        row = self._db.execute("SELECT url FROM aliases WHERE nid = ?", (nid,))
        found = row.fetchone()
        return found[0] if found else None

    def reset_inflight(self, *, recheck_runs: int = 0) -> int:
        """Make in-flight and transiently failed captures pending again.

        Called at the start of a run, so a run killed mid-fetch, or one that met
        429s and 503s, is completed by the next. A failure that may be the
        archive's passing glitch (:func:`~ise_archive.outcomes.is_rechecked`:
        "not archived" for a listed capture, bytes that differed from the digest
        twice) is reopened too, by at most ``recheck_runs`` runs per capture
        (counted in its ``rechecks``): a capture the archive really lost then
        costs a request in only a few runs. Returns how many were reset.
        """
        keys, rechecked = [], []
        for key, outcome, rechecks in self._db.execute(
            "SELECT key, outcome, rechecks FROM captures "
            "WHERE outcome = 'fetching' OR outcome LIKE 'failed:%'"
        ):
            if is_retryable(outcome):
                keys.append(key)
            elif is_rechecked(outcome) and rechecks < recheck_runs:
                keys.append(key)
                rechecked.append(key)
        with self._transaction():
            self._db.executemany(
                "UPDATE captures SET outcome = NULL, outcome_run = NULL WHERE key = ?",
                [(key,) for key in keys],
            )
            self._db.executemany(
                "UPDATE captures SET rechecks = rechecks + 1 WHERE key = ?",
                [(key,) for key in rechecked],
            )
            # every archive that holds them is worth a try again, best first
            self._db.executemany(
                "UPDATE holders SET tried = 0 WHERE key = ?", [(key,) for key in keys]
            )
            self._db.executemany(
                "UPDATE captures SET archive = (SELECT archive FROM holders"
                " WHERE holders.key = captures.key ORDER BY rank LIMIT 1)"
                " WHERE key = ? AND EXISTS (SELECT 1 FROM holders"
                " WHERE holders.key = captures.key)",
                [(key,) for key in keys],
            )
        if keys:
            logger.info(
                "Retrying %(n)d in-flight or failed captures (%(rechecked)d of them "
                "failed in a way the archive may have caused: not archived, digest "
                "mismatch)",
                {"n": len(keys), "rechecked": len(rechecked)},
            )
        return len(keys)

    # --- results ------------------------------------------------------------

    def merged_posts(self, *, archive_base_url: str) -> Iterator[Post]:
        """One merged record per post URL, by (published, url), streamed.

        Only the captures of one post are in memory at a time. Pending captures are
        not listed in a record; finished ones are (see ``docs/operations.md``).
        """
        for url in self._post_urls():
            extracted, others = self._extracted(url), self._others(url)
            keys = [state_key(c) for c, _ in [*extracted, *others]]
            yield merge_post(
                extracted,
                others,
                archive_base_url=archive_base_url,
                evidence=self.evidence(keys),
            )

    def _post_urls(self) -> Iterator[str]:
        """The URLs of the posts with a full record, by (published, url), read in
        pages (writes between two pages are safe)."""
        last = ("", "")
        while True:
            page = self._db.execute(
                "SELECT sort_key, url FROM posts WHERE (sort_key, url) > (?, ?) "
                "ORDER BY sort_key, url LIMIT ?",
                (*last, _PAGE),
            ).fetchall()
            for _, url in page:
                yield url
            if len(page) < _PAGE:
                return
            last = page[-1]

    def add_teasers(self, teasers: Iterable[Teaser]) -> int:
        """Keep what a feed or listing capture said about the posts it lists.

        One row per (post URL, source capture); reading the same capture again
        replaces its rows. Returns how many were stored.
        """
        rows = []
        for teaser in teasers:
            source = teaser.source
            key = f"{source.timestamp} {source.original}" if source else ""
            text = json.dumps(
                teaser.to_json(), ensure_ascii=False, allow_nan=False, sort_keys=True
            )
            rows.append((teaser.url, key, text))
        if rows:
            with self._transaction():
                self._db.executemany(
                    "INSERT INTO teasers (url, source, teaser_json) VALUES (?, ?, ?) "
                    "ON CONFLICT (url, source) DO UPDATE SET "
                    "teaser_json = excluded.teaser_json",
                    rows,
                )
        return len(rows)

    def partial_posts(self, *, archive_base_url: str = "") -> list[Post]:
        """A partial record per post known only from teasers, by (published, url).

        A URL with a full record (a row in ``posts``) gets none: a full page found
        later replaces the partial record. Built in memory and sorted by the date
        the record carries: they are few (the posts no archive kept a page of) and
        small (a teaser each).
        """
        teasers: dict[str, list[Teaser]] = {}
        rows = self._db.execute(
            "SELECT url, teaser_json FROM teasers "
            "WHERE url NOT IN (SELECT url FROM posts) ORDER BY url, source"
        )
        for url, text in rows:
            teasers.setdefault(url, []).append(teaser_from_json(json.loads(text)))
        built = (
            partial_post(group, archive_base_url=archive_base_url)
            for group in teasers.values()
        )
        posts = [p for p in built if p is not None]
        return sorted(posts, key=_record_order)

    def dataset_posts(self, *, archive_base_url: str) -> Iterator[Post]:
        """Every record of the dataset, full and partial, by (published, url)."""
        return heapq.merge(
            self.merged_posts(archive_base_url=archive_base_url),
            self.partial_posts(archive_base_url=archive_base_url),
            key=_record_order,
        )

    def post_contents(self, *, archive_base_url: str) -> Iterator[Post]:
        """Every record of the dataset as :meth:`dataset_posts` gives it, in its
        order, but for full records without ``captures`` and ``versions``
        (:func:`~ise_archive.store.merge.merged_content`): what the attachments and
        link-check phases read, for half the cost."""
        full = (
            merged_content(self._extracted(url), archive_base_url=archive_base_url)
            for url in self._post_urls()
        )
        return heapq.merge(
            full,
            self.partial_posts(archive_base_url=archive_base_url),
            key=_record_order,
        )

    def counts(self) -> dict[str, int]:
        """Captures in total and by outcome class, and posts with a record."""
        result = dict.fromkeys(
            ("captures", "record", "duplicate", "skip", "failed", "pending"), 0
        )
        for outcome, n in self._db.execute(
            "SELECT outcome, count(*) FROM captures GROUP BY outcome"
        ):
            result[outcome_class(outcome)] += n
            result["captures"] += n
        result["posts"] = self._db.execute("SELECT count(*) FROM posts").fetchone()[0]
        return result

    def outcome_counts(self, since_run: str | None = None) -> dict[str, int]:
        """Final outcomes (full strings) reached in ``since_run`` or later runs.

        With ``since_run=None``, every final outcome in the state.
        """
        query = (
            "SELECT outcome, count(*) FROM captures "
            "WHERE outcome IS NOT NULL AND outcome != 'fetching'"
        )
        args: tuple[str, ...] = ()
        if since_run is not None:
            query += (
                " AND outcome_run IN (SELECT run_id FROM runs WHERE seq >= "
                "(SELECT seq FROM runs WHERE run_id = ?))"
            )
            args = (since_run,)
        rows = self._db.execute(query + " GROUP BY outcome ORDER BY outcome", args)
        return dict(rows.fetchall())

    # --- internals ----------------------------------------------------------

    def _write(self, sql: str, args: tuple[Any, ...]) -> None:
        with self._transaction():
            self._db.execute(sql, args)

    def _extracted(
        self, url: str, known: Mapping[str, Post] | None = None
    ) -> list[tuple[Capture, Post]]:
        """The captures of ``url`` parsed into a post, with their posts; those in
        ``known`` (by capture key) are taken from it rather than read back."""
        rows = self._db.execute(
            f"SELECT {CAPTURE_COLUMNS}, post_json FROM captures WHERE post_url = ?",
            (url,),
        )
        known = known or {}
        extracted = []
        for row in rows:
            capture = capture_from_db_row(row)
            post = known.get(state_key(capture))
            if post is None:
                post = Post.from_json(json.loads(row[8]))
            extracted.append((capture, post))
        return extracted

    def _others(self, url: str) -> list[tuple[Capture, str]]:
        # A post's other captures: same identity as one of its records, identity
        # equal to its URL, or a /node/<nid> capture whose nid is aliased to it.
        rows = self._db.execute(
            f"SELECT {CAPTURE_COLUMNS}, outcome FROM captures "
            "WHERE outcome IS NOT NULL AND outcome NOT IN ('record', 'fetching') AND ("
            " identity IN (SELECT identity FROM captures WHERE post_url = :url)"
            " OR identity = :url"
            " OR nid IN (SELECT nid FROM aliases WHERE url = :url))",
            {"url": url},
        )
        return [(capture_from_db_row(row), row[8]) for row in rows]

    def _refresh_post(self, url: str, known: Mapping[str, Post] | None = None) -> None:
        """Keep the ``posts`` row of ``url`` (its sort key) in step with its records.

        Called inside a write transaction. The sort key is the ``published`` value
        the merged record will carry: that of the best capture stating one.
        ``known``: posts just saved, by capture key (what ranking reads of them,
        body, title, date and template, is what their stored JSON gives back).
        """
        ranked = rank_extracted(self._extracted(url, known))
        if not ranked:
            self._db.execute("DELETE FROM posts WHERE url = ?", (url,))
            return
        published = next((p.published for _, p in ranked if p.published), None)
        sort_key = _sort_key(published)
        self._db.execute(
            "INSERT INTO posts (url, sort_key) VALUES (?, ?) "
            "ON CONFLICT (url) DO UPDATE SET sort_key = excluded.sort_key",
            (url, sort_key),
        )
