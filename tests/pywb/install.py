"""A pywb installation for the tests, in a virtualenv of its own.

pywb cannot share the project's environment: 2.10 pins ``pyOpenSSL<26.2`` and
``Werkzeug==3.1.7`` (downgrading what Scrapy and the other tools use) and pulls in
``brotlipy``, whose ``brotli/`` package shadows the ``brotli`` module Scrapy decodes
``Content-Encoding: br`` with. The tests only need its ``wb-manager`` and ``wayback``
commands, so it lives in its own virtualenv, made once per machine (about 10 s) and
reused: ``$ISE_ARCHIVE_PYWB_HOME`` if set, else ``~/.cache/ise-archive/pywb-2.10``.
``python -m tests.pywb.install`` makes it ahead of a test run (CI does).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

#: What the tests run against; the End of Term archive at UNT serves pywb 2.x.
PYWB_REQUIREMENT = "pywb>=2.10,<2.11"
COMMANDS = ("wb-manager", "wayback")
#: Written once pip has finished: a venv without it is incomplete.
COMPLETE = ".ise-archive-complete"


def pywb_home() -> Path:
    configured = os.environ.get("ISE_ARCHIVE_PYWB_HOME")
    if configured:
        return Path(configured)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "ise-archive" / "pywb-2.10"


def pywb_bin(home: Path | None = None) -> Path:
    """The ``bin`` directory holding ``wb-manager`` and ``wayback``; installs pywb
    into ``home`` first when it is not there (one process at a time: a lock file)."""
    home = home or pywb_home()
    bin_dir = home / "bin"
    if _installed(bin_dir):
        return bin_dir
    home.parent.mkdir(parents=True, exist_ok=True)
    with open(home.parent / f".{home.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _installed(bin_dir):
            _install(home)
    return bin_dir


def _installed(bin_dir: Path) -> bool:
    return (bin_dir.parent / COMPLETE).is_file() and all(
        (bin_dir / name).is_file() for name in COMMANDS
    )


def _install(home: Path) -> None:
    """A fresh venv with pywb; the marker is written last, so an install that was
    killed halfway is redone rather than used."""
    shutil.rmtree(home, ignore_errors=True)
    venv.create(home, with_pip=True)
    pip = [str(home / "bin" / "python"), "-m", "pip"]
    subprocess.run(
        [*pip, "install", "-q", "--disable-pip-version-check", PYWB_REQUIREMENT],
        check=True,
        timeout=600,
    )
    (home / COMPLETE).write_text(PYWB_REQUIREMENT + "\n", encoding="utf-8")


if __name__ == "__main__":
    print(pywb_bin(), file=sys.stdout)
