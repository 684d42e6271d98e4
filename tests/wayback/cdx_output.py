"""The CDX endpoint's answers: a query string in, status and body out.

What ``GET /cdx/search/cdx`` returns, without any HTTP: the page count for
``showNumPages=true``, else the rows of the query (capped at the server's row
limit) in the columns ``fl`` asks for, as space-separated text or, with
``output=json``, a JSON array of arrays headed by the field names. With
``showResumeKey=true`` a resume key follows after a blank line (text) or an empty
array (JSON), as wayback-cdx-server writes it. A bad query is a 400 with the reason.
Querying the index itself is :mod:`tests.wayback.archive`; serving it is
:mod:`tests.wayback.server`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from urllib.parse import parse_qs

from tests.wayback.archive import (
    CDX_FIELDS,
    Archive,
    QueryError,
    count_cdx_pages,
    parse_cdx_query,
    run_cdx_query,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CdxAnswer:
    status: int
    content_type: str
    body: bytes


def answer_cdx_query(
    archive: Archive, query_string: str, *, max_rows: int
) -> CdxAnswer:
    """The CDX server's answer to ``query_string`` over ``archive``."""
    params = parse_qs(query_string, keep_blank_values=True)
    try:
        query = parse_cdx_query(params)
        fields = field_list(params.get("fl", [""])[-1])
        if params.get("showNumPages", [""])[-1] == "true":
            pages = count_cdx_pages(archive, query)
            return CdxAnswer(200, "text/plain", f"{pages}\n".encode())
        if query.limit is None or query.limit > max_rows:
            query = replace(query, limit=max_rows)
        result = run_cdx_query(archive, query)
    except QueryError as exc:
        return CdxAnswer(400, "text/plain", f"{exc}\n".encode())
    show_key = params.get("showResumeKey", [""])[-1] == "true"
    key = result.resume_key if show_key else None
    table = [[row.value(name) for name in fields] for row in result.rows]
    if params.get("output", [""])[-1] == "json":
        return CdxAnswer(200, "application/json", render_json(fields, table, key))
    return CdxAnswer(200, "text/plain", render_text(table, key))


def field_list(spec: str) -> tuple[str, ...]:
    """The columns ``fl=`` names (all of them when empty); unknown ones are a 400."""
    if not spec:
        return CDX_FIELDS
    fields = tuple(name.strip() for name in spec.split(","))
    unknown = [name for name in fields if name not in CDX_FIELDS]
    if unknown:
        raise QueryError(f"unknown fields {unknown}")
    return fields


def render_json(
    fields: tuple[str, ...], table: list[list[str]], resume_key: str | None
) -> bytes:
    """``output=json``: a header row then one array per row; nothing when empty.

    >>> render_json(("timestamp",), [["2011"]], "k")
    b'[["timestamp"],\\n["2011"],\\n[],\\n["k"]]\\n'
    """
    lines = [json.dumps(list(fields))] + [json.dumps(r) for r in table]
    if not table:
        lines = []
    if resume_key:
        lines += ["[]", json.dumps([resume_key])]
    return ("[" + ",\n".join(lines) + "]\n").encode()


def render_text(table: list[list[str]], resume_key: str | None) -> bytes:
    """The default output: one space-separated line per row, then the resume key.

    >>> render_text([["2011", "200"]], "k")
    b'2011 200\\n\\nk\\n'
    """
    text = "".join(" ".join(r) + "\n" for r in table)
    if resume_key:
        text += f"\n{resume_key}\n"
    return text.encode()
