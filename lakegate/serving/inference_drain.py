"""Draining the inference-log spool into Delta: every complete spool file lands once in its
endpoint's table `<catalog>.serving.<endpoint>_inference_log` (see inference_log.py for the writer).

One Delta append per endpoint per drain, naming its files in the commit info (`lakegate.files`,
as bronze does); the files are deleted after the commit. If a drain dies between the commit and
the deletes, the next one finds the names in the recent commits and deletes the files without
appending them again. A file lock keeps drains serial.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import pyarrow as pa
from filelock import FileLock

from lakegate.serving.inference_log import (
    _ENDPOINT,
    _LOCK_FILE,
    _RECENT_COMMITS,
    _SPOOL_FILE,
    _UNREADABLE_DIR,
    INFERENCE_LOG_SCHEMA,
    inference_table_name,
)

if TYPE_CHECKING:  # lakegate.lake imports dagster, which a serving worker does not need
    from lakegate.lake import Lake

log = logging.getLogger(__name__)


def spool_files(directory: Path) -> list[Path]:
    """Complete spool files in an endpoint's folder (temporary, half-written files excluded)."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if _SPOOL_FILE.match(p.name) and p.is_file())


def read_spool_file(data: bytes) -> pa.Table:
    rows = []
    for line in data.decode("utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        timestamp = dt.datetime.fromisoformat(row["timestamp"])
        row["timestamp"] = timestamp
        row["date"] = timestamp.astimezone(dt.timezone.utc).date()
        rows.append(row)
    table = pa.Table.from_pylist(rows, schema=INFERENCE_LOG_SCHEMA)
    for f in INFERENCE_LOG_SCHEMA:
        if not f.nullable and table[f.name].null_count:  # Arrow does not enforce it, delta-rs may not either
            raise ValueError(f"null {f.name}")
    return table


def drain_spool(lake: Lake, spool_dir: Path | str, catalog: str, endpoints: Sequence[str] | None = None) -> dict[str, int]:
    """Append every complete spool file to its endpoint's inference table, exactly once.

    One Delta append per endpoint, naming its files in the commit info; the files are deleted
    after the commit. Returns the rows appended per endpoint. A file lock keeps drains serial.
    """
    spool_dir = Path(spool_dir)
    spool_dir.mkdir(parents=True, exist_ok=True)
    if endpoints is None:
        endpoints = sorted(p.name for p in spool_dir.iterdir() if p.is_dir() and _ENDPOINT.match(p.name))
    tables = {e: inference_table_name(catalog, e) for e in endpoints}
    with FileLock(str(spool_dir / _LOCK_FILE)):
        return {e: _drain_endpoint(lake, spool_dir / e, tables[e]) for e in endpoints}


def _drain_endpoint(lake: Lake, directory: Path, table_name: str) -> int:
    from lakegate.lineage import FILES_KEY  # here: importing lakegate.lake costs a worker a second (dagster)

    files = spool_files(directory)
    if not files:
        return 0
    committed = _committed_files(lake, table_name, FILES_KEY)
    for path in files:
        if path.name in committed:  # a previous drain committed it, then died before deleting it
            path.unlink()
    parts, entries, taken = [], [], []
    for path in files:
        if path.name in committed:
            continue
        data = path.read_bytes()
        try:
            part = read_spool_file(data)
        except (ValueError, KeyError, TypeError, pa.ArrowException) as exc:
            _set_aside(path, exc)
            continue
        parts.append(part)
        entries.append({"path": path.name, "content_hash": hashlib.sha256(data).hexdigest(), "rows": part.num_rows})
        taken.append(path)
    if not parts:
        return 0
    table = pa.concat_tables(parts)
    lake.write_arrow(table_name, table, mode="append", commit_metadata={FILES_KEY: json.dumps(entries)})
    for path in taken:
        path.unlink()
    return table.num_rows


def _committed_files(lake: Lake, table_name: str, files_key: str) -> set[str]:
    """Spool file names in the table's recent commits (history is read newest first, limited)."""
    if not lake.exists(table_name):
        return set()
    names: set[str] = set()
    for commit in lake.table(table_name).history(limit=_RECENT_COMMITS):
        if files_key in commit:
            names.update(entry["path"] for entry in json.loads(commit[files_key]))
    return names


def _set_aside(path: Path, exc: Exception) -> None:
    """A complete file that cannot be parsed is kept for a person, not retried forever nor dropped."""
    target = path.parent / _UNREADABLE_DIR / path.name
    target.parent.mkdir(exist_ok=True)
    os.rename(path, target)
    log.warning("inference log: set aside unreadable spool file %s (%s)", target, type(exc).__name__)
