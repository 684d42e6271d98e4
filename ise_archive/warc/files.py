"""The dataset's rescued files checked against the WARC records they came from.

Every rescued attachment of a record names its evidence (``attachments[].warc``):
the ``response`` record of ``OUTPUT_DIR/warc/`` that holds the file as the archive
served it. :func:`file_evidence_problems` reads each one back and checks it is a
file record whose payload has the sha256 the record states, so ``ise-archive
verify`` proves ``files/`` and the WARC files agree (the manifest proves ``files/``
itself, :func:`ise_archive.warc.reader.verify_warcs` the WARC bytes).

This module never writes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

from ise_archive.dataset.paths import RECORDS_FILE, WARC_DIR
from ise_archive.warc.reader import READ_ERRORS, WarcProblem, read_record


def file_evidence_problems(output_dir: Path) -> Iterator[WarcProblem]:
    """Each rescued attachment whose WARC record is absent, unreadable, not a
    file's, or holds other bytes than the sha256 its record states."""
    records = output_dir / RECORDS_FILE
    if not records.is_file():
        return
    checked: dict[tuple[str, int], str | None] = {}
    with records.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                data = json.loads(line)
            except ValueError:  # reported by validate; nothing to check here
                continue
            for attachment in _rescued(data):
                warc = attachment["warc"]
                where = (str(warc.get("filename")), int(warc.get("offset", -1)))
                if where not in checked:
                    checked[where] = _payload_sha256(output_dir / WARC_DIR, *where)
                found = checked[where]
                if found != attachment.get("sha256"):
                    problem = "is unreadable or not a file's record"
                    if found:
                        problem = f"holds sha256 {found}"
                    yield WarcProblem(
                        f"{RECORDS_FILE}:{number}",
                        f"attachment {attachment.get('url')}: "
                        f"{WARC_DIR}/{where[0]}:{where[1]} {problem}",
                    )


def _rescued(data: object) -> Iterator[dict]:
    attachments = data.get("attachments") if isinstance(data, dict) else None
    for attachment in attachments or ():
        if isinstance(attachment, dict) and isinstance(attachment.get("warc"), dict):
            yield attachment


def _payload_sha256(warc_dir: Path, filename: str, offset: int) -> str | None:
    if "/" in filename or filename.startswith(".") or offset < 0:
        return None
    try:
        record = read_record(warc_dir, filename, offset)
    except READ_ERRORS:
        return None
    if record.role != "file":
        return None
    return hashlib.sha256(record.payload).hexdigest()
