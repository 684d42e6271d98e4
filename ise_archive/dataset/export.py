"""Parquet export of ``records.jsonl`` (``ise-archive export --parquet``).

Parquet is what data engineers load into DuckDB, Spark or pandas without parsing JSON.
The Arrow schema is derived from the shipped JSON Schema, so nested fields keep their
structure (``tags`` is a list of ``{name, url}`` structs, ``capture`` a struct) and an
empty dataset still gets every column. Records are read and written in batches, so
memory stays flat whatever the dataset size. ``published`` stays an ISO 8601 string:
it mixes timestamps with offsets and plain dates.

The file is a derived copy: it is not listed in the manifest; export again after each
crawl. pyarrow is an optional dependency (the ``[parquet]`` extra) and is imported only
here, when an export is asked for.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ise_archive.dataset.paths import RECORDS_FILE
from ise_archive.dataset.validation import decode_record_line, records_schema
from ise_archive.dataset.writer import atomic_temp_file
from ise_archive.errors import DatasetError

logger = logging.getLogger(__name__)

PARQUET_FILE = "records.parquet"
BATCH_SIZE = 1000


def export_parquet(output_dir: Path, target: Path | None = None) -> Path:
    """Write the dataset's records as Parquet; return the path written.

    ``target`` defaults to ``OUTPUT_DIR/records.parquet``. The file is written to a
    temporary name and renamed, so a failed export never leaves a broken file.
    """
    pa, pq = _import_pyarrow()
    source = output_dir / RECORDS_FILE
    if not source.is_file():
        raise DatasetError(f"no {RECORDS_FILE} in {output_dir}: nothing to export")
    target = target or output_dir / PARQUET_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    schema = arrow_schema(records_schema())
    rows = 0
    with atomic_temp_file(target) as (handle, temp):
        writer = pq.ParquetWriter(handle, schema, compression="zstd")
        try:
            for batch in _batches(source):
                try:
                    table = pa.Table.from_pylist(batch, schema=schema)
                except (pa.ArrowException, TypeError, ValueError) as exc:
                    raise DatasetError(
                        f"{source}: records {rows + 1}-{rows + len(batch)} do not "
                        f"fit the record schema ({exc}): check it with "
                        "ise-archive validate"
                    ) from exc
                writer.write_table(table)
                rows += len(batch)
        finally:
            writer.close()
    os.replace(temp, target)
    logger.info("Exported %(rows)d records to %(path)s", {"rows": rows, "path": target})
    return target


def arrow_schema(json_schema: Mapping[str, Any]) -> Any:
    """The ``pyarrow.Schema`` of a record, from its JSON Schema (object at the top)."""
    pa, _ = _import_pyarrow()
    struct = _arrow_type(pa, json_schema, json_schema.get("$defs", {}))
    return pa.schema(list(struct))


def _arrow_type(pa: Any, spec: Mapping[str, Any], defs: Mapping[str, Any]) -> Any:
    if "$ref" in spec:
        spec = {**defs[spec["$ref"].rsplit("/", 1)[-1]], **spec}
        del spec["$ref"]
    if "anyOf" in spec:  # null / "" / a value: the value's type, nullable
        branches = [b for b in spec["anyOf"] if b.get("type") != "null"]
        return _arrow_type(pa, branches[-1], defs)
    if "oneOf" in spec:  # alternative objects (attachments): one struct of all fields
        properties: dict[str, Any] = {}
        for branch in spec["oneOf"]:
            for name, sub in branch["properties"].items():
                properties.setdefault(name, sub)
        spec = {"type": "object", "properties": properties}
    kind = spec.get("type", "string")
    if "const" in spec and isinstance(spec["const"], bool):
        kind = "boolean"
    if kind == "object":
        return pa.struct(
            [
                pa.field(name, _arrow_type(pa, sub, defs))
                for name, sub in spec["properties"].items()
            ]
        )
    if kind == "array":
        return pa.list_(_arrow_type(pa, spec["items"], defs))
    return {"integer": pa.int64(), "boolean": pa.bool_()}.get(kind, pa.string())


def _batches(source: Path) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    with source.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                batch.append(json.loads(decode_record_line(raw)))
            except UnicodeDecodeError as exc:
                raise DatasetError(
                    f"{source}:{number} is not UTF-8 ({exc.reason}): "
                    "check it with ise-archive validate"
                ) from exc
            except json.JSONDecodeError as exc:
                raise DatasetError(
                    f"{source}:{number} is not JSON ({exc}): "
                    "check it with ise-archive validate"
                ) from exc
            if len(batch) == BATCH_SIZE:
                yield batch
                batch = []
    if batch:
        yield batch


def _import_pyarrow() -> tuple[Any, Any]:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as exc:
        raise DatasetError(
            "Parquet export needs pyarrow: pip install 'ise-archive[parquet]'"
        ) from exc
    return pyarrow, pyarrow.parquet
