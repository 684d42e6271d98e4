"""The declared dependency floors are true: the suite passes with them (issue 11).

``pyproject.toml`` says ``scrapy>=2.19``, ``lxml>=6.0``...; a floor nobody installs
is a guess (``scrapy>=2.11`` was declared while 2.12 failed at import).
``constraints/minimum.txt`` pins every runtime and test dependency to its floor, and:

- one test checks that the file and pyproject's floors say the same thing;
- one test builds a virtual environment with
  ``pip install -c constraints/minimum.txt -e '.[test]'`` and runs a representative
  subset of this suite inside it (:data:`FLOOR_SUBSET`: spider glue and the pool
  pauses, one real ``scrapy crawl``, extraction of the dev fixtures, Markdown,
  dataset writing and validation, WARC), so the README test command, which CI runs,
  also checks the floors.

The environment is cached under the system temp dir, keyed by a hash of
pyproject, the constraints, the checkout's path and the Python version, and is
rebuilt when any of them changes. Building it needs the package index: when pip
cannot install, the test fails and says so; it never skips.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import venv
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
MINIMUM = ROOT / "constraints" / "minimum.txt"

#: What the floors environment runs: the parts of the suite that exercise each
#: dependency (Scrapy's glue and slots, a real crawl, lxml/parsel/dateparser over
#: the dev fixtures, BeautifulSoup + markdownify, jsonschema/frictionless/pyarrow
#: on the dataset, warcio/wacz, rich); about half a minute once installed.
FLOOR_SUBSET = (
    "tests/spiders/test_middlewares.py",
    "tests/spiders/test_ise_blog.py",
    "tests/e2e/test_crawl.py",
    "tests/extract/test_page.py",
    "tests/markdown/test_converter.py",
    "tests/dataset/test_writer.py",
    "tests/dataset/test_validation.py",
    "tests/dataset/test_export.py",
    "tests/warc",
    # rich's live view under a real pty
    "tests/e2e/test_terminal.py::"
    "test_at_a_terminal_the_crawl_shows_the_progress_view_and_the_summary_once",
)

#: pip's own limit per install; a cold install takes about a minute.
INSTALL_TIMEOUT_S = 600
SUBSET_TIMEOUT_S = 600


def declared_floors() -> dict[str, str]:
    """Each runtime and test dependency's floor (``>=``) or pin (``==``)."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    floors: dict[str, str] = {}
    for line in [*project["dependencies"], *extras["test"], *extras["parquet"]]:
        requirement = Requirement(line)
        bounds = [s for s in requirement.specifier if s.operator in (">=", "==")]
        assert len(bounds) == 1, f"{line!r}: give exactly one floor (>=) or pin (==)"
        name = canonicalize_name(requirement.name)
        floor = bounds[0].version
        assert floors.setdefault(name, floor) == floor, f"{name}: two floors"
    return floors


def minimum_pins() -> dict[str, str]:
    """``constraints/minimum.txt`` as {name: version}."""
    pins: dict[str, str] = {}
    for raw in MINIMUM.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{line!r}: pin with =="
        pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def test_minimum_constraints_are_the_declared_floors() -> None:
    pins = {name: Version(v) for name, v in minimum_pins().items()}
    floors = {name: Version(v) for name, v in declared_floors().items()}
    assert pins == floors, (
        "constraints/minimum.txt must pin every runtime and test dependency of "
        "pyproject.toml to exactly its floor: change both together"
    )


@pytest.mark.floors
@pytest.mark.timeout(INSTALL_TIMEOUT_S + SUBSET_TIMEOUT_S + 60)
def test_the_suite_passes_with_the_minimum_versions() -> None:
    python = floors_environment()
    installed = subprocess.run(
        [python, "-c", _PRINT_VERSIONS, *minimum_pins()],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    pins = {name: Version(v) for name, v in minimum_pins().items()}
    assert dict(zip(pins, map(Version, installed), strict=True)) == pins

    result = subprocess.run(
        [python, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *FLOOR_SUBSET],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=SUBSET_TIMEOUT_S,
        env=_clean_environment(),
        check=False,
    )
    assert result.returncode == 0, (
        f"the suite fails with the minimum versions ({python}):\n"
        + (result.stdout + result.stderr)[-6000:]
    )


_PRINT_VERSIONS = (
    "import sys\n"
    "from importlib.metadata import version\n"
    "print(*(version(name) for name in sys.argv[1:]))\n"
)


def floors_environment() -> str:
    """The floors venv's Python, built on first use and reused while the inputs
    that decide its contents are unchanged."""
    key = hashlib.sha256()
    for part in (PYPROJECT.read_bytes(), MINIMUM.read_bytes()):
        key.update(part)
    key.update(f"{ROOT}\0{sys.version}".encode())
    home = Path(tempfile.gettempdir()) / f"ise-archive-floors-{key.hexdigest()[:16]}"
    python = home / "bin" / "python"
    built = home / ".built"
    with open(f"{home}.lock", "w") as lock:  # two suites at once build it once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not built.exists():
            _build(home, python)
            built.write_text(str(ROOT), encoding="utf-8")
            _remove_stale_environments(home)
    return str(python)


def _remove_stale_environments(current: Path) -> None:
    """Delete this checkout's floors venvs built from older inputs (each is
    about 440 MB): every change of pyproject or the constraints builds a new one."""
    for home in current.parent.glob("ise-archive-floors-*"):
        built = home / ".built"
        if home == current or not built.is_file():
            continue
        if built.read_text(encoding="utf-8") == str(ROOT):
            shutil.rmtree(home, ignore_errors=True)
            Path(f"{home}.lock").unlink(missing_ok=True)


def _build(home: Path, python: Path) -> None:
    venv.EnvBuilder(clear=True, with_pip=True).create(home)
    command = [str(python), "-m", "pip", "install", "-q"]
    command += ["-c", str(MINIMUM), "-e", f"{ROOT}[test]"]
    try:
        result = subprocess.run(
            command,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_S,
            env=_clean_environment(),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(
            f"installing the minimum versions took over {INSTALL_TIMEOUT_S} s: "
            "is the package index reachable?"
        ) from exc
    assert result.returncode == 0, (
        "cannot install the minimum versions (constraints/minimum.txt): the floors "
        "test needs the package index (CI has it); pip said:\n"
        + "\n".join(
            line
            for line in result.stderr.splitlines()
            if not line.startswith("WARNING: Location")
        )[-4000:]
    )


def _clean_environment() -> dict[str, str]:
    """This environment without what would point the venv's Python elsewhere."""
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTEST_ADDOPTS"}
    return {k: v for k, v in os.environ.items() if k not in drop}
