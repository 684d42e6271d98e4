"""``ise-archive demo``: a real crawl, offline, in seconds, with nothing left running.

It starts the local Wayback imitation (``python -m tests.wayback --port 0``, serving
the dev corpus of ``tests/fixtures/dev``), runs the real ``scrapy crawl ise_blog``
against it into a dataset directory, stops the server and says where the dataset is.

**Where it lives.** The imitation and its corpus are test tools: they stay in
``tests/`` and are not part of the installed package (a wheel carries neither). The
demo therefore runs from the source checkout, which ``pip install -e .`` points the
installed package at; from a plain install it stops with one line saying so (exit 3).
Both programs run as child processes with the checkout as working directory (where
``scrapy.cfg`` is), so this module imports neither the server nor Scrapy; they are
stopped on every way out, Ctrl-C included.
"""

from __future__ import annotations

import re
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ise_archive.dataset.paths import RECORDS_FILE
from ise_archive.exit_codes import ExitCode

#: Politeness relaxed for the local imitation only (it has no rate limit to respect),
#: and no proxy: an ``http_proxy`` in the environment must not swallow 127.0.0.1.
DEMO_SETTINGS = {
    "ISE_ARCHIVE_CDX_RPM": "6000",
    "ISE_ARCHIVE_REPLAY_RPS": "100",
    "HTTPPROXY_ENABLED": "False",
}
#: How long the server may take to print its address (it reads a 3 MB corpus).
SERVER_START_TIMEOUT = 30.0
#: How long a stopped child gets to exit before it is killed.
STOP_TIMEOUT = 10.0
#: Signals that stop the demo (and so its children) like Ctrl-C does.
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
# "Wayback imitation: 69 captures at http://127.0.0.1:41234"
_SERVER_LINE = re.compile(r"at (http://\S+)")


class DemoError(Exception):
    """The demo cannot run; ``code`` is its exit code (CONFIG: cannot start)."""

    def __init__(self, message: str, code: int = ExitCode.CONFIG) -> None:
        super().__init__(message)
        self.code = code


def checkout_root() -> Path:
    """The source checkout this package was installed from (``pip install -e .``)."""
    root = Path(__file__).resolve().parent.parent
    needed = ("scrapy.cfg", "tests/wayback/__main__.py", "tests/fixtures/dev")
    missing = [name for name in needed if not (root / name).exists()]
    if missing:
        raise DemoError(
            f"the demo needs the source checkout ({', '.join(missing)} not found "
            f"next to {root / 'ise_archive'}): clone the repository and run "
            "`pip install -e .` there"
        )
    return root


def run_demo(out: Path | None, *, debug: bool = False) -> int:
    """Crawl the local imitation into ``out`` (a new temp dir when None).

    Returns the crawl's exit code; the server is stopped before returning.
    """
    root = checkout_root()
    out = _output_dir(out)
    print(f"ise-archive demo: crawling the local Wayback imitation into {out}")
    previous = {sig: signal.signal(sig, _interrupt) for sig in _STOP_SIGNALS}
    try:
        server = _start_server(root, debug=debug)
        try:
            base_url = _server_url(server)
            code = _crawl(root, base_url, out, debug=debug)
        finally:
            _stop(server, signal.SIGTERM)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if code == 0:
        posts, partial = _count_records(out / RECORDS_FILE)
        known = f" (and {partial} known only from feeds)" if partial else ""
        print(
            f"ise-archive demo: done: {posts} posts{known} in {out}\n"
            f"  records: {out / RECORDS_FILE}\n"
            f"  check it: ise-archive validate {out}"
        )
    else:
        print(
            f"ise-archive demo: the crawl exited {code} (see `ise-archive --help`); "
            f"what it wrote is in {out}",
            file=sys.stderr,
        )
    return code


def _output_dir(out: Path | None) -> Path:
    if out is None:
        return Path(tempfile.mkdtemp(prefix="ise-archive-demo-"))
    if out.exists() and not out.is_dir():
        raise DemoError(f"--out {out}: exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DemoError(f"--out {out}: cannot create: {exc.strerror}") from exc
    return out.resolve()


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM or SIGHUP (terminal closed) end the demo like Ctrl-C, so its
    children are stopped on the way out."""
    raise KeyboardInterrupt


def _start_server(root: Path, *, debug: bool) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.wayback", "--host", "127.0.0.1", "--port", "0"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=None if debug else subprocess.DEVNULL,
        text=True,
        process_group=0,  # Ctrl-C is the demo's to handle
    )


def _server_url(server: subprocess.Popen[str]) -> str:
    """The base URL the server prints once it listens; DemoError if it does not."""
    assert server.stdout is not None
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    with selectors.DefaultSelector() as selector:
        selector.register(server.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not selector.select(timeout=deadline - time.monotonic()):
                break
            line = server.stdout.readline()
            if not line:  # the server exited
                break
            match = _SERVER_LINE.search(line)
            if match:
                return match.group(1)
    raise DemoError(
        "the local Wayback imitation did not start (run `python -m tests.wayback "
        "--port 0` to see why)",
        code=ExitCode.INTERNAL,
    )


def _crawl(root: Path, base_url: str, out: Path, *, debug: bool) -> int:
    command = [sys.executable, "-m", "scrapy", "crawl", "ise_blog"]
    settings = {"WAYBACK_BASE_URL": base_url, "OUTPUT_DIR": str(out), **DEMO_SETTINGS}
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    command += ["-L", "DEBUG" if debug else "WARNING"]
    # its own process group: Ctrl-C at the terminal reaches only the demo, which
    # passes it on as SIGTERM; Scrapy stops as gracefully on it (the partial
    # dataset is written), and a crawl still importing dies without a traceback
    crawl = subprocess.Popen(command, cwd=root, process_group=0)
    try:
        return crawl.wait()
    except KeyboardInterrupt:
        _stop(crawl, signal.SIGTERM, timeout=60)
        return ExitCode.INTERRUPTED


def _stop(
    process: subprocess.Popen[str] | subprocess.Popen[bytes],
    sig: int,
    timeout: float = STOP_TIMEOUT,
) -> None:
    """Stop ``process`` gently (``sig``), then for sure (SIGKILL); reap it."""
    if process.poll() is None:
        try:
            process.send_signal(sig)
            process.wait(timeout=timeout)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):  # a second Ctrl-C
            process.kill()
            process.wait()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def _count_records(path: Path) -> tuple[int, int]:
    """Full and partial records (``completeness``) of a records.jsonl."""
    full = partial = 0
    try:
        with path.open("rb") as handle:
            for line in handle:
                if b'"completeness": "partial"' in line:
                    partial += 1
                else:
                    full += 1
    except OSError:
        return 0, 0
    return full, partial


__all__ = ["DEMO_SETTINGS", "DemoError", "checkout_root", "run_demo"]
