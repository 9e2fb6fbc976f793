"""The alert outbox table `<catalog>.monitoring.alerts`: every alert, kept for audit, written before delivery.

One row per alert, keyed by a stable `alert_id`, so recording the same alert twice (a tick that ran
again after a crash) stores it once. Delivery state lives in the row: `delivery_status` is
`pending` until every routed notifier took it (`delivered`) or a notifier ran out of tries
(`failed`), and `table only` when its severity routes to no notifier; `deliveries` holds per notifier the tries, the outcome and the last error. Writers in
several processes (the sensors, the CLI importing the break-glass outbox) take one file lock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable
from filelock import FileLock

from lakegate.alerts import list_alerts
from lakegate.alerting.transitions import FIRING, Notice
from lakegate.lake import Lake, TableName

PENDING, DELIVERED, FAILED, TABLE_ONLY = "pending", "delivered", "failed", "table only"
SCHEMA = pa.schema([
    ("alert_id", pa.string()), ("time", pa.timestamp("us", tz="UTC")), ("kind", pa.string()),
    ("severity", pa.string()), ("key", pa.string()), ("title", pa.string()), ("text", pa.string()),
    ("source", pa.string()), ("run_id", pa.string()), ("routes", pa.string()),
    ("delivery_status", pa.string()), ("deliveries", pa.string()),
])
LOCK_TIMEOUT_SECONDS = 30


def alerts_table_name(catalog: str) -> TableName:
    return TableName(catalog, "monitoring", "alerts")


class AlertTable:
    def __init__(self, home: Path, catalog: str):
        self.home = Path(home)
        self.lake = Lake(self.home / "lake")
        self.name = alerts_table_name(catalog)
        self.lock = FileLock(str(self.home / "alerts" / "table.lock"), timeout=LOCK_TIMEOUT_SECONDS)

    def record(self, rows: list[dict]) -> int:
        """Store the rows whose alert_id is new; returns how many were new (a tick with none commits nothing)."""
        if not rows:
            return 0
        Path(self.lock.lock_file).parent.mkdir(parents=True, exist_ok=True)
        with self.lock:
            known = set(self._column("alert_id"))
            new = list({r["alert_id"]: r for r in rows if r["alert_id"] not in known}.values())
            if new:
                self.lake.write_arrow(self.name, _arrow(new))
            return len(new)

    def update_deliveries(self, rows: list[dict]) -> None:
        if rows:
            with self.lock:
                self._merge(rows).when_matched_update(
                    updates={"delivery_status": "s.delivery_status", "deliveries": "s.deliveries"}).execute()

    def read(self) -> list[dict]:
        """Every alert, oldest first, with routes and deliveries parsed."""
        if not self.lake.exists(self.name):
            return []
        return _parsed(self.lake.read_arrow(self.name))

    def _column(self, column: str) -> list:
        return self.lake.read_arrow(self.name, columns=[column]).column(column).to_pylist() if self.lake.exists(self.name) else []

    def pending(self) -> list[dict]:
        """The rows some notifier still has to take."""
        if not self.lake.exists(self.name):
            return []
        # Filtered after the read: files rewritten by a merge hold string_view columns, which
        # delta-rs 1.6.6's read filters cannot compare with a string.
        data = self.lake.read_arrow(self.name)
        return _parsed(data.filter(pc.equal(data["delivery_status"].cast(pa.string()), PENDING)))

    def _merge(self, rows: list[dict]):
        return DeltaTable(self.lake.uri(self.name)).merge(
            _arrow(rows), predicate="t.alert_id = s.alert_id", source_alias="s", target_alias="t")


def notice_row(notice: Notice, source: str, routes: list[str]) -> dict:
    return _row(notice.alert_id, dt.datetime.fromtimestamp(notice.at, dt.timezone.utc), notice.kind,
                notice.severity, notice.key, notice.title, notice.text, source, notice.run_id, routes)


def outbox_rows(home: Path, routes_for) -> list[dict]:
    """The alerts raised into the JSONL outbox (break-glass, lakegate/alerts.py) as table rows."""
    rows = []
    for alert in list_alerts(home):
        alert_id = hashlib.sha256(json.dumps(alert, sort_keys=True).encode()).hexdigest()[:24]
        when = dt.datetime.fromisoformat(alert["time"].replace("Z", "+00:00"))
        rows.append(_row(alert_id, when, FIRING, alert["severity"], alert["title"], alert["title"], alert["text"],
                         alert["source"], None, routes_for(alert["severity"])))
    return rows


def _row(alert_id, when, kind, severity, key, title, text, source, run_id, routes) -> dict:
    return {"alert_id": alert_id, "time": when, "kind": kind, "severity": severity, "key": key, "title": title,
            "text": text, "source": source, "run_id": run_id, "routes": list(routes),
            "delivery_status": PENDING if routes else TABLE_ONLY, "deliveries": {n: {"tries": 0} for n in routes}}


def _parsed(data: pa.Table) -> list[dict]:
    rows = data.sort_by([("time", "ascending"), ("alert_id", "ascending")]).to_pylist()
    return [{**r, "routes": json.loads(r["routes"]), "deliveries": json.loads(r["deliveries"])} for r in rows]


def _arrow(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist([{**r, "routes": json.dumps(r["routes"]), "deliveries": json.dumps(r["deliveries"], sort_keys=True)}
                                 for r in rows], SCHEMA)
