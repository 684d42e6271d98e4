"""The pages a rebuild reads ahead reach its crawl as they are done."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ise_archive.warc.prepared import PreparedPages, PreparedWriter, prepared_pages


def test_a_page_is_waited_for_until_its_batch_is_written(tmp_path: Path) -> None:
    stream = PreparedWriter(tmp_path)
    stream.expect(["a", "b", "c"])
    pages = PreparedPages(tmp_path)

    def pool() -> None:
        stream.add([("b", "B")])
        time.sleep(0.2)  # the crawl asks for "c" before it is read
        stream.add([("a", "A"), ("c", "C")])
        stream.finish()

    writer = threading.Thread(target=pool)
    writer.start()
    try:
        assert pages.get("c") == "C"
        assert pages.get("a") == "A" and pages["b"] == "B"
    finally:
        writer.join()
    assert len(pages) == 3 and set(pages) == {"a", "b", "c"}


def test_a_page_the_pool_does_not_read_is_answered_at_once(tmp_path: Path) -> None:
    stream = PreparedWriter(tmp_path)
    stream.expect(["a"])  # no batch and no "done": a wait would never end
    pages = PreparedPages(tmp_path)
    assert pages.get("another archive's page") is None
    with pytest.raises(KeyError):
        pages["another archive's page"]


def test_a_pool_that_stopped_early_leaves_the_rest_to_the_crawl(
    tmp_path: Path,
) -> None:
    stream = PreparedWriter(tmp_path)
    stream.expect(["a", "b"])
    stream.add([("a", "A")])
    stream.finish()  # "b" never came: cancelled, or the pool failed
    pages = PreparedPages(tmp_path)
    assert pages.get("b") is None
    assert pages.get("a") == "A"


def test_the_crawl_stops_waiting_when_its_rebuild_is_gone(tmp_path: Path) -> None:
    """A rebuild killed mid-way writes no "done": its crawl (a child that
    outlives it) reads the rest itself instead of waiting for ever."""
    PreparedWriter(tmp_path).expect(["a"])
    child = (
        "import signal\n"
        "signal.alarm(30)  # a crawl that would wait for ever fails the test\n"
        "from pathlib import Path\n"
        "from ise_archive.warc.prepared import PreparedPages\n"
        f"pages = PreparedPages(Path({str(tmp_path)!r}))\n"
        "print('waiting', flush=True)\n"
        "print(pages.get('a'), flush=True)\n"
    )
    # the rebuild: a process that starts the crawl and dies
    rebuild = (
        "import subprocess, sys, time\n"
        f"crawl = subprocess.Popen([sys.executable, '-c', {child!r}], "
        "stdout=sys.stdout)\n"
        "time.sleep(1.0)\n"
    )
    started = subprocess.run(
        [sys.executable, "-c", rebuild],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    # the output ends when the orphaned crawl does: having stopped waiting
    assert started.stdout.split() == ["waiting", "None"]


def test_no_directory_means_no_pages_read_ahead() -> None:
    assert prepared_pages("") == {}
