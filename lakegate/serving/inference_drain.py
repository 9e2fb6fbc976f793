"""Draining the inference-log spool into Delta: every sealed spool file lands once in its
endpoint's table `<catalog>.serving.<endpoint>_inference_log` (see inference_log.py for the writer).

Each drain first seals the segments of workers that died (inference_spool.recover_orphans), then
makes one Delta append per endpoint, naming its files in the commit info (`lakegate.files`, as
bronze does); the files are deleted after the commit. If a drain dies between the commit and the
deletes, the next one finds the names in the recent commits and deletes the files without
appending them again. A long-lived drain (`SpoolDrain`, the server's) keeps each table open between
drains: it reads only the log entries added since, and looks for committed names only in commits
it did not write itself (another server's, on the same home). A line that cannot become a row (bad
JSON, text that is not UTF-8, a missing field) is set aside alone in `unreadable/`; the rest of its
file is appended. A file lock keeps drains serial.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json
from filelock import FileLock

from lakegate.atomic_file import write_text_atomically
from lakegate.serving.inference_log import (
    _ENDPOINT,
    _LOCK_FILE,
    _RECENT_COMMITS,
    _UNREADABLE_DIR,
    INFERENCE_LOG_SCHEMA,
    inference_table_name,
)
from lakegate.serving.inference_spool import recover_orphans, spool_files

if TYPE_CHECKING:  # lakegate.lake imports dagster, which a serving worker does not need
    from deltalake import DeltaTable

    from lakegate.lake import Lake

log = logging.getLogger(__name__)

_BAD_ROW = (ValueError, KeyError, TypeError, AttributeError, pa.ArrowException)


def read_spool_file(data: bytes) -> tuple[pa.Table, list[tuple[int, str]]]:
    """The file's rows, and (line number, reason) for each line that cannot be a row."""
    whole = _read_whole_file(data)
    return (whole, []) if whole is not None else read_line_by_line(data)


def read_line_by_line(data: bytes) -> tuple[pa.Table, list[tuple[int, str]]]:
    """Each line on its own: finds the lines that cannot be rows (and is what the whole-file read must equal)."""
    rows, bad = [], []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if raw.strip():
            try:
                rows.append((number, _row(raw)))
            except _BAD_ROW as exc:
                bad.append((number, type(exc).__name__))
    try:  # the usual case: the whole file converts at once
        return pa.Table.from_pylist([row for _, row in rows], schema=INFERENCE_LOG_SCHEMA), bad
    except _BAD_ROW:
        pass
    good = []
    for number, row in rows:  # find the rows Arrow refuses, one by one
        try:
            pa.Table.from_pylist([row], schema=INFERENCE_LOG_SCHEMA)
            good.append(row)
        except _BAD_ROW as exc:
            bad.append((number, type(exc).__name__))
    return pa.Table.from_pylist(good, schema=INFERENCE_LOG_SCHEMA), sorted(bad)


_JSON_SCHEMA = pa.schema([f for f in INFERENCE_LOG_SCHEMA if f.name != "date"])
_REQUIRED = [f.name for f in INFERENCE_LOG_SCHEMA if not f.nullable]


def _read_whole_file(data: bytes) -> pa.Table | None:
    """The usual file (every line a whole record) parsed by Arrow's JSON reader at once, a tenth of
    the per-line cost the drain paid beside the serving workers; None sends the file line by line."""
    if not data.strip():
        return None
    try:
        table = pa_json.read_json(io.BytesIO(data), parse_options=pa_json.ParseOptions(
            explicit_schema=_JSON_SCHEMA, unexpected_field_behavior="error"))
    except pa.ArrowException:
        return None
    if any(table[name].null_count for name in _REQUIRED):
        return None
    table = table.append_column("date", pc.cast(table["timestamp"], pa.date32()))
    return table.select(INFERENCE_LOG_SCHEMA.names).cast(INFERENCE_LOG_SCHEMA)


def _row(raw: bytes) -> dict:
    row = json.loads(raw.decode("utf-8"))
    if not isinstance(row, dict):
        raise TypeError("not an object")
    timestamp = dt.datetime.fromisoformat(row["timestamp"])
    row["timestamp"] = timestamp
    row["date"] = timestamp.astimezone(dt.timezone.utc).date()
    for f in INFERENCE_LOG_SCHEMA:
        if not f.nullable and row.get(f.name) is None:  # Arrow does not enforce it, delta-rs may not either
            raise ValueError(f"null {f.name}")
    return row


