"""Hostile input (issue 6): a clear error or safe output, never a crash, a hang, a
file outside OUTPUT_DIR or script in the Markdown.

New posts made from a real d7-2014 capture (slug, node id, title and body swapped)
carry one hostile trait each; one module-scoped crawl of the dev corpus plus these
posts is shared by the checks.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.crawl import ROOT, last_report, read_records, run_crawl
from tests.wayback.archive import Archive
from tests.wayback.fixtures import DEV_CORPUS
from tests.wayback.server import WaybackServer

pytestmark = pytest.mark.e2e

SITE = "http://www.ise.gov"
TEMPLATE = "c0026"  # "Welcome to the ISE Blog", d7-2014 theme
TEMPLATE_PATH = "/blog/ise-bloggers/welcome-ise-blog"
TEMPLATE_TITLE = "Welcome to the ISE Blog"
TEMPLATE_BODY_START = "<p>Welcome to the blog of"
TEMPLATE_BODY_END = '</div></div></div><div class="field field-name-field-tags'
MAX_PAGE_BYTES = 100_000  # the dev pages are at most 54 KiB

SCRIPTED_BODY = """<p onclick="alert(1)">Click <a href="javascript:alert(1)">here</a>
and <a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">there</a>
<img src="data:image/png;base64,iVBORw0KGgo=" onerror="alert(2)" alt="pixel"></p>
<script>document.write('<p>injected</p>')</script>
<style>p { background: url(javascript:alert(3)) }</style>
<p>Write to <a href="http://www.ise.gov/contact" onmouseover="steal()">us</a>.</p>
<noscript><p>No script</p></noscript>
<iframe src="javascript:alert(4)"></iframe>
<form action="javascript:alert(5)"><input onfocus="alert(6)" value="x"></form>
<p><a href="JaVaScRiPt:alert(7)">mixed case</a> <a href=" javascript:alert(8)">space</a>
<a href="vbscript:msgbox(9)">vb</a></p>
"""
#: Ten thousand unclosed <div>s, then unclosed inline elements.
NESTED_BODY = "<div>" * 10_000 + "<p>Deep text <b><i><u>" * 200 + "end"
#: cp1252 bytes (é, curly quotes, en dash) on a page that says it is UTF-8.
LYING_TEXT = "Caf\u00e9 \u201cquoted\u201d \u2013 na\u00efve r\u00e9sum\u00e9"


@dataclass(frozen=True)
class Hostile:
    path: str
    title: str
    body: str
    charset: str = "utf-8"
    content_type: str = "text/html; charset=utf-8"


HOSTILE = {
    "scripted": Hostile("/blog/hostile/scripted-post", "Scripted Post", SCRIPTED_BODY),
    "nested": Hostile("/blog/hostile/nested-post", "Nested Post", NESTED_BODY),
    "lying-charset": Hostile(
        "/blog/hostile/lying-charset",
        "Lying Charset",
        f"<p>{LYING_TEXT}</p>",
        charset="cp1252",
    ),
    "undeclared-charset": Hostile(
        "/blog/hostile/undeclared-charset",
        "Undeclared Charset",
        f"<p>{LYING_TEXT}</p>",
        content_type="text/html",
    ),
    "too-large": Hostile(
        "/blog/hostile/too-large",
        "Too Large",
        "<p>" + "padding " * (MAX_PAGE_BYTES // 8) + "</p>",
    ),
    "traversal": Hostile(
        "/blog/x/..%2F..%2F..%2Fetc%2Fpasswd", "Traversal", "<p>Traversal.</p>"
    ),
    "dot-segments": Hostile(
        "/blog/x/%2E%2E%2F%2E%2E%2Fescape", "Dot Segments", "<p>Dots.</p>"
    ),
    "long-slug": Hostile("/blog/x/" + "a" * 400, "Long Slug", "<p>Long.</p>"),
    "non-ascii": Hostile(
        "/blog/x/caf%C3%A9-%E2%80%94-%E6%97%A5%E6%9C%AC-%F0%9F%98%80",
        "Non-ASCII Slug",
        "<p>Unicode.</p>",
    ),
}


def hostile_page(nid: int, hostile: Hostile) -> bytes:
    """The template capture with this post's URL, node id, title and body."""
    text = (DEV_CORPUS / "captures" / f"{TEMPLATE}.bin").read_text(encoding="utf-8")
    start = text.index(TEMPLATE_BODY_START)
    end = text.index(TEMPLATE_BODY_END, start)
    text = text[:start] + hostile.body + text[end:]
    text = text.replace(TEMPLATE_PATH, hostile.path)
    text = text.replace("node/1224", f"node/{nid}").replace("node-1224", f"node-{nid}")
    text = text.replace(TEMPLATE_TITLE, hostile.title)
    if hostile.content_type == "text/html":
        text = text.replace('<meta charset="utf-8" />', "")
    return text.encode(hostile.charset)


