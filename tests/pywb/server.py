"""A real pywb serving a collection on a loopback port, for the tests.

:class:`PywbServer` makes a collection with pywb's own ``wb-manager init``/``add``
from WARC files, runs pywb's ``wayback`` on a free loopback port as a subprocess,
waits until it answers, and always stops it (terminate, then kill) on exit, so no
process outlives the test session. ``root`` is the collection root the crawler is
given (``http://127.0.0.1:PORT/<coll>``): the CDX API at ``<root>/cdx``, raw replay
at ``<root>/<ts>id_/<url>``.

pywb logs every request it serves (its access log, on stderr) to a file;
:meth:`PywbServer.requests` reads the ``GET`` lines back, so a test can tell what
the crawler asked this archive.
"""

from __future__ import annotations

import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

from tests.pywb.install import pywb_bin

# 127.0.0.1 - - [2026-12-03 15:02:15] "GET /coll/2013id_/http://x HTTP/1.1" 200 43 0.003
_ACCESS_LINE = re.compile(r'"GET (?P<path>\S+) HTTP/1\.[01]" (?P<status>\d{3}) ')
STARTUP_TIMEOUT = 60.0


class PywbError(RuntimeError):
    """pywb could not be set up or did not start."""


class PywbServer:
    """pywb's ``wayback`` over the collection ``name`` in ``home``."""

    def __init__(self, home: Path, name: str, warcs: Iterable[Path]) -> None:
        self.home = home
        self.name = name
        self.bin = pywb_bin()
        self.home.mkdir(parents=True, exist_ok=True)
        self._manage("init", name)
        for warc in warcs:
            self._manage("add", name, str(warc))
        self.port = 0
        self.log_path = self.home / "wayback.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}/{self.name}"

    def _manage(self, *args: str) -> None:
        done = subprocess.run(
            [str(self.bin / "wb-manager"), *args],
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise PywbError(f"wb-manager {' '.join(args)}: {done.stderr[-2000:]}")

    def start(self) -> None:
        self.port = _free_port()
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [str(self.bin / "wayback"), "-b", "127.0.0.1", "-p", str(self.port)],
                cwd=self.home,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        probe = f"{self.root}/cdx?url=example.invalid/&output=json"
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise PywbError(f"wayback exited: {self._log_tail()}")
            try:
                with urllib.request.urlopen(probe, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        self.stop()
        raise PywbError(f"wayback did not answer in {STARTUP_TIMEOUT} s")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def log_mark(self) -> int:
        """Where the access log ends now: pass it to :meth:`requests`."""
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def requests(self, since: int = 0) -> list[tuple[str, int]]:
        """``(path, status)`` of each GET served since ``since`` (a log mark);
        pywb's internal ``/resource/postreq`` lookups are POSTs, so not listed."""
        with self.log_path.open("rb") as log:
            log.seek(since)
            text = log.read().decode("utf-8", errors="replace")
        return [
            (m["path"], int(m["status"]))
            for m in map(_ACCESS_LINE.search, text.splitlines())
            if m is not None
        ]

    def _log_tail(self) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-2000:]

    def __enter__(self) -> PywbServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
