"""The online store: the latest feature values per entity key, in an embedded SQLite file.

Materialized from the offline tables (latest event, then latest created, per key) into a fresh file
that atomically replaces the old one, so a reader never sees half a refresh. A lookup is one
primary-key read per view on a connection kept open per thread.

A file is never changed once it is in place, so what a connection has read stays true until the
file is replaced. Each thread keeps the rows it read for as long as its connection (TTLs are still
judged at every lookup) and reopens, forgetting them, once it sees a new file: a serving worker
answers keys it has seen from memory, and picks up a refresh within RECHECK_SECONDS, without a
restart.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import pyarrow as pa
import pyarrow.compute as pc

from ml_assets.features.views import CREATED, EVENT, FeatureView

if TYPE_CHECKING:  # a serving worker reads the store and needs no lake (lakegate.lake imports dagster)
    from lakegate.lake import Lake

META_TABLE = "_materializations"


def online_store_path(home: Path) -> Path:
    return home / "online" / "features.sqlite"


def latest_per_key(rows: pa.Table, view: FeatureView, as_of: dt.datetime) -> pa.Table:
    """The newest row per entity key as of a time (latest event, then latest created, both <= as_of).

    Rolling views hold rows for future days (when an old claim leaves the 90-day window); those
    become current only once their time has come.
    """
    stamp = pa.scalar(as_of, pa.timestamp("us", tz="UTC"))
    rows = rows.filter(pc.and_(pc.less_equal(rows[EVENT], stamp), pc.less_equal(rows[CREATED], stamp)))
    ordered = rows.sort_by([(view.entity, "ascending"), (EVENT, "descending"), (CREATED, "descending")])
    keys = ordered[view.entity]
    if len(keys) == 0:
        return ordered
    first = pc.not_equal(keys.slice(1), keys.slice(0, len(keys) - 1))
    keep = pa.concat_arrays([pa.array([True]), first.combine_chunks()])
    return ordered.filter(keep)


@dataclass(frozen=True)
class OnlineResult:
    path: Path
    as_of: dt.datetime
    rows: dict[str, int]
    offline_versions: dict[str, int | None]
    not_built: tuple[str, ...] = ()  # views whose offline table does not exist yet (a use case not landed yet)


def materialize_online(
    lake: Lake, catalog: str, views: Iterable[FeatureView], path: Path, as_of: dt.datetime | None = None
) -> OnlineResult:
    as_of = as_of or dt.datetime.now(dt.timezone.utc)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    rows, versions, not_built = {}, {}, []
    with sqlite3.connect(tmp) as db:
        db.execute(f"CREATE TABLE {META_TABLE} (view TEXT PRIMARY KEY, offline_table TEXT, offline_version INTEGER, rows INTEGER, materialized_at TEXT)")
        for view in views:
            name = view.table(catalog)
            if not lake.exists(name):
                # One use case live before another: its views are served; a model needing a view left
                # out fails its skew gate (check_parity: "view missing from the online store").
                not_built.append(view.name)
                continue
            versions[name] = lake.version(name)
            latest = latest_per_key(lake.read_arrow(name, version=versions[name]), view, as_of)
            _write_view(db, view, latest)
            rows[view.name] = latest.num_rows
            db.execute(f"INSERT INTO {META_TABLE} VALUES (?, ?, ?, ?, ?)",
                       (view.name, name, versions[name], latest.num_rows, as_of.isoformat()))
    os.replace(tmp, path)
    return OnlineResult(path, as_of, rows, versions, tuple(not_built))


def _write_view(db: sqlite3.Connection, view: FeatureView, latest: pa.Table) -> None:
    features = ", ".join(f'"{f}"' for f in view.feature_names)
    db.execute(f'CREATE TABLE "{view.name}" (entity_key TEXT PRIMARY KEY, event_ts REAL, {features}) WITHOUT ROWID')
    events = [ts.timestamp() if ts else None for ts in latest[EVENT].to_pylist()]
    columns = [latest[view.entity].to_pylist(), events] + [latest[f].to_pylist() for f in view.feature_names]
    marks = ", ".join("?" * (len(view.feature_names) + 2))
    db.executemany(f'INSERT INTO "{view.name}" VALUES ({marks})', zip(*columns))


class OnlineStore:
    """Read side: `lookup({"member_token": ..., "provider_id": ...})` → feature values by name."""

    RECHECK_SECONDS = 1.0  # how long a thread may read a replaced file before it notices
    CACHED_ROWS = 100_000  # rows kept per thread; past this the memory starts again (bounded, simple)

    def __init__(self, path: Path, views: Iterable[FeatureView]):
        if not path.exists():
            raise FileNotFoundError(f"online store {path} does not exist: materialize the online store asset first")
        self.path = path
        self.views = list(views)
        self._local = threading.local()
        self._queries = {
            v.name: f'SELECT event_ts, {", ".join(chr(34) + f + chr(34) for f in v.feature_names)} FROM "{v.name}" WHERE entity_key = ?'
            for v in self.views
        }
        # Per view, what a lookup needs, worked out once (lookups are on the serving request path).
        self._plans = [(self._queries[v.name], v.entity, None if v.ttl is None else v.ttl.total_seconds(),
                        tuple(v.feature_names)) for v in self.views]

    def _reader(self) -> "_Reader":
        reader = getattr(self._local, "reader", None)
        now = time.monotonic()
        if reader is not None and now - reader.checked_at >= self.RECHECK_SECONDS:
            reader.checked_at = now
            identity = _identity(self.path)
            if identity is not None and identity != reader.identity:  # materialized again: read the new file
                self.refresh()
                reader = None
        if reader is None:
            reader = self._local.reader = _Reader(self.path)
        return reader

    def refresh(self) -> None:
        """Drop this thread's connection and the rows it read, so the next lookup reads the file anew."""
        reader = getattr(self._local, "reader", None)
        if reader is not None:
            reader.db.close()
            self._local.reader = None

    def lookup(self, keys: dict[str, Any], now: float | None = None) -> dict[str, Any]:
        reader = self._reader()
        rows = reader.rows
        if len(rows) > self.CACHED_ROWS:
            rows.clear()
        out: dict[str, Any] = {}
        for query, entity, ttl_seconds, names in self._plans:
            key = keys.get(entity)
            try:
                row = rows[query, key]
            except KeyError:
                row = rows[query, key] = reader.db.execute(query, (key,)).fetchone()
            fresh = row is not None and (
                ttl_seconds is None or (now if now is not None else dt.datetime.now(dt.timezone.utc).timestamp()) - row[0] <= ttl_seconds
            )
            if fresh:
                out.update(zip(names, row[1:]))
            else:
                out.update(dict.fromkeys(names))
        return out

    def materializations(self) -> dict[str, dict]:
        cursor = self._reader().db.execute(f"SELECT view, offline_table, offline_version, rows, materialized_at FROM {META_TABLE}")
        return {r[0]: {"offline_table": r[1], "offline_version": r[2], "rows": r[3], "materialized_at": r[4]} for r in cursor}


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:  # removed by hand: keep reading the file that is open
        return None
    return st.st_ino, st.st_mtime_ns


class _Reader:
    """One thread's read-only connection to one version of the file, and the rows it has read."""

    def __init__(self, path: Path):
        self.identity = _identity(path)
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self.rows: dict[tuple[str, Any], tuple | None] = {}
        self.checked_at = time.monotonic()
