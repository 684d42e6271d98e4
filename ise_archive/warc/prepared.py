"""Pages read ahead by ``ise-archive rebuild``'s processes, handed to its crawl as
they are read.

A rebuild extracts every stored page in a pool of processes *while* its crawl runs
(:mod:`ise_archive.warc.readahead`), so the crawl's own work (planning, the state,
the dataset) and the extraction share the cores instead of taking turns. The two
meet in a directory of the rebuild's private work directory:

- ``keys.pickle``: the :func:`~ise_archive.warc.replay.page_extraction_key` of
  every page the pool will read, written before the crawl starts;
- ``batch-000001.pickle``, ...: ``(key, result)`` pairs as the pool finishes them,
  each written under a temporary name and renamed into place (a reader never sees
  half a batch);
- ``done``: no batch will follow (the pool finished, or gave up).

The crawl's :class:`PreparedPages` answers a key the pool will never read at once
(the crawl reads that page itself: another archive's options, say) and a key it
will read as soon as its batch is there, waiting for it: the crawl needs that page
now, and the pool is reading it. The crawl stops waiting when ``done`` appears or
the rebuild that started it is gone, and reads what is missing itself, so a pool
that failed never hangs the crawl.

Both sides are this program and the files live in the rebuild's private work
directory, so they are pickles.
"""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

KEYS = "keys.pickle"
DONE = "done"
#: How long the crawl sleeps between looks for the batch it waits for: a page
#: takes the pool a few milliseconds.
POLL_SECONDS = 0.002


class PreparedWriter:
    """The rebuild's side: announce the keys, add batches, say when done."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._batches = 0

    def expect(self, keys: Iterable[str]) -> None:
        """The pages the pool will read (before the crawl starts)."""
        _save(self.directory / KEYS, frozenset(keys))

    def add(self, results: list[tuple[str, Any]]) -> None:
        """One finished batch of ``(key, Post | Skip | ExtractionError)``."""
        self._batches += 1
        _save(self.directory / _batch_name(self._batches), results)

    def finish(self) -> None:
        """No batch follows."""
        (self.directory / DONE).touch()


class PreparedPages(Mapping[str, Any]):
    """The crawl's side: the pages read ahead, by key, as they arrive.

    A :class:`~collections.abc.Mapping` over the announced keys; looking one up
    waits for its batch (see the module doc), so ``get`` is the way in.
    """

    def __init__(self, directory: Path, *, poll: float = POLL_SECONDS) -> None:
        self.directory = directory
        self.poll = poll
        self._expected: frozenset[str] = _load(directory / KEYS)
        self._found: dict[str, Any] = {}
        self._next = 1
        self._rebuild = os.getppid()

    def __getitem__(self, key: str) -> Any:
        while key not in self._found:
            if key not in self._expected or not self._take_next():
                raise KeyError(key)
        return self._found[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._expected)

    def __len__(self) -> int:
        return len(self._expected)

    def _take_next(self) -> bool:
        """Load the next batch, waiting while the pool works; False if none comes."""
        path = self.directory / _batch_name(self._next)
        while not path.exists():
            if self._finished():
                if not path.exists():  # written before ``done``: one last look
                    return False
                break
            time.sleep(self.poll)
        self._found.update(_load(path))
        self._next += 1
        return True

    def _finished(self) -> bool:
        return (self.directory / DONE).exists() or os.getppid() != self._rebuild


def prepared_pages(path: str) -> Mapping[str, Any]:
    """The pages read ahead into directory ``path``; nothing when ``path`` is empty
    (a crawl that is not a rebuild's reads every page itself)."""
    return PreparedPages(Path(path)) if path else {}


def _batch_name(number: int) -> str:
    return f"batch-{number:06d}.pickle"


def _save(path: Path, value: object) -> None:
    partial = path.with_name(path.name + ".part")
    with partial.open("wb") as handle:
        pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(partial, path)


def _load(path: Path) -> Any:
    with path.open("rb") as handle:
        return pickle.load(handle)
