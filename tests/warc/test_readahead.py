"""ise_archive.warc.readahead: every stored page named once, then extracted by a
pool of processes, each result the one the crawl would have read itself."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from ise_archive.extract import ExtractOptions, PostPage
from ise_archive.records import Post
from ise_archive.warc.readahead import extract_pages, index_pages, prepare_extraction
from ise_archive.warc.replay import answer_key
from ise_archive.warc.writer import WarcWriter

DEV = Path(__file__).parents[1] / "fixtures" / "dev"
ROOT = "http://127.0.0.1:1/web"
CDX = "http://127.0.0.1:1/cdx/search/cdx?url=ise.gov/blog/&matchType=prefix"


def _post_rows(count: int) -> list[dict[str, object]]:
    rows = [json.loads(line) for line in (DEV / "index.jsonl").open()]
    return [r for r in rows if r["kind"] == "post" and r["statuscode"] == "200"][:count]


def _write(warc_dir: Path, rows: list[dict[str, object]]) -> None:
    with WarcWriter(warc_dir, run_id="20261203T150100.000Z", software="t/1") as w:
        w.write_answer(
            url=CDX,
            status=200,
            headers=[("Content-Type", "text/plain")],
            payload=b"",
            role="cdx",
            fetched=datetime(2026, 12, 3, 15, 1, tzinfo=UTC),
        )
        for row in rows:
            source = f"{ROOT}/{row['timestamp']}id_/{row['original']}"
            w.write_capture(
                original=str(row["original"]),
                timestamp=str(row["timestamp"]),
                status=200,
                headers=list(row["headers"].items()),  # type: ignore[attr-defined]
                payload=(DEV / "captures" / f"{row['cid']}.bin").read_bytes(),
                source_uri=source,
            )
        # the archive's 404 for a capture: indexed, not a page to read
        w.write_capture(
            original="http://www.ise.gov/blog/gone",
            timestamp="20120101000000",
            status=404,
            headers=[("Content-Type", "text/html")],
            payload=b"<html>Not Found</html>",
            source_uri=f"{ROOT}/20120101000000id_/http://www.ise.gov/blog/gone",
        )


def test_every_answer_is_indexed_and_every_page_named_once(tmp_path: Path) -> None:
    rows = _post_rows(3)
    _write(tmp_path, rows)
    _write(tmp_path / "again", rows)  # a later run stored the same captures
    for path in (tmp_path / "again").iterdir():
        path.rename(tmp_path / path.name.replace("-00001", "-00002"))

    answers, pages = index_pages(tmp_path, ExtractOptions())

    first, second = sorted(answers)
    assert answers[first].keys() == answers[second].keys()
    assert answer_key(CDX) in answers[first]
    sources = {f"{ROOT}/{r['timestamp']}id_/{r['original']}" for r in rows}
    assert sources < set(answers[first])
    assert len(pages) == 3  # the 404 is no page; the second copies are the same
    assert {where.filename for _, where in pages} == {first}


def test_the_pool_reads_each_page_as_the_crawl_would(tmp_path: Path) -> None:
    rows = _post_rows(5)
    _write(tmp_path, rows)
    options = ExtractOptions(archive_base_url="http://127.0.0.1:1/web")
    _, pages = index_pages(tmp_path, options)

    batches = list(extract_pages(tmp_path, pages, options, workers=2))

    results = dict(pair for batch in batches for pair in batch)
    assert set(results) == {key for key, _ in pages}
    assert len(pages) == len(rows)
    for (key, _), row in zip(pages, rows, strict=True):  # pages in file order
        alone = PostPage(
            (DEV / "captures" / f"{row['cid']}.bin").read_bytes(),
            url=str(row["original"]),
            timestamp=str(row["timestamp"]),
            headers={k.lower(): v for k, v in row["headers"].items()},  # type: ignore[attr-defined]
            options=options,
        ).to_item()
        assert isinstance(results[key], Post)
        assert results[key].to_json() == alone.to_json()


def test_one_process_reads_the_same(tmp_path: Path) -> None:
    _write(tmp_path, _post_rows(2))
    options = ExtractOptions()
    pooled = prepare_extraction(tmp_path, options, workers=2)
    alone = prepare_extraction(tmp_path, options, workers=1)
    assert pooled.keys() == alone.keys()
    assert [v.to_json() for v in pooled.values()] == [
        alone[k].to_json() for k in pooled
    ]


def test_closing_early_cancels_the_rest(tmp_path: Path) -> None:
    _write(tmp_path, _post_rows(40))
    options = ExtractOptions()
    _, pages = index_pages(tmp_path, options)
    results = extract_pages(tmp_path, pages, options, workers=2)
    assert next(results)
    results.close()  # returns: the batches not started are cancelled
