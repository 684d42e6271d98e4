"""No capture missed for its port (issue 10): discovery lists the port forms.

The index keeps a port that is not its scheme's default in the key:
``https://www.ise.gov:80/blog/...`` is filed under ``gov,ise:80)/blog/...``, which no
``ise.gov/blog`` prefix query lists. A post captured only so was lost; one more
prefix query per port form finds it.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.crawl import gold_posts, run_crawl
from tests.wayback.archive import Archive
from tests.wayback.fixtures import DEV_CORPUS
from tests.wayback.server import WaybackServer

pytestmark = pytest.mark.e2e

PORT_ONLY = "https://www.ise.gov:80/blog/ise-bloggers/a-post-kept-only-under-port-80"


def _archive_with_a_port_only_capture() -> Archive:
    """The dev corpus, plus a post page captured only under ``https://...:80``."""
    archive = Archive.from_directory(DEV_CORPUS)
    rows = [
        json.loads(line)
        for line in (DEV_CORPUS / "index.jsonl").read_text().splitlines()
    ]
    post = next(
        row
        for row in rows
        if row["original"] in gold_posts() and row["statuscode"] == "200"
    )
    body = (DEV_CORPUS / "captures" / f"{post['cid']}.bin").read_bytes()
    archive.add_capture(PORT_ONLY, "20160301000000", body)
    return archive


def _listed(output_dir: Path) -> dict[str, str | None]:
    with sqlite3.connect(output_dir / ".state" / "state.sqlite3") as db:
        rows = db.execute("SELECT original, outcome FROM captures").fetchall()
    return dict(rows)


@pytest.mark.parametrize(("forms", "found"), [(None, True), ("", False)])
def test_a_capture_kept_only_under_a_port_form_is_listed(
    tmp_path: Path, forms: str | None, found: bool
) -> None:
    settings = {} if forms is None else {"ISE_ARCHIVE_CDX_PORT_FORMS": forms}
    with WaybackServer(_archive_with_a_port_only_capture()) as server:
        result = run_crawl(server.base_url, tmp_path / "out", **settings)
        asked = [
            parse_qs(urlsplit(record.path).query).get("url", [""])[0]
            for record in server.requests_log
            if record.pool == "cdx"
        ]

    assert result.returncode == 0, result.stderr[-3000:]
    listed = _listed(tmp_path / "out")
    assert (PORT_ONLY in listed) is found
    if found:
        assert listed[PORT_ONLY] is not None  # accounted for, like every capture
        assert asked.count("https://ise.gov:80/blog") == 1  # one query, unwindowed
