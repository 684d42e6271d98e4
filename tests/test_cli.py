"""The ``ise-archive`` command: extract, validate, export."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ise_archive.cli import main

ROOT = Path(__file__).resolve().parent.parent
CAPTURES = ROOT / "tests" / "fixtures" / "dev" / "captures"
REPLAY = ROOT / "tests" / "fixtures" / "dev" / "replay"
SEED_URL = "http://www.ise.gov/blog/ise-bloggers/social-media-and-law-enforcement-tweeting-front-line"


def test_extract_one_page_prints_one_indented_record(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(
        ["extract", str(CAPTURES / "c0015.bin"), "--timestamp", "20111006123456"]
    )
    out = capsys.readouterr().out
    record = json.loads(out)
    assert status == 0
    assert out.startswith("{\n  ")
    assert (record["kind"], record["url"]) == ("post", SEED_URL)
    assert record["capture"]["archive_url"] == (
        f"https://web.archive.org/web/20111006123456/{SEED_URL}"
    )


def test_extract_several_pages_prints_json_lines_in_order(
    capsys: pytest.CaptureFixture[str],
) -> None:
    paths = [CAPTURES / "c0004.bin", REPLAY / "c0015.html", CAPTURES / "c0054.bin"]
    status = main(["extract", *map(str, paths)])
    lines = capsys.readouterr().out.splitlines()
    kinds = [json.loads(line)["kind"] for line in lines]
    assert (status, kinds) == (0, ["listing", "post", "tag"])
    replayed = json.loads(lines[1])
    # URL and timestamp come from the page itself (Wayback replay markup).
    assert replayed["url"] == SEED_URL
    assert replayed["capture"]["timestamp"] == "20111006123456"


def test_unreadable_inputs_get_one_error_line_each_and_the_rest_still_print(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    garbage = tmp_path / "garbage.html"
    garbage.write_bytes(bytes(range(256)) * 8)
    missing = tmp_path / "missing.html"
    status = main(["extract", str(missing), str(CAPTURES / "c0015.bin"), str(garbage)])
    captured = capsys.readouterr()
    errors = captured.err.splitlines()
    assert status == 1
    assert [json.loads(line)["kind"] for line in captured.out.splitlines()] == ["post"]
    assert len(errors) == 2
    assert errors[0].startswith(f"ise-archive: {missing}: ")
    assert errors[1].startswith(f"ise-archive: {garbage}: NotHTML")


@pytest.mark.parametrize(
    "text",
    [
        '{"Content-Type": "text/html; charset=windows-1252"}',
        "HTTP/1.1 200 OK\nContent-Type: text/html; charset=windows-1252\n",
    ],
)
def test_headers_file_in_json_or_http_form(
    tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    headers = tmp_path / "headers"
    headers.write_text(text, encoding="utf-8")
    status = main(["extract", str(CAPTURES / "c0029.bin"), "--headers", str(headers)])
    record = json.loads(capsys.readouterr().out)
    assert status == 0
    assert (
        record["title"] == "Officer Safety in Indian Country – Reversing a Deadly Trend"
    )


def test_python_dash_m_runs_the_same_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ise_archive", "extract", str(CAPTURES / "c0056.bin")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["kind"] == "feed"


def test_validate_reports_a_missing_directory(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["validate", "/nonexistent/dataset"]) == 1
    assert "not a directory" in capsys.readouterr().err


def test_usage_errors_exit_2() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["extract"])
    assert exc.value.code == 2
