"""The tree shows the flow: the library stays plain Python, the glue stays thin."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GLUE_LIMIT = 250


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_importing_the_library_does_not_import_scrapy() -> None:
    names = [
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in _modules("ise_archive")
        if path.name != "__main__.py"
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('scrapy', 'twisted', 'spiders', 'pipelines')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"


def test_no_library_module_imports_the_glue() -> None:
    offenders = []
    for path in _modules("ise_archive"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            if any(
                n.split(".")[0] in ("scrapy", "spiders", "pipelines") for n in names
            ):
                offenders.append(f"{path.relative_to(ROOT)}: {names}")
    assert offenders == []


def test_the_scrapy_glue_stays_thin() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for package in ("spiders", "pipelines")
        for path in _modules(package)
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > GLUE_LIMIT
    }
    assert long == {}
