"""``ise-archive`` subcommands with missing, wrong or odd inputs (blind round).

Promises checked (README, docs/dataset.md, docs/evidence.md, ``--help``): every
error a person can cause is one line on stderr and a documented exit code, 3 when
the command cannot start (bad argument, option or path), never a traceback without
``--debug``; ``--url`` becomes the record's ``url``, an ise.gov post URL.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.blind.conftest import assert_one_clear_line, cli, stderr_lines
from tests.wayback.fixtures import DEV_CORPUS

NOT_WRITABLE = "/proc/ise-archive-blind"  # even root cannot create this


def dev_capture(kind: str) -> tuple[Path, dict[str, str]]:
    """The first dev capture of ``kind`` (its payload file and index row)."""
    for line in (DEV_CORPUS / "index.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["kind"] == kind and row["statuscode"] == "200":
            return DEV_CORPUS / "captures" / f"{row['cid']}.bin", row
    raise LookupError(kind)


# --- validate / verify / export / rebuild: paths that are not a dataset ---------


@pytest.mark.parametrize("command", ["validate", "verify", "export", "rebuild"])
def test_nonexistent_dataset_dir_exits_3(command: str, tmp_path: Path) -> None:
    args = ["--parquet"] if command == "export" else []
    line = assert_one_clear_line(cli(command, *args, tmp_path / "missing"), 3)
    assert "missing" in line


@pytest.mark.parametrize("command", ["validate", "verify", "export", "rebuild"])
def test_file_given_as_dataset_dir_exits_3(command: str, tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    path.write_text("{}\n", encoding="utf-8")
    args = ["--parquet"] if command == "export" else []
    assert_one_clear_line(cli(command, *args, path), 3)


def test_validate_empty_dir_lists_what_is_missing(tmp_path: Path) -> None:
    proc = cli("validate", tmp_path)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "manifest.json: is missing" in proc.stdout
    assert "records.jsonl: is missing" in proc.stdout


def test_validate_max_problems_not_a_number_is_a_usage_error(dataset: Path) -> None:
    proc = cli("validate", dataset, "--max-problems", "abc")
    assert proc.returncode == 2  # argparse's own usage error, documented as such
    assert "Traceback" not in proc.stderr


# --- extract --------------------------------------------------------------------


def test_extract_nonexistent_file_cannot_start(tmp_path: Path) -> None:
    """--help: "3 could not start: bad setting, argument, option or path";
    `validate` exits 3 for a missing path, `extract` should too."""
    line = assert_one_clear_line(cli("extract", tmp_path / "nope.html"), 3)
    assert "nope.html" in line


def test_extract_directory_cannot_start(tmp_path: Path) -> None:
    line = assert_one_clear_line(cli("extract", tmp_path), 3)
    assert str(tmp_path.name) in line


@pytest.mark.parametrize(
    "payload", [b"", b"\x00\x01\x02binary\xff" * 100], ids=["empty", "binary"]
)
def test_extract_stdin_that_is_no_page_is_one_line(payload: bytes) -> None:
    proc = cli("extract", "-", stdin=payload)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 1
    assert len(stderr_lines(proc)) == 1
    assert proc.stdout == ""


def test_extract_unicode_path(tmp_path: Path) -> None:
    capture, row = dev_capture("post")
    page = tmp_path / "пост é 文.html"
    shutil.copyfile(capture, page)
    proc = cli("extract", page, "--timestamp", row["timestamp"])
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)
    assert record["kind"] == "post"
    assert record["capture"]["timestamp"] == row["timestamp"]


@pytest.mark.parametrize(
    "timestamp",
    ["abc", "2011", "20111306123456", "99999999999999", "-20111006123456", "1" * 40],
)
def test_extract_bad_timestamp_exits_3(timestamp: str) -> None:
    capture, _ = dev_capture("post")
    assert_one_clear_line(cli("extract", capture, "--timestamp", timestamp), 3)


@pytest.mark.parametrize("content", ["[1, 2]", "", "\x00\x01"], ids=str)
def test_extract_bad_headers_file_exits_3(content: str, tmp_path: Path) -> None:
    capture, _ = dev_capture("post")
    headers = tmp_path / "headers.json"
    headers.write_text(content, encoding="latin-1")
    assert_one_clear_line(cli("extract", capture, "--headers", headers), 3)


def test_extract_url_is_the_records_url() -> None:
    """README: "--url is the page's original URL: it becomes the record's url"."""
    capture, _ = dev_capture("post")
    url = "http://www.ise.gov/blog/a/b"
    proc = cli("extract", capture, "--url", url, "--timestamp", "20111006123456")
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)
    assert (record["url"], record["capture"]["original"]) == (url, url)


def test_extract_url_outside_ise_gov_is_refused() -> None:
    """The record's `url` is documented as `http://www.ise.gov/blog/<author>/<slug>`
    and `scrapy crawl -a prefix=` refuses other sites; `--url http://example.com/x`
    gives a record whose url is neither the given URL nor an ise.gov one
    (http://example.com/blog/<author>/<slug>), with exit 0."""
    capture, _ = dev_capture("post")
    proc = cli("extract", capture, "--url", "http://example.com/x")
    line = assert_one_clear_line(proc, 3)
    assert "--url" in line


# --- rebuild: where it writes ---------------------------------------------------


def test_rebuild_out_is_an_existing_file_exits_3(dataset: Path, tmp_path: Path) -> None:
    """An unusable output path is a "could not start" (3), not "a bug" (70)."""
    target = tmp_path / "a-file"
    target.write_text("mine\n", encoding="utf-8")
    line = assert_one_clear_line(cli("rebuild", dataset, "--out", target), 3)
    assert "a-file" in line
    assert target.read_text(encoding="utf-8") == "mine\n"


def test_rebuild_out_not_writable_is_not_a_bug(dataset: Path) -> None:
    """--help: 3 "could not start: ... path" or 74 "could not write the dataset";
    it says 70, "internal error (a bug)"."""
    proc = cli("rebuild", dataset, "--out", NOT_WRITABLE)
    assert proc.returncode in (3, 74), proc.stderr
    assert_one_clear_line(proc, proc.returncode)


@pytest.mark.parametrize("workers", ["0", "-1"])
def test_rebuild_workers_out_of_range_exits_3(dataset: Path, workers: str) -> None:
    out = dataset.parent / "rebuilt"
    assert_one_clear_line(
        cli("rebuild", dataset, "--out", out, "--workers", workers), 3
    )
    assert not out.exists()


@pytest.mark.parametrize("command", ["verify", "rebuild"])
def test_debug_option_is_accepted_after_every_subcommand(
    command: str, dataset: Path
) -> None:
    """The internal-error line says "run again with --debug"; `validate`, `export`,
    `extract` and `demo` take it after the subcommand, `verify` and `rebuild`
    answer with a usage error (exit 2)."""
    args = (
        [dataset, "--out", dataset.parent / "rebuilt"]
        if command == "rebuild"
        else [dataset]
    )
    proc = cli(command, *args, "--debug")
    assert proc.returncode == 0, proc.stderr


def test_demo_out_is_a_file_exits_3(tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("mine\n", encoding="utf-8")
    assert_one_clear_line(cli("demo", "--out", target), 3)
    assert target.read_text(encoding="utf-8") == "mine\n"


def test_no_subcommand_is_a_usage_error() -> None:
    proc = cli()
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


def test_extract_one_unreadable_path_among_several_loses_no_record(
    tmp_path: Path,
) -> None:
    capture, _ = dev_capture("post")
    proc = cli("extract", capture, tmp_path / "nope.html", capture)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert len(proc.stdout.splitlines()) == 2
    assert [json.loads(x)["kind"] for x in proc.stdout.splitlines()] == ["post"] * 2
    assert "nope.html" in proc.stderr