@dataclass
class Run:
    root: Path
    output_dir: Path
    returncode: int
    stderr: str


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    root = tmp_path_factory.mktemp("hostile")
    output_dir = root / "a" / "b" / "output"
    archive = Archive.from_directory(DEV_CORPUS)
    for nid, hostile in enumerate(HOSTILE.values(), start=9000):
        archive.add_capture(
            SITE + hostile.path,
            "20140101000000",
            hostile_page(nid, hostile),
            headers={"Content-Type": hostile.content_type},
        )
    with WaybackServer(archive) as server:
        result = run_crawl(
            server.base_url,
            output_dir,
            ISE_ARCHIVE_MAX_PAGE_BYTES=str(MAX_PAGE_BYTES),
        )
    yield Run(root, output_dir, result.returncode, result.stderr)


def _markdown_files(run: Run) -> dict[str, str]:
    return {
        path.relative_to(run.output_dir).as_posix(): path.read_text(encoding="utf-8")
        for path in (run.output_dir / "posts").rglob("*.md")
    }


def test_the_crawl_completes(run: Run) -> None:
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Traceback" not in run.stderr, run.stderr[-3000:]


def test_nothing_is_written_outside_output_dir(run: Run) -> None:
    outside = [
        path.relative_to(run.root).as_posix()
        for path in run.root.rglob("*")
        if not path.is_relative_to(run.output_dir) and path.is_file()
    ]
    assert outside == []
    for path in run.output_dir.rglob("*"):
        relative = path.relative_to(run.output_dir)
        assert all(len(part.encode()) <= 255 for part in relative.parts), relative


def test_no_script_reaches_the_markdown(run: Run) -> None:
    files = _markdown_files(run) | {
        "records.jsonl": (run.output_dir / "records.jsonl").read_text("utf-8")
    }
    for needle in ("<script", "javascript:", "vbscript:", "onclick", "onerror"):
        found = sorted(name for name, text in files.items() if needle in text.lower())
        assert found == [], needle


def test_the_scripted_post_keeps_its_safe_content(run: Run) -> None:
    record = _record(run, "scripted")
    assert "[us](http://www.ise.gov/contact)" in record["body_markdown"]
    assert "injected" not in record["body_markdown"]
    assert "background" not in record["body_markdown"]


def test_a_lying_or_missing_charset_is_decoded_right(run: Run) -> None:
    for name in ("lying-charset", "undeclared-charset"):
        assert _record(run, name)["body_markdown"] == LYING_TEXT + "\n", name


def test_deep_markup_gives_a_post(run: Run) -> None:
    record = _record(run, "nested")
    assert record["title"] == "Nested Post"
    assert "Deep text" in record["body_markdown"]


def test_every_hostile_post_is_written_or_reported(run: Run) -> None:
    written = {r["url"] for r in read_records(run.output_dir)}
    expected = {SITE + h.path for n, h in HOSTILE.items() if n != "too-large"}
    assert expected - written == set()
    assert SITE + HOSTILE["too-large"].path not in written
    assert last_report(run.output_dir)["failed"] == {"page-too-large": 1}


def test_the_dataset_validates(run: Run) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ise_archive", "validate", str(run.output_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def _record(run: Run, name: str) -> dict[str, object]:
    url = SITE + HOSTILE[name].path
    return next(r for r in read_records(run.output_dir) if r["url"] == url)
