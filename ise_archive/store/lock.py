"""One writer per dataset directory: an exclusive lock held for a whole run.

Two crawls writing one ``OUTPUT_DIR`` at once corrupt each other quietly: the
second "recovers" the WARC file the first is still writing, both fetch the same
captures, and a post's ``versions`` counts a capture twice. Cron makes this easy
(a run that outlasts its interval meets the next one), so the second run is
refused before its first request. The lock is an advisory ``flock`` on
``OUTPUT_DIR/.state/lock``: the kernel drops it when the process ends however it
ends (``kill -9`` included), so no stale lock is ever left to clean up by hand. The
file names the holder's pid for the message.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from ise_archive.errors import ConfigError

#: Where the lock lives, under OUTPUT_DIR (beside the default state database).
LOCK_PATH = Path(".state") / "lock"


class OutputLock:
    """The held lock of one dataset directory (:meth:`acquire`, :meth:`release`)."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd: int | None = fd
        self.path = path

    @classmethod
    def acquire(cls, output_dir: Path, *, what: str = "OUTPUT_DIR") -> OutputLock:
        """Take the lock of ``output_dir`` or raise :class:`ConfigError` naming the
        process that holds it."""
        path = output_dir / LOCK_PATH
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise ConfigError(
                f"{what} ({str(output_dir)!r}) cannot be locked: {exc.strerror or exc}"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            os.close(fd)
            by = f" (pid {holder})" if holder.isdigit() else ""
            raise ConfigError(
                f"{what} ({str(output_dir)!r}) is in use by another ise-archive "
                f"run{by}: wait for it to end, or write elsewhere"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        return cls(fd, path)

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> OutputLock:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()
