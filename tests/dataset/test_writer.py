"""Tests for ise_archive.dataset.writer: layout, atomicity, determinism, containment."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import frictionless
import pytest
import yaml

from ise_archive.attachments.captures import with_attachments
from ise_archive.dataset.paths import post_markdown_path
from ise_archive.dataset.validation import (
    record_validator,
    records_schema_bytes,
    validate_dataset,
)
from ise_archive.dataset.writer import RunInfo, write_dataset
from ise_archive.errors import DatasetError
from ise_archive.records import (
    Attachment,
    CaptureRecord,
    CaptureRef,
    Image,
    Link,
    Post,
    RelatedPost,
    Tag,
    Version,
)

EASTERN_DST = timezone(timedelta(hours=-4))
WAYBACK = "https://web.archive.org"
RUN = RunInfo(
    tool_version="0.1.0",
    source_archive=WAYBACK,
    parameters={"cdx_limit": 5000, "output_dir": Path("output")},
)
SEED_URL = (
    "http://www.ise.gov/blog/ise-bloggers/"
    "social-media-and-law-enforcement-tweeting-front-line"
)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_post(url: str, title: str, published: datetime | date | None, **kw) -> Post:
    """A post as the merge step hands it over, with one capture unless given more."""
    body = kw.pop("body", f"Body of {title}.\n\nSecond paragraph.")
    ts = kw.pop("timestamp", "20111006123456")
    archive_url = f"{WAYBACK}/web/{ts}/{url}"
    fields = {
        "author": "ISE Bloggers",
        "author_url": "http://www.ise.gov/users/ise-bloggers",
        "body_markdown": body,
        "markdown": f"# {title}\n\n{body}\n",
        "capture": CaptureRef(timestamp=ts, archive_url=archive_url, original=url),
        "word_count": len(body.split()),
        "content_sha256": _sha(body),
        "template": "d7_2011",
        "captures": (
            CaptureRecord(
                timestamp=ts,
                original=url,
                archive_url=archive_url,
                digest="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
                status="200",
                mimetype="text/html",
                used=True,
                content_sha256=_sha(body),
            ),
        ),
        "versions": (
            Version(
                content_sha256=_sha(body),
                word_count=len(body.split()),
                title=title,
                first_seen=ts,
                last_seen=ts,
                captures=1,
            ),
        ),
    }
    fields.update(kw)
    return Post(url=url, title=title, published=published, **fields)


def seed_post() -> Post:
    return make_post(
        SEED_URL,
        "Social Media and Law Enforcement: Tweeting from the front line",
        datetime(2011, 10, 4, 12, 38, tzinfo=EASTERN_DST),
        nid=1234,
        tags=(
            Tag(name="DHS", url="http://www.ise.gov/category/free-tags/dhs"),
            Tag(
                name="state & local gov",
                url="http://www.ise.gov/category/free-tags/state-local-gov",
            ),
        ),
        related=(
            RelatedPost(
                title="Welcome to the ISE Blog",
                url="http://www.ise.gov/blog/ise-bloggers/welcome-ise-blog",
            ),
        ),
        links=(Link(n=1, url="https://twitter.com/shareandprotect", text="@x"),),
    )


def multi_capture_post() -> Post:
    """A post seen four times: two contents, a duplicate and a failed capture."""
    url = "http://www.ise.gov/blog/kshemendra-paul/inside-2013-annual-report-congress"
    old, new = "First draft of the report post.", "Final text of the report post."

    def row(ts: str, original: str, outcome: str, content: str, used: bool = False):
        return CaptureRecord(
            timestamp=ts,
            original=original,
            archive_url=f"{WAYBACK}/web/{ts}/{original}",
            digest=f"DIGEST{ts}",
            status="200" if outcome != "duplicate" else "-",
            mimetype="text/html",
            outcome=outcome,
            used=used,
            content_sha256=_sha(content) if content else "",
        )

    return make_post(
        url,
        "Inside the 2013 Annual Report to the Congress",
        datetime(2013, 8, 6, 9, 0, tzinfo=EASTERN_DST),
        author="Kshemendra Paul",
        body=new,
        timestamp="20140102030405",
        template="d7_2014",
        captures=(
            row(
                "20130807000000",
                "http://ise.gov:80/blog/Kshemendra-Paul/x",
                "record",
                old,
            ),
            row("20130901000000", url, "duplicate", old),
            row(
                "20131001000000",
                "http://www.ise.gov/print/blog/x/y",
                "failed:timeout",
                "",
            ),
            row("20140102030405", url.replace("http:", "https:"), "record", new, True),
        ),
        versions=(
            Version(
                content_sha256=_sha(old),
                word_count=5,
                title="Inside the 2013 Annual Report",
                first_seen="20130807000000",
                last_seen="20130901000000",
                captures=2,
            ),
            Version(
                content_sha256=_sha(new),
                word_count=6,
                title="Inside the 2013 Annual Report to the Congress",
                first_seen="20140102030405",
                last_seen="20140102030405",
                captures=1,
            ),
        ),
    )


HOSTILE_URL = "http://www.ise.gov/blog/evil/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd"
LONG_URL = "http://www.ise.gov/blog/ise-bloggers/" + "very-long-" * 50
CURLY_URL = "http://www.ise.gov/blog/tamara-wells/niem-30-here-what%E2%80%99s-new"
RENEE_URL = "http://www.ise.gov/blog/renee-caldwell/ren%C3%A9e-on-privacy"
COLLIDE_A = "http://www.ise.gov/blog/joe-laporte/officer-safety"
COLLIDE_B = "http://www.ise.gov/blog/ise-bloggers/officer-safety"


def sample_posts() -> list[Post]:
    """Sorted by (published, url), as the pipeline delivers them."""
    posts = [
        make_post(HOSTILE_URL, 'Hostile "slug": ../../etc/passwd', None),
        seed_post(),
        make_post(COLLIDE_A, "Officer Safety – A", date(2011, 10, 5)),
        make_post(COLLIDE_B, "Officer Safety – B", date(2011, 10, 5)),
        make_post(LONG_URL, "Very long\u2028title", date(2012, 1, 1)),
        multi_capture_post(),
        make_post(CURLY_URL, "NIEM 3.0 Is Here: What’s New", date(2013, 11, 20)),
        make_post(RENEE_URL, "Renée on privacy", date(2014, 3, 12)),
    ]
    return posts


def expected_markdown_paths(posts: list[Post]) -> list[str]:
    taken: set[str] = set()
    return [str(post_markdown_path(p, taken)) for p in posts]


def dataset_files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_layout_holds_every_file_and_nothing_else(tmp_path: Path) -> None:
    posts = sample_posts()
    summary = write_dataset(tmp_path, iter(posts), run=RUN)
    assert sorted(dataset_files(tmp_path)) == sorted(
        [
            "README.md",
            "datapackage.json",
            "manifest.json",
            "records.jsonl",
            "schema/record.schema.json",
            *expected_markdown_paths(posts),
        ]
    )
    assert summary.posts == len(posts)
    assert (summary.files_written, summary.files_unchanged) == (len(posts) + 5, 0)
    assert expected_markdown_paths(posts) == [
        "posts/undated/etc-passwd.md",
        "posts/2011/10/social-media-and-law-enforcement-tweeting-front-line.md",
        "posts/2011/10/officer-safety.md",
        f"posts/2011/10/officer-safety-{_sha(COLLIDE_B)[:8]}.md",
        str(post_markdown_path(posts[4])),
        "posts/2013/08/inside-2013-annual-report-congress.md",
        "posts/2013/11/niem-30-here-whats-new.md",
        "posts/2014/03/renee-on-privacy.md",
    ]


def test_records_are_the_posts_in_order_and_valid(tmp_path: Path) -> None:
    posts = sample_posts()
    write_dataset(tmp_path, iter(posts), run=RUN)
    raw = (tmp_path / "records.jsonl").read_bytes()
    lines = raw.decode("utf-8").split("\n")
    assert lines[-1] == ""
    records = [json.loads(line) for line in lines[:-1]]
    assert records == [p.to_json() for p in posts]
    assert [Post.from_json(r) for r in records] == posts
    validator = record_validator()
    assert [list(validator.iter_errors(r)) for r in records] == [[]] * len(posts)
    assert b"\r" not in raw
    assert "\u2028".encode() not in raw  # escaped, so splitlines() keeps records whole


def test_markdown_file_has_front_matter_and_document(tmp_path: Path) -> None:
    post = multi_capture_post()
    write_dataset(tmp_path, [post], run=RUN)
    text = (tmp_path / str(post_markdown_path(post))).read_text(encoding="utf-8")
    head, body = text.removeprefix("---\n").split("---\n", 1)
    assert yaml.safe_load(head) == {
        "title": post.title,
        "author": "Kshemendra Paul",
        "published": "2013-08-06T09:00:00-04:00",
        "tags": [],
        "url": post.url,
        "archive_url": f"{WAYBACK}/web/20140102030405/{post.url}",
        "capture_timestamp": "20140102030405",
    }
    assert body == "\n" + post.markdown


@pytest.mark.parametrize(
    "title",
    ['He said "no": --- end', "a\u2028b\u0085c\x00d\ufeff", "#!: [x] {y} & *z", "'q'"],
)
def test_front_matter_reads_back_hostile_titles(tmp_path: Path, title: str) -> None:
    post = make_post(SEED_URL, title, None, tags=(Tag(name=title, url=SEED_URL),))
    write_dataset(tmp_path, [post], run=RUN)
    text = (tmp_path / "posts/undated" / f"{SEED_URL.rsplit('/', 1)[1]}.md").read_text(
        encoding="utf-8"
    )
    head = text.removeprefix("---\n").split("\n---\n", 1)[0]
    front = yaml.safe_load(head)
    assert (front["title"], front["tags"], front["published"]) == (title, [title], None)


def test_schema_is_a_verbatim_copy_of_the_shipped_one(tmp_path: Path) -> None:
    write_dataset(tmp_path, [], run=RUN)
    copy = (tmp_path / "schema/record.schema.json").read_bytes()
    assert copy == records_schema_bytes()


@pytest.mark.parametrize("count", [8, 0])
def test_datapackage_passes_frictionless(tmp_path: Path, count: int) -> None:
    write_dataset(tmp_path, sample_posts()[:count], run=RUN)
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.flatten(["type", "note"]) == []
    assert report.valid


def test_datapackage_catches_changed_records(tmp_path: Path) -> None:
    write_dataset(tmp_path, sample_posts(), run=RUN)
    with (tmp_path / "records.jsonl").open("ab") as handle:
        handle.write(b'{"kind": "post", "url": "http://x/y", "title": "t"}\n')
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert "hash-count" in {row[0] for row in report.flatten(["type"])}


def test_manifest_lists_every_file_with_checksum(tmp_path: Path) -> None:
    posts = sample_posts()
    write_dataset(tmp_path, posts, run=RUN)
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "20240101T000000Z.json").write_text("{}")
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    files = dataset_files(tmp_path)
    assert manifest["files"] == [
        {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        for name, data in sorted(files.items())
        if name != "manifest.json" and not name.startswith("runs/")
    ]
    assert {k: v for k, v in manifest.items() if k != "files"} == {
        "manifest_format": 2,
        "tool": {"name": "ise-archive", "version": "0.1.0"},
        "source_archive": WAYBACK,
        "archives": [{"title": "Wayback Machine (Internet Archive)", "url": WAYBACK}],
        "crawl": {
            "run_id": None,
            "started": None,
            "complete": True,
            "incomplete_reason": None,
        },
        "parameters": {"cdx_limit": 5000, "output_dir": "output"},
        "counts": {
            "posts": 8,
            "captures": 11,
            "versions": 9,
            "posts_with_several_versions": 1,
            "posts_partial": 0,
            "attachments": 0,
            "attachments_missing": 0,
            "posts_by_year": {"2011": 3, "2012": 1, "2013": 2, "2014": 1, "undated": 1},
            "markdown_files": 8,
        },
    }


def test_card_has_hugging_face_header_and_counts(tmp_path: Path) -> None:
    write_dataset(tmp_path, sample_posts(), run=RUN)
    card = (tmp_path / "README.md").read_text(encoding="utf-8")
    header = yaml.safe_load(card.split("---\n")[1])
    assert header["license"] == "cc0-1.0"
    assert header["language"] == ["en"]
    assert header["size_categories"] == ["n<1K"]
    assert header["configs"][0]["data_files"] == [
        {"split": "train", "path": "records.jsonl"}
    ]
    assert "- posts: 8 (undated: 1)" in card
    assert "| 2011 | 3 |" in card


def test_output_is_byte_identical_across_fresh_directories(tmp_path: Path) -> None:
    write_dataset(tmp_path / "a", iter(sample_posts()), run=RUN)
    write_dataset(tmp_path / "b", iter(sample_posts()), run=RUN)
    assert dataset_files(tmp_path / "a") == dataset_files(tmp_path / "b")


def test_unchanged_rewrite_touches_nothing(tmp_path: Path) -> None:
    write_dataset(tmp_path, sample_posts(), run=RUN)
    before = {p: os.stat(p).st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    past = 1_000_000_000_000_000_000
    for path in before:
        os.utime(path, ns=(past, past))
    summary = write_dataset(tmp_path, sample_posts(), run=RUN)
    after = {p: os.stat(p).st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    assert after == dict.fromkeys(before, past)
    assert (summary.files_written, summary.files_unchanged) == (0, len(before))
    assert summary.files_removed == 0


def test_changed_post_rewrites_only_its_files(tmp_path: Path) -> None:
    posts = sample_posts()
    write_dataset(tmp_path, posts, run=RUN)
    posts[1] = make_post(SEED_URL, "New title", posts[1].published)
    summary = write_dataset(tmp_path, posts, run=RUN)
    # the post's .md, records.jsonl, datapackage (hash), manifest
    assert summary.files_written == 4
    front = (tmp_path / expected_markdown_paths(posts)[1]).read_text(encoding="utf-8")
    assert 'title: "New title"\n' in front


def test_vanished_post_loses_its_markdown(tmp_path: Path) -> None:
    posts = sample_posts()
    write_dataset(tmp_path, posts, run=RUN)
    gone = expected_markdown_paths(posts)[-1]
    summary = write_dataset(tmp_path, posts[:-1], run=RUN)
    assert summary.files_removed == 1
    assert not (tmp_path / gone).exists()
    assert not (tmp_path / "posts/2014").exists()  # emptied directories pruned
    assert dataset_files(tmp_path) == _fresh_files(tmp_path.parent / "x", posts[:-1])


def _fresh_files(directory: Path, posts: list[Post]) -> dict[str, bytes]:
    write_dataset(directory, posts, run=RUN)
    return dataset_files(directory)


def test_hostile_slugs_stay_inside_output_dir(tmp_path: Path) -> None:
    output = tmp_path / "out"
    write_dataset(output, sample_posts(), run=RUN)
    outside = [p for p in tmp_path.rglob("*") if not p.is_relative_to(output)]
    assert outside == []
    names = [p.name for p in output.rglob("*.md") if p.parent.name != "posts"]
    assert all(len(name) <= 124 for name in names)
    assert (output / "posts/undated/etc-passwd.md").is_file()


def test_symlink_out_of_output_dir_is_refused(tmp_path: Path) -> None:
    output, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    elsewhere.mkdir()
    (output / "posts").mkdir(parents=True)
    (output / "posts" / "undated").symlink_to(elsewhere)
    with pytest.raises(DatasetError, match="outside"):
        write_dataset(output, [make_post(SEED_URL, "T", None)], run=RUN)
    assert list(elsewhere.iterdir()) == []


def _failing_after(posts: list[Post], n: int) -> Iterator[Post]:
    yield from posts[:n]
    raise RuntimeError("crawler died")


def test_interrupted_write_leaves_previous_dataset_intact(tmp_path: Path) -> None:
    old = sample_posts()[:4]
    write_dataset(tmp_path, old, run=RUN)
    before = dataset_files(tmp_path)
    new = [make_post(p.url, p.title + " (edited)", p.published) for p in sample_posts()]
    with pytest.raises(RuntimeError, match="crawler died"):
        write_dataset(tmp_path, _failing_after(new, 6), run=RUN)
    assert dataset_files(tmp_path) == before  # no temp file left either


def test_invalid_record_aborts_before_anything_changes(tmp_path: Path) -> None:
    write_dataset(tmp_path, sample_posts()[:2], run=RUN)
    before = dataset_files(tmp_path)
    bad = make_post(SEED_URL, "T", None, content_sha256="not-a-hash")
    with pytest.raises(DatasetError, match=r"content_sha256"):
        write_dataset(tmp_path, [bad], run=RUN)
    assert dataset_files(tmp_path) == before


def test_invalid_record_is_handed_to_on_invalid_and_left_out(tmp_path: Path) -> None:
    posts = sample_posts()[:3]
    bad = make_post(SEED_URL + "-bad", "T", None, content_sha256="not-a-hash")
    invalid: list[tuple[str, str]] = []
    summary = write_dataset(
        tmp_path,
        [posts[0], bad, *posts[1:]],
        run=RUN,
        on_invalid=lambda post, exc: invalid.append((post.url, str(exc))),
    )
    assert invalid == [
        (bad.url, "at $.content_sha256: 'not-a-hash' does not match '^[0-9a-f]{64}$'")
    ]
    assert summary.posts == len(posts)
    assert dataset_files(tmp_path) == _fresh_files(tmp_path / "fresh", posts)


def test_on_written_sees_each_record_with_its_line(tmp_path: Path) -> None:
    posts = sample_posts()
    written: list[tuple[str, str]] = []
    write_dataset(
        tmp_path,
        posts,
        run=RUN,
        on_written=lambda post, line: written.append((post.url, line)),
    )
    lines = (tmp_path / "records.jsonl").read_text(encoding="utf-8")
    assert [url for url, _ in written] == [p.url for p in posts]
    assert "".join(line for _, line in written) == lines


def test_stale_temporaries_of_a_killed_run_are_removed(tmp_path: Path) -> None:
    write_dataset(tmp_path, sample_posts()[:2], run=RUN)
    before = dataset_files(tmp_path)
    (tmp_path / ".records.jsonl.abc123.ise-tmp").write_text("half")
    (tmp_path / "posts/2011/10/.x.md.abc123.ise-tmp").write_text("half")
    write_dataset(tmp_path, sample_posts()[:2], run=RUN)
    assert dataset_files(tmp_path) == before


def test_duplicate_url_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="share the URL"):
        write_dataset(tmp_path, [seed_post(), seed_post()], run=RUN)


def test_unserializable_parameter_is_refused(tmp_path: Path) -> None:
    run = RunInfo(tool_version="0", source_archive=WAYBACK, parameters={"x": object()})
    with pytest.raises(DatasetError, match="run parameter"):
        write_dataset(tmp_path / "out", [seed_post()], run=run)
    assert list(tmp_path.iterdir()) == []


def _crawl_run(run_id: str, **changes: object) -> RunInfo:
    fields: dict[str, object] = {
        "tool_version": "0.1.0",
        "source_archive": "http://127.0.0.1:8765",
        "run_id": run_id,
        "started": datetime(2026, 12, 3, 13, 1, 48, tzinfo=UTC),
    }
    return RunInfo(**{**fields, **changes})  # type: ignore[arg-type]


def test_manifest_and_card_say_when_from_where_and_if_finished(
    tmp_path: Path,
) -> None:
    run = _crawl_run(
        "20261203T130148Z",
        complete=False,
        incomplete_reason="interrupted with 67 captures pending",
    )
    write_dataset(tmp_path, sample_posts(), run=run)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    card = (tmp_path / "README.md").read_text(encoding="utf-8")
    package = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    local = (
        "Wayback-compatible archive on the crawling machine (127.0.0.1:8765), "
        "not the Internet Archive"
    )
    assert manifest["crawl"] == {
        "run_id": "20261203T130148Z",
        "started": "2026-12-03T13:01:48Z",
        "complete": False,
        "incomplete_reason": "interrupted with 67 captures pending",
    }
    assert manifest["archives"] == [{"title": local, "url": "http://127.0.0.1:8765"}]
    assert package["sources"][1] == {"title": local, "path": "http://127.0.0.1:8765"}
    assert "Wayback Machine (Internet Archive)" not in json.dumps(package)
    assert (
        "- crawled: 2026-12-03T13:01:48Z (UTC, start of run `20261203T130148Z`)" in card
    )
    assert "- tool: ise-archive 0.1.0" in card
    assert "**incomplete**: the run that wrote it did not finish (interrupted" in card


def test_card_explains_every_capture_outcome(tmp_path: Path) -> None:
    write_dataset(tmp_path, sample_posts(), run=RUN)
    card = (tmp_path / "README.md").read_text(encoding="utf-8")
    for outcome in ("record", "duplicate", "skip:superseded", "skip:redirect-variant"):
        assert f"| `{outcome}` | " in card


def test_quiet_rerun_keeps_the_first_runs_time_and_every_byte(tmp_path: Path) -> None:
    write_dataset(tmp_path, sample_posts(), run=_crawl_run("20261201T000000Z"))
    before = dataset_files(tmp_path)
    later = _crawl_run("20261202T000000Z", started=datetime(2026, 12, 2, tzinfo=UTC))
    summary = write_dataset(tmp_path, sample_posts(), run=later)
    assert dataset_files(tmp_path) == before
    assert summary.files_written == 0


@pytest.mark.parametrize(
    "change",
    [{"complete": False, "incomplete_reason": "blocked"}, {"tool_version": "0.2.0"}],
)
def test_rerun_with_another_outcome_names_the_new_run(
    tmp_path: Path, change: dict[str, object]
) -> None:
    write_dataset(tmp_path, sample_posts(), run=_crawl_run("20261201T000000Z"))
    later = _crawl_run(
        "20261202T000000Z", started=datetime(2026, 12, 2, tzinfo=UTC), **change
    )
    write_dataset(tmp_path, sample_posts(), run=later)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["crawl"]["run_id"], manifest["crawl"]["started"]) == (
        "20261202T000000Z",
        "2026-12-02T00:00:00Z",
    )
    assert "2026-12-02T00:00:00Z" in (tmp_path / "README.md").read_text("utf-8")


def test_changed_post_names_the_new_run(tmp_path: Path) -> None:
    posts = sample_posts()
    write_dataset(tmp_path, posts, run=_crawl_run("20261201T000000Z"))
    later = _crawl_run("20261202T000000Z", started=datetime(2026, 12, 2, tzinfo=UTC))
    write_dataset(tmp_path, posts[1:], run=later)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["crawl"]["run_id"] == "20261202T000000Z"


def test_every_archive_fetched_from_is_named(tmp_path: Path) -> None:
    run = _crawl_run(
        "r1",
        archives=(
            "http://127.0.0.1:8765",
            "https://webarchive.library.unt.edu/eot2016",
        ),
    )
    write_dataset(tmp_path, sample_posts(), run=run)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    package = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    assert [a["url"] for a in manifest["archives"]] == list(run.archives)
    assert [s["path"] for s in package["sources"][1:]] == list(run.archives)
    assert manifest["archives"][1]["title"] == (
        "pywb collection eot2016 at webarchive.library.unt.edu"
    )


def test_rescued_images_and_files_open_from_the_markdown_file(tmp_path: Path) -> None:
    png = "http://www.ise.gov/sites/default/files/smile-dallas.png"
    pdf = "https://ise.gov/sites/default/files/SMILE_agenda.pdf"
    gone = "http://www.ise.gov/sites/default/files/never.pdf"
    body = f"![Dallas]({png})\n\nThe [agenda]({pdf}) and [notes]({gone})."
    markdown = (
        f"# T\n\n![Dallas]({png})\n\nThe [agenda][1] and [notes][2].\n\n## Links\n\n"
        f"1. <{pdf}>\n2. <{gone}>\n\n[1]: {pdf}\n[2]: {gone}\n"
    )
    pdf_path = "files/www.ise.gov/sites/default/files/smile-agenda-0123abcd.pdf"
    attachments = (
        Attachment(
            url=png,
            kind="image",
            timestamp="20111006000000",
            archive_url=f"{WAYBACK}/web/20111006000000/{png}",
            mimetype="image/png",
            size=3,
            sha256=_sha("png"),
            path="files/www.ise.gov/sites/default/files/smile-dallas.png",
        ),
        Attachment(
            url=pdf,
            kind="file",
            timestamp="20111001000000",
            archive_url=f"{WAYBACK}/web/20111001000000/{pdf}",
            mimetype="application/pdf",
            size=3,
            sha256=_sha("pdf"),
            path=pdf_path,
        ),
        Attachment(url=gone, kind="file", missing=True, reason="not-archived"),
    )
    post = make_post(
        SEED_URL,
        "T",
        date(2011, 10, 4),
        body=body,
        markdown=markdown,
        images=(Image(url=png, alt="Dallas"),),
        links=(Link(n=1, url=pdf, text="agenda"), Link(n=2, url=gone, text="notes")),
    )
    for attachment in attachments:
        if attachment.path:
            data = attachment.kind[:3].replace("ima", "png").replace("fil", "pdf")
            (tmp_path / attachment.path).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / attachment.path).write_text(data)
    write_dataset(tmp_path, [with_attachments(post, attachments)], run=RUN)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    assert listed[pdf_path] == _sha("pdf")
    assert manifest["counts"]["attachments"] == 3
    assert manifest["counts"]["attachments_missing"] == 1
    record = json.loads((tmp_path / "records.jsonl").read_text(encoding="utf-8"))
    assert record["images"] == [
        {
            "url": png,
            "alt": "Dallas",
            "caption": "",
            "path": "files/www.ise.gov/sites/default/files/smile-dallas.png",
        }
    ]
    assert record["attachments"][2] == {
        "url": gone,
        "kind": "file",
        "missing": True,
        "reason": "not-archived",
    }
    assert record["links"][0]["url"] == pdf  # the record keeps the original URL
    document = (tmp_path / post_markdown_path(post)).read_text(encoding="utf-8")
    up = "../../../"
    assert f"![Dallas]({up}files/www.ise.gov/sites/default/files/smile-dallas.png)" in (
        document
    )
    assert f"[1]: {up}{pdf_path}\n[2]: {gone}\n" in document
    assert f"1. <{pdf}>" in document  # the visible list still names the original


def test_a_file_no_record_uses_any_more_leaves_the_dataset(tmp_path: Path) -> None:
    report = "http://www.ise.gov/sites/default/files/report.pdf"
    old = "files/www.ise.gov/sites/default/files/old/report-0123abcd.pdf"
    new = "files/www.ise.gov/sites/default/files/report-4567ef01.pdf"

    def write(path: str) -> Post:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(path)
        attachment = Attachment(
            url=report,
            kind="file",
            timestamp="20111001000000",
            archive_url=f"{WAYBACK}/web/20111001000000/{report}",
            mimetype="application/pdf",
            size=len(path),
            sha256=_sha(path),
            path=path,
        )
        post = make_post(
            SEED_URL, "T", date(2011, 10, 4), links=(Link(n=1, url=report),)
        )
        write_dataset(tmp_path, [with_attachments(post, [attachment])], run=RUN)
        return post

    write(old)
    post = write(new)  # the post now uses another version of the report
    assert not (tmp_path / old).exists()
    assert not (tmp_path / old).parent.exists()  # its empty directory is pruned
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert [f["path"] for f in manifest["files"] if f["path"].startswith("files/")] == [
        new
    ]
    assert validate_dataset(tmp_path) == []
    # a stray copy (a mirror kept without --delete) is not part of the dataset
    (tmp_path / old).parent.mkdir(parents=True)
    (tmp_path / old).write_text("stray")
    assert [(p.path, p.message) for p in validate_dataset(tmp_path)] == [
        (old, "is not listed in the manifest (no record uses it)")
    ]
    write_dataset(tmp_path, [post], run=RUN)  # attachments off: no file is used
    assert not (tmp_path / "files").exists() or not any(
        p.is_file() for p in (tmp_path / "files").rglob("*")
    )
