"""What an append-only Delta table gained between two versions, read from its log.

The inference table only grows (the drain appends, docs/decisions/0012). The files a version
added with dataChange=true hold exactly its new rows; files added with dataChange=false
(OPTIMIZE, compaction) hold rows already read and are skipped. A commit that removed data
(DELETE, UPDATE, overwrite) breaks "rows read so far" and is refused: rebuild the monitor.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.dataset as ds

from lakegate.lake import Lake


class IncrementError(RuntimeError):
    """The table's history since the last read is not a series of appends."""


def added_files(table_path: Path, after: int, upto: int) -> list[Path]:
    """Data files that versions after+1..upto appended (paths under the table's folder)."""
    files: list[Path] = []
    for version in range(after + 1, upto + 1):
        commit = table_path / "_delta_log" / f"{version:020d}.json"
        if not commit.exists():
            raise IncrementError(f"commit {version} of {table_path} is no longer in its log; rebuild the monitor")
        for line in commit.read_text().splitlines():
            action = json.loads(line) if line.strip() else {}
            if "remove" in action and action["remove"].get("dataChange", True):
                raise IncrementError(f"version {version} of {table_path} removed rows; incremental refresh reads "
                                     "appends only: rebuild the monitor")
            if "add" in action and action["add"].get("dataChange", True):
                files.append(table_path / unquote(action["add"]["path"]))
    return files


def read_appended(lake: Lake, name: str, after: int | None, columns: list[str]) -> tuple[pa.Table, int | None]:
    """(rows appended after version `after`, the version read up to); all rows when `after` is None."""
    upto = lake.version(name)
    if upto is None or (after is not None and upto <= after):
        return pa.table({}), after if upto is None else upto
    if after is None:
        return lake.read_arrow(name, version=upto, columns=columns), upto
    schema = _schema(lake, name, columns)
    files = added_files(lake.path(name), after, upto)
    if not files:
        return schema.empty_table(), upto
    return ds.dataset([str(f) for f in files], schema=schema, format="parquet").to_table(columns=columns), upto


def _schema(lake: Lake, name: str, columns: list[str]) -> pa.Schema:
    full = pa.schema(lake.table(name).schema().to_arrow())
    return pa.schema([full.field(c) for c in columns])
