"""The online store's read side: a refresh reaches a reader that stays open, and rows it has read are
answered from memory (still judged by their TTL) until the file is replaced."""

import datetime as dt
import os
import sqlite3

import pyarrow as pa

from ml_assets.features.definitions import FEATURE_VIEWS
from ml_assets.features.views import CREATED, EVENT
from ml_assets.features.online import OnlineStore, _write_view

VIEW = FEATURE_VIEWS["provider_claims_90d"]  # one long feature, a 91-day TTL
EVENT_TIME = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)


def write_store(path, claims: int) -> None:
    """A store file as materialize_online makes it: built aside, then put in place atomically."""
    building = path.with_suffix(".building")
    building.unlink(missing_ok=True)
    rows = pa.table({VIEW.entity: ["P1"], EVENT: pa.array([EVENT_TIME], pa.timestamp("us", tz="UTC")),
                     CREATED: pa.array([EVENT_TIME], pa.timestamp("us", tz="UTC")), "provider_claims_90d": [claims]})
    with sqlite3.connect(building) as db:
        _write_view(db, VIEW, rows)
    os.replace(building, path)


def test_a_reader_sees_a_new_file_once_it_rechecks_without_being_reopened(tmp_path, monkeypatch):
    path = tmp_path / "features.sqlite"
    write_store(path, claims=3)
    store = OnlineStore(path, [VIEW])
    now = EVENT_TIME.timestamp()
    assert store.lookup({"provider_id": "P1"}, now=now)["provider_claims_90d"] == 3
    write_store(path, claims=7)
    monkeypatch.setattr(OnlineStore, "RECHECK_SECONDS", 0.0)
    assert store.lookup({"provider_id": "P1"}, now=now)["provider_claims_90d"] == 7


def test_a_remembered_row_still_expires_by_its_ttl(tmp_path):
    path = tmp_path / "features.sqlite"
    write_store(path, claims=3)
    store = OnlineStore(path, [VIEW])
    now = EVENT_TIME.timestamp()
    assert store.lookup({"provider_id": "P1"}, now=now)["provider_claims_90d"] == 3
    assert store.lookup({"provider_id": "nobody"}, now=now)["provider_claims_90d"] is None
    assert store.lookup({"provider_id": "nobody"}, now=now)["provider_claims_90d"] is None
    assert store.lookup({"provider_id": "P1"}, now=now + 92 * 86400)["provider_claims_90d"] is None  # past its TTL


def test_rows_read_are_answered_from_memory_until_refresh(tmp_path):
    path = tmp_path / "features.sqlite"
    write_store(path, claims=3)
    store = OnlineStore(path, [VIEW])
    now = EVENT_TIME.timestamp()
    store.lookup({"provider_id": "P1"}, now=now)
    with sqlite3.connect(path) as db:  # changed in place (only tests do): a new read would see 5
        db.execute(f'UPDATE "{VIEW.name}" SET provider_claims_90d = 5')
    assert store.lookup({"provider_id": "P1"}, now=now)["provider_claims_90d"] == 3
    store.refresh()
    assert store.lookup({"provider_id": "P1"}, now=now)["provider_claims_90d"] == 5
