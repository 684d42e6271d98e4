"""Every shell and Python snippet of README.md runs, so none can rot.

The fenced ``sh`` and ``python`` blocks are run in README order, in one scratch
directory that holds what the README assumes (``page.html``, ``captures/*.html``),
with ``ise-archive``, ``scrapy`` and ``python`` meaning this checkout's code. Crawls
are pointed at the local Wayback imitation by a ``scrapy`` shell function that adds
``-s WAYBACK_BASE_URL=<imitation>`` and the relaxed rates of the e2e tests to every
call, so the live quick-start command is exercised offline. ``pip install`` steps are
left out (the package under test is this checkout); the test command must be exactly
the one ``.ci/run`` runs (running the suite inside itself would never end).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ise_archive.exit_codes import ExitCode
from tests.e2e.crawl import RELAXED
from tests.wayback.archive import Archive
from tests.wayback.fixtures import DEV_CORPUS
from tests.wayback.server import WaybackServer

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CAPTURES = ROOT / "tests" / "fixtures" / "dev" / "captures"
# ```sh ... ``` or ```python ... ``` at the start of a line
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
# "python -m pip install -e . && " before the command a set-up line runs
_INSTALL = re.compile(r"^python -m pip install [^&\n]*&& ", re.MULTILINE)
_RUNNABLE = {"sh": "sh", "bash": "sh", "shell": "sh", "python": "python"}


@dataclass(frozen=True)
class Snippet:
    language: str
    code: str
    line: int

    @property
    def name(self) -> str:
        return f"README.md:{self.line}:{self.language}"


def readme_snippets() -> list[Snippet]:
    text = README.read_text(encoding="utf-8")
    return [
        Snippet(_RUNNABLE[m.group(1)], m.group(2), text.count("\n", 0, m.start()) + 1)
        for m in _FENCE.finditer(text)
        if m.group(1) in _RUNNABLE
    ]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A scratch directory laid out as the README's examples expect."""
    work = tmp_path_factory.mktemp("readme")
    shutil.copyfile(CAPTURES / "c0015.bin", work / "page.html")
    (work / "captures").mkdir()
    for name in ("c0004", "c0015", "c0054"):
        shutil.copyfile(CAPTURES / f"{name}.bin", work / "captures" / f"{name}.html")
    (work / "tmp").mkdir()
    yield work


@pytest.fixture(scope="module")
def wayback() -> Iterator[WaybackServer]:
    with WaybackServer(Archive.from_directory(DEV_CORPUS)) as server:
        yield server


def _environment(work: Path, base_url: str) -> dict[str, str]:
    """This checkout first on the import path; temp files inside ``work``."""
    python_dir = str(Path(sys.executable).parent)
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
        ),
        "PATH": os.pathsep.join([python_dir, os.environ.get("PATH", "")]),
        # `scrapy crawl` outside the checkout, as the README says
        "SCRAPY_SETTINGS_MODULE": "ise_archive.settings",
        "TMPDIR": str(work / "tmp"),
        "WAYBACK": base_url,
    }


def _shell_prelude() -> str:
    relaxed = " ".join(f"-s {shlex.quote(f'{k}={v}')}" for k, v in RELAXED.items())
    python = shlex.quote(sys.executable)
    return f"""\
set -euo pipefail
shopt -s expand_aliases
ise-archive() {{ {python} -m ise_archive "$@"; }}
python() {{ {python} "$@"; }}
scrapy() {{ {python} -m scrapy "$@" -s "WAYBACK_BASE_URL=$WAYBACK" {relaxed}; }}
"""


SNIPPETS = readme_snippets()


def test_the_readme_has_the_two_setup_commands_and_the_demo() -> None:
    codes = [s.code.strip() for s in SNIPPETS if s.language == "sh"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert codes[:3] == [
        "python -m pip install -e . && scrapy crawl ise_blog",
        "python -m pip install -e . && ise-archive demo",
        ci,
    ]


@pytest.mark.e2e
@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.name for s in SNIPPETS])
def test_readme_snippet_runs(
    snippet: Snippet, workdir: Path, wayback: WaybackServer
) -> None:
    code = _INSTALL.sub("", snippet.code)
    if "python -m pytest" in code:
        pytest.skip("the test command is the suite itself (checked against .ci/run)")
    if snippet.language == "python":
        command = [sys.executable, "-c", code]
    else:
        command = ["bash", "-c", _shell_prelude() + code]
    result = subprocess.run(
        command,
        cwd=workdir,
        env=_environment(workdir, wayback.base_url),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{snippet.name} failed:\n{code}\n{output}"
    assert "Traceback" not in output


@pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(),
    reason="needs a git checkout",
)
def test_output_dir_holds_no_tracked_file_a_crawl_writes() -> None:
    """A crawl into the default output/ must leave the checkout unmodified."""
    tracked = subprocess.run(
        ["git", "ls-files", "output"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert tracked == ["output/.gitkeep"]
    ignored = subprocess.run(
        ["git", "check-ignore", "output/README.md", "output/records.jsonl"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    assert ignored == ["output/README.md", "output/records.jsonl"]


def test_the_systemd_example_treats_only_tempfail_as_success() -> None:
    """systemd acts on exit codes alone: only 'run again later' may pass as done."""
    text = README.read_text(encoding="utf-8")
    units = [m.group(2) for m in _FENCE.finditer(text) if m.group(1) == "ini"]
    statuses = re.findall(r"^SuccessExitStatus=(.*)$", "\n".join(units), re.M)
    assert [s.split() for s in statuses] == [[str(int(ExitCode.TEMPFAIL))]]
