"""How the consumer runs the field's tools and ours: as commands, by name."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def tool(name: str) -> str:
    """The console script ``name`` of this Python's environment, else on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    assert found, f"{name} is not installed"
    return found


def run(*command: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(command),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def ise_archive(
    *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m ise_archive ...`` as the card says, run from the checkout."""
    return run(sys.executable, "-m", "ise_archive", *args, cwd=cwd or ROOT)