def drain_spool(lake: Lake, spool_dir: Path | str, catalog: str, endpoints: Sequence[str] | None = None) -> dict[str, int]:
    """Append every sealed spool file to its endpoint's inference table, exactly once (one drain)."""
    return SpoolDrain(lake, spool_dir, catalog).drain(endpoints)


class SpoolDrain:
    """Drains one spool directory into the inference tables, again and again.

    One Delta append per endpoint and drain, naming its files in the commit info; the files are
    deleted after the commit. Returns the rows appended per endpoint. A file lock keeps drains
    serial, across servers too.
    """

    def __init__(self, lake: Lake, spool_dir: Path | str, catalog: str):
        self.lake, self.spool_dir, self.catalog = lake, Path(spool_dir), catalog
        self._open: dict[str, tuple[DeltaTable, int]] = {}  # table -> (the table kept open, the version it wrote)

    def drain(self, endpoints: Sequence[str] | None = None) -> dict[str, int]:
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        if endpoints is None:
            endpoints = sorted(p.name for p in self.spool_dir.iterdir() if p.is_dir() and _ENDPOINT.match(p.name))
        with FileLock(str(self.spool_dir / _LOCK_FILE)):
            return {e: self._drain_endpoint(self.spool_dir / e, inference_table_name(self.catalog, e)) for e in endpoints}

    def _drain_endpoint(self, directory: Path, table_name: str) -> int:
        from lakegate.lineage import FILES_KEY  # here: importing lakegate.lake costs a worker a second (dagster)

        recover_orphans(directory)
        files = spool_files(directory)
        if not files:
            return 0
        table, newest = self._up_to_date(table_name)
        committed = _committed_files(table, newest, FILES_KEY)
        parts, entries, taken = [], [], []
        for path in files:
            if path.name in committed:  # a previous drain committed it, then died before deleting it
                path.unlink()
                continue
            data = path.read_bytes()
            part, bad = read_spool_file(data)
            if bad:
                _set_aside(path, data, bad)
            parts.append(part)
            entries.append({"path": path.name, "content_hash": hashlib.sha256(data).hexdigest(), "rows": part.num_rows,
                            "set_aside": len(bad)})
            taken.append(path)
        if taken:
            self.lake.write_arrow(table_name, pa.concat_tables(parts), mode="append",
                                  commit_metadata={FILES_KEY: json.dumps(entries)}, opened=table)
            for path in taken:
                path.unlink()
            # kept only now: a file left behind by a failed delete must meet the history check again
            table = table if table is not None else self.lake.table(table_name)
            self._open[table_name] = (table, table.version())
        return sum(p.num_rows for p in parts)

    def _up_to_date(self, table_name: str) -> tuple[DeltaTable | None, int]:
        """The table brought up to date (None while it does not exist), and how many of its newest
        commits may name files still here: those another writer added since this drain's own last
        write, or the recent ones when this drain has not written it yet."""
        cached = self._open.pop(table_name, None)  # kept again once a write succeeds
        if cached is not None:
            table, written = cached
            try:
                table.update_incremental()
                if table.version() >= written:
                    return table, table.version() - written
            except Exception:  # noqa: BLE001 - removed or replaced under us: look at it afresh
                pass
        if not self.lake.exists(table_name):
            return None, 0
        return self.lake.table(table_name), _RECENT_COMMITS


def _committed_files(table: DeltaTable | None, newest: int, files_key: str) -> set[str]:
    """Spool file names in the table's `newest` commits (history is read newest first)."""
    names: set[str] = set()
    for commit in table.history(limit=newest) if table is not None and newest > 0 else ():
        if files_key in commit:
            names.update(entry["path"] for entry in json.loads(commit[files_key]))
    return names


def _set_aside(path: Path, data: bytes, bad: list[tuple[int, str]]) -> None:
    """The lines that cannot be rows, kept for a person (never retried forever, never dropped), with
    why; their neighbours are appended. Rewriting is idempotent if the drain dies before its commit."""
    folder = path.parent / _UNREADABLE_DIR
    folder.mkdir(exist_ok=True)
    lines = data.split(b"\n")
    (folder / path.name).write_bytes(b"".join(lines[n - 1] + b"\n" for n, _ in bad))
    write_text_atomically(folder / f"{path.name}.reason.json",
                          json.dumps({"file": path.name, "lines": [{"line": n, "reason": r} for n, r in bad]}, indent=1))
    log.warning("inference log: set aside %d unreadable line(s) of %s in %s", len(bad), path.name, folder)
