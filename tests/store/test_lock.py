"""Tests for ise_archive.store.lock: one writer per dataset directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ise_archive.errors import ConfigError
from ise_archive.store.lock import LOCK_PATH, OutputLock


def test_a_second_run_is_refused_naming_the_first(tmp_path: Path) -> None:
    with OutputLock.acquire(tmp_path), pytest.raises(ConfigError) as refused:
        OutputLock.acquire(tmp_path)
    assert f"in use by another ise-archive run (pid {os.getpid()})" in str(
        refused.value
    )


def test_the_lock_is_free_again_after_release(tmp_path: Path) -> None:
    OutputLock.acquire(tmp_path).release()
    with OutputLock.acquire(tmp_path) as lock:
        assert (tmp_path / LOCK_PATH) == lock.path


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    """The kernel drops a flock with its process: nothing to clean up by hand."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; "
            "from ise_archive.store.lock import OutputLock; "
            f"OutputLock.acquire(Path({str(tmp_path)!r})); print('held', flush=True); "
            "time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(ConfigError, match=f"pid {holder.pid}"):
            OutputLock.acquire(tmp_path)
    finally:
        holder.kill()
        holder.wait()
    OutputLock.acquire(tmp_path).release()


def test_an_unusable_directory_is_a_config_error(tmp_path: Path) -> None:
    afile = tmp_path / "a-file"
    afile.write_text("mine\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot be locked"):
        OutputLock.acquire(afile)
    assert afile.read_text(encoding="utf-8") == "mine\n"
