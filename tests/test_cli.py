"""The ``ise-archive`` command: extract, validate, export."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from ise_archive import __version__
from ise_archive.cli import main
from ise_archive.dataset import validation
from ise_archive.dataset.validation import Problem
from ise_archive.dataset.writer import write_dataset
from tests.dataset.test_writer import RUN, sample_posts

ROOT = Path(__file__).resolve().parent.parent
CAPTURES = ROOT / "tests" / "fixtures" / "dev" / "captures"
REPLAY = ROOT / "tests" / "fixtures" / "dev" / "replay"
SEED_URL = "http://www.ise.gov/blog/ise-bloggers/social-media-and-law-enforcement-tweeting-front-line"


def test_extract_one_page_prints_one_json_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(
        ["extract", str(CAPTURES / "c0015.bin"), "--timestamp", "20111006123456"]
    )
    out = capsys.readouterr().out
    record = json.loads(out)
    assert status == 0
    assert out.count("\n") == 1
    assert (record["kind"], record["url"]) == ("post", SEED_URL)
    assert record["capture"]["archive_url"] == (
        f"https://web.archive.org/web/20111006123456/{SEED_URL}"
    )


def test_extract_pretty_prints_indented_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["extract", "--pretty", str(CAPTURES / "c0015.bin")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("{\n  ")
    assert json.loads(out)["url"] == SEED_URL


def test_extract_dash_reads_standard_input() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ise_archive", "extract", "-"],
        input=(CAPTURES / "c0015.bin").read_bytes(),
        capture_output=True,
        cwd=ROOT,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, b"")
    assert json.loads(result.stdout)["url"] == SEED_URL


def test_url_names_both_the_record_and_its_capture(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = "http://www.ise.gov/blog/a/b"
    argv = ["extract", str(CAPTURES / "c0015.bin"), "--url", url]
    status = main([*argv, "--timestamp", "20111006123456"])
    record = json.loads(capsys.readouterr().out)
    assert status == 0
    assert (record["url"], record["capture"]["original"]) == (url, url)
    assert f"**Source URL:** <{url}>" in record["markdown"]


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


# --- errors: one line, a documented exit code, no traceback ---------------------------


def _one_error_line(captured: pytest.CaptureFixture[str], *parts: str) -> str:
    out, err = captured.readouterr()
    assert "Traceback" not in out + err
    assert err.count("\n") == 1, err
    assert err.startswith("ise-archive: ")
    for part in parts:
        assert part in err
    return out


@pytest.mark.parametrize("value", ["abc", "2011", "20111306123456", "2011100612345x"])
def test_bad_timestamp_is_refused_before_reading(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["extract", str(CAPTURES / "c0015.bin"), "--timestamp", value])
    assert status == 3
    out = _one_error_line(capsys, f"--timestamp {value!r}", "14 digits")
    assert out == ""


def test_bad_url_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["extract", str(CAPTURES / "c0015.bin"), "--url", "www.ise.gov/x"])
    assert status == 3
    _one_error_line(capsys, "--url 'www.ise.gov/x': not an http(s) URL")


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (bytes(range(256)), "not a text file"),
        (b'["Content-Type", "text/html"]', "JSON list, not an object"),
        (b'{"Content-Type": ', "malformed JSON"),
        (b"just some words\n", "no 'Name: value' line"),
    ],
    ids=["binary", "array", "broken-json", "no-header"],
)
def test_headers_file_must_hold_headers(
    tmp_path: Path, data: bytes, why: str, capsys: pytest.CaptureFixture[str]
) -> None:
    headers = tmp_path / "headers"
    headers.write_bytes(data)
    status = main(["extract", str(CAPTURES / "c0029.bin"), "--headers", str(headers)])
    assert status == 3
    assert _one_error_line(capsys, f"--headers {headers}: {why}") == ""


def test_version_and_help_show_the_exit_code_table() -> None:
    version = subprocess.run(
        [sys.executable, "-m", "ise_archive", "--version"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert (version.returncode, version.stdout) == (0, f"ise-archive {__version__}\n")
    usage = subprocess.run(
        [sys.executable, "-m", "ise_archive", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert usage.returncode == 0
    table = usage.stdout.split("exit codes", 1)[1]
    codes = re.findall(r"^ +([0-9]+)  \S", table, re.MULTILINE)
    assert codes == ["0", "1", "2", "3", "70", "74", "75", "130"]


def test_usage_errors_exit_2() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["extract"])
    assert exc.value.code == 2


def test_a_bug_is_one_line_and_exit_70_its_traceback_only_with_debug(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def broken(output_dir: Path) -> list[Problem]:
        raise RuntimeError("boom")

    monkeypatch.setattr(validation, "validate_dataset", broken)
    assert main(["validate", str(tmp_path)]) == 70
    _one_error_line(capsys, "internal error: RuntimeError: boom", "--debug")
    with pytest.raises(RuntimeError):
        main(["--debug", "validate", str(tmp_path)])


# --- validate ------------------------------------------------------------------------


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    write_dataset(tmp_path, sample_posts(), run=RUN)
    return tmp_path


def test_validate_reports_a_missing_directory(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["validate", "/nonexistent/dataset"]) == 3
    _one_error_line(capsys, "/nonexistent/dataset: not a directory")


def test_valid_complete_dataset(
    dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--strict", str(dataset)]) == 0
    assert capsys.readouterr() == (f"{dataset}: valid\n", "")


@pytest.mark.parametrize(
    "line",
    ['{"title": "Caf\u00e9"}\n'.encode("latin-1"), bytes(range(128, 256)) + b"\n"],
    ids=["latin-1", "binary"],
)
def test_validate_reads_undecodable_records_as_problems(
    dataset: Path, line: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    with (dataset / "records.jsonl").open("ab") as handle:
        handle.write(line)
    assert main(["validate", str(dataset)]) == 1
    out = _one_error_line(capsys, "invalid: 2 problem(s)")
    assert "records.jsonl:9: is not UTF-8" in out


def test_validate_caps_repeated_problems(
    dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (dataset / "records.jsonl").write_bytes(b"garbage\n" * 500)
    assert main(["validate", str(dataset)]) == 1
    out = _one_error_line(capsys, "invalid: 509 problem(s) (490 not listed")
    lines = out.splitlines()
    # the checksum, 10 of 500 lines that are not JSON, 8 Markdown files, the rest
    assert len(lines) == 1 + 10 + 8 + 1
    assert "… and 490 more like 'records.jsonl: is not JSON'" in lines


def test_validate_json_lists_every_problem(
    dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (dataset / "posts/2011/10/officer-safety.md").unlink()
    assert main(["validate", "--json", str(dataset)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report == {
        "directory": str(dataset),
        "valid": False,
        "complete": True,
        "incomplete_reason": None,
        "strict": False,
        "problem_count": 2,
        "problems": [
            {
                "path": "posts/2011/10/officer-safety.md",
                "message": "is listed in the manifest but missing",
            },
            {
                "path": "posts/2011/10/officer-safety.md",
                "message": "record has no Markdown file",
            },
        ],
    }


def test_incomplete_dataset_warns_and_fails_with_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = replace(RUN, complete=False, incomplete_reason="the archive blocked us")
    write_dataset(tmp_path, [], run=run)
    assert main(["validate", str(tmp_path)]) == 0
    out = _one_error_line(
        capsys, "warning:", "did not finish (the archive blocked us)", "--strict"
    )
    assert out == f"{tmp_path}: valid but incomplete\n"
    assert main(["validate", "--strict", str(tmp_path)]) == 1
    capsys.readouterr()
    assert main(["validate", "--strict", "--json", str(tmp_path)]) == 1
    assert json.loads(capsys.readouterr().out)["complete"] is False


# --- export --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    ['{"title": "Caf\u00e9"}\n'.encode("latin-1"), bytes(range(128, 256))],
    ids=["latin-1", "binary"],
)
def test_export_of_undecodable_records_is_one_line(
    tmp_path: Path, data: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "records.jsonl").write_bytes(data)
    assert main(["export", "--parquet", str(tmp_path)]) == 3
    _one_error_line(capsys, "records.jsonl:1 is not UTF-8", "ise-archive validate")


def test_export_of_a_missing_directory(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--parquet", "/nonexistent/dataset"]) == 3
    _one_error_line(capsys, "/nonexistent/dataset: not a directory")
