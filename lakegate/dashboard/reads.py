"""Reads of a table's latest Delta version, carrying what every panel must say: "as of Delta version N
of `<table>`, refreshed at T". Columns and rows are cut in the scan (projection and a pyarrow
dataset filter), so a year of hourly windows costs only the rows a panel shows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from lakegate.lake import Lake


@dataclass(frozen=True)
class Snapshot:
    """Rows of one table at one Delta version; `rows` is None when the table does not exist yet."""

    table: str
    version: int | None
    refreshed_at: dt.datetime | None  # the commit time of that version
    rows: pa.Table | None

    @property
    def exists(self) -> bool:
        return self.rows is not None

    def as_of(self) -> str:
        if self.version is None:
            return f"`{self.table}` does not exist yet"
        return f"as of Delta version {self.version} of `{self.table}`, refreshed at {stamp(self.refreshed_at)}"


def stamp(when: dt.datetime | None) -> str:
    return "-" if when is None else when.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def latest(lake: Lake, name: str, columns: list[str] | None = None, where: ds.Expression | None = None) -> Snapshot:
    """The latest version's rows (only `columns`, only rows matching `where`), with its version and commit time."""
    if not lake.exists(name):
        return Snapshot(name, None, None, None)
    table = lake.table(name)
    version = table.version()
    rows = table.to_pyarrow_dataset().to_table(columns=columns, filter=where)
    return Snapshot(name, version, commit_time(table), rows)


def commit_time(table) -> dt.datetime | None:
    """The commit time of the table's loaded version (delta-rs keeps it in milliseconds)."""
    [last] = table.history(limit=1) or [None]
    millis = None if last is None else last.get("timestamp")
    return None if millis is None else dt.datetime.fromtimestamp(millis / 1000, dt.timezone.utc)


def row_count(lake: Lake, name: str) -> int | None:
    """Rows of the latest version from the Delta log's file statistics, without reading a data file."""
    if not lake.exists(name):
        return None
    actions = pa.table(lake.table(name).get_add_actions(flatten=True))  # arro3 → pyarrow, zero copy
    return int(pc.sum(actions["num_records"]).as_py() or 0)
