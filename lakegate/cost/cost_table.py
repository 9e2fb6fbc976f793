"""`<catalog>.monitoring.cost`: one row per run, its pre-flight estimate and decision, then its actual.

A row is written when the guardrails decide on a run (allowed, refused, approved; later stopped), and
its actual is filled when the run has ended: on the embedded engine wall time × the machine's rate,
on Databricks the run's billing records (`system.billing.usage` × `list_prices`, matched by
`usage_metadata.job_run_id`). Rows are keyed by `run_key`, so writing a row again updates it in
place. Writers in several processes (a run, the cost refresh) take one file lock beside the table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Iterable, Mapping

import pyarrow as pa
from filelock import FileLock

from lakegate.cost.billing import BILLING, BilledRun
from lakegate.lake import Lake, TableName

ENGINES = ("sail", "databricks")
# The cost guard's outcomes (lakegate/cost/decision.py) and the live stop's.
DECISIONS = ("allowed", "refused", "awaiting_approval", "approved", "stopped")
SPENDING = ("allowed", "approved", "stopped")  # a refused or held run never started and costs nothing
WALL_TIME = "wall time × rate card"
LOCK_TIMEOUT_SECONDS = 30
_TS = pa.timestamp("us", tz="UTC")
SCHEMA = pa.schema([
    ("run_key", pa.string()), ("dagster_run_id", pa.string()), ("asset_key", pa.string()),
    ("use_case", pa.string()), ("environment", pa.string()), ("engine", pa.string()),
    ("databricks_run_id", pa.int64()), ("cost_centre", pa.string()), ("recorded_at", _TS),
    ("started_at", _TS), ("ended_at", _TS), ("duration_seconds", pa.float64()),
    ("estimate_usd", pa.float64()), ("estimate_source", pa.string()),
    ("actual_usd", pa.float64()), ("actual_source", pa.string()), ("billed_dbus", pa.float64()),
    ("rate_card_version", pa.string()), ("decision", pa.string()), ("reason", pa.string()),
    # Filled by the reconciliation (lakegate/cost/reconciliation.py); a new actual clears them.
    ("estimate_error", pa.float64()), ("flagged", pa.bool_()), ("reconciled_at", _TS),
])
_UNRECONCILED = {"estimate_error": None, "flagged": None, "reconciled_at": None}


def cost_table_name(catalog: str) -> TableName:
    return TableName(catalog, "monitoring", "cost")


@dataclass(frozen=True)
class CostRecord:
    """What the guardrails know of a run when they decide on it."""

    run_key: str  # one Dagster step's run: unique per (Dagster run, asset)
    dagster_run_id: str
    asset_key: str  # as Dagster prints it ("silver/claims")
    use_case: str | None  # None for an asset no use case owns (bronze, silver)
    environment: str
    engine: str  # sail | databricks
    cost_centre: str
    estimate_usd: float
    estimate_source: str  # how the duration was projected ("p90 of 12 runs", "declared")
    rate_card_version: str
    decision: str  # one of DECISIONS
    reason: str = ""
    databricks_run_id: int | None = None

    def __post_init__(self):
        if self.engine not in ENGINES:
            raise ValueError(f"engine {self.engine!r} must be one of {', '.join(ENGINES)}")
        if self.decision not in DECISIONS:
            raise ValueError(f"decision {self.decision!r} must be one of {', '.join(DECISIONS)}")


class CostTable:
    def __init__(self, lake: Lake, catalog: str):
        self.lake = lake
        self.name = cost_table_name(catalog)
        path = lake.path(self.name)
        self.lock = FileLock(str(path.parent / f".{path.name}.lock"), timeout=LOCK_TIMEOUT_SECONDS)

    def record_decision(self, record: CostRecord, at: dt.datetime | None = None) -> None:
        """Write (or update) the run's estimate and decision; an actual already filled is kept."""
        fields = {**asdict(record), "recorded_at": at or _now()}
        self._update({record.run_key: fields}, create=True)

    def record_databricks_run(self, run_key: str, databricks_run_id: int) -> None:
        """The job run the step submitted: its billing records are found by this id."""
        self._update({run_key: {"databricks_run_id": databricks_run_id}})

    def fill_wall_time_actual(self, run_key: str, started_at: dt.datetime, ended_at: dt.datetime,
                              usd_per_hour: float) -> float:
        """The embedded engine's actual: the run's wall time × the machine's dollars per hour."""
        fields = _wall_time_actual(started_at, ended_at, usd_per_hour)
        self._update({run_key: fields})
        return fields["actual_usd"]

    def record_embedded_runs(self, runs: Iterable[tuple[CostRecord, dt.datetime, dt.datetime]], usd_per_hour: float,
                             at: dt.datetime | None = None) -> None:
        """Runs on the embedded engine, each with its decision and its wall-time actual, in one write."""
        changes = {}
        for record, started_at, ended_at in runs:
            changes[record.run_key] = {**asdict(record), "recorded_at": at or _now(),
                                       **_wall_time_actual(started_at, ended_at, usd_per_hour)}
        self._update(changes, create=True)

    def awaiting_billing(self, environment: str) -> list[int]:
        """The environment's Databricks run ids whose actual may still change: billing lands within
        about 12 hours, hour by hour, so a billed run is looked up again at each refresh."""
        return sorted({r["databricks_run_id"] for r in self._billable(environment)})

    def fill_billing_actuals(self, billed: Mapping[str, BilledRun], environment: str) -> list[str]:
        """Fill the environment's Databricks rows' actuals from their billed runs (keyed by job_run_id:
        run ids are unique within one workspace only); returns the run keys whose actual changed."""
        changes = {}
        for row in self._billable(environment):
            run = billed.get(str(row["databricks_run_id"]))
            if run is None or row["actual_usd"] == run.usd:
                continue
            changes[row["run_key"]] = {"actual_usd": run.usd, "actual_source": BILLING, "billed_dbus": run.dbus,
                                       "started_at": run.started_at, "ended_at": run.ended_at,
                                       "duration_seconds": (run.ended_at - run.started_at).total_seconds(),
                                       **_UNRECONCILED}
        self._update(changes)
        return sorted(changes)

    def record_reconciliation(self, results: Mapping[str, tuple[float | None, bool]], at: dt.datetime) -> None:
        """{run_key: (estimate error, flagged)} of the runs the reconciliation judged."""
        self._update({key: {"estimate_error": error, "flagged": flagged, "reconciled_at": at}
                      for key, (error, flagged) in results.items()})

    def spend(self, environment: str, use_case: str | None, now: dt.datetime | None = None) -> tuple[float, float]:
        """(the environment's, the use case's) month-to-date spend: what the cost guard's `spend` asks."""
        mtd = month_to_date(self.rows(), environment, now or _now())
        return mtd.total_usd, mtd.by_use_case.get(use_case, 0.0) if use_case else 0.0

    def _billable(self, environment: str) -> list[dict]:
        return [r for r in self.rows() if r["environment"] == environment and r["databricks_run_id"] is not None
                and r["actual_source"] in (None, BILLING)]

    def rows(self) -> list[dict]:
        if not self.lake.exists(self.name):
            return []
        return self.lake.read_arrow(self.name).sort_by([("recorded_at", "ascending"), ("run_key", "ascending")]).to_pylist()

    def _update(self, changes: dict[str, dict], create: bool = False) -> None:
        """Merge each change into its row (read, merge, rewrite only those rows), under the lock."""
        if not changes:
            return
        self.lake.path(self.name).parent.mkdir(parents=True, exist_ok=True)
        with self.lock:
            current = {r["run_key"]: r for r in self.rows() if r["run_key"] in changes}
            unknown = sorted(set(changes) - set(current))
            if unknown and not create:
                raise KeyError(f"no row in {self.name} for run key(s) {', '.join(unknown)}")
            merged = [{**dict.fromkeys(SCHEMA.names), **current.get(key, {}), **fields} for key, fields in changes.items()]
            data = pa.Table.from_pylist(merged, SCHEMA)
            if not self.lake.exists(self.name):
                self.lake.write_arrow(self.name, data)
            else:
                keys = ", ".join(_sql_string(key) for key in changes)
                self.lake.write_arrow(self.name, data, mode="overwrite", predicate=f"run_key IN ({keys})")


def _wall_time_actual(started_at: dt.datetime, ended_at: dt.datetime, usd_per_hour: float) -> dict:
    seconds = (ended_at - started_at).total_seconds()
    return {"started_at": started_at, "ended_at": ended_at, "duration_seconds": seconds,
            "actual_usd": seconds / 3600 * usd_per_hour, "actual_source": WALL_TIME, **_UNRECONCILED}


@dataclass(frozen=True)
class MonthToDate:
    """Spend of one environment's runs in one calendar month (UTC): actuals where they are in, the
    estimate of a run that spent but whose actual has not landed yet (billing lags up to 12 hours)."""

    environment: str
    month: str  # "2026-12"
    total_usd: float
    by_use_case: dict[str, float]
    runs: int
    awaiting_actuals: int


def month_of(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m")


def spend_of(row: dict) -> float:
    if row["actual_usd"] is not None:
        return row["actual_usd"]
    return (row["estimate_usd"] or 0.0) if row["decision"] in SPENDING else 0.0


def month_to_date(rows: Iterable[dict], environment: str, now: dt.datetime) -> MonthToDate:
    month = month_of(now)
    mine = [r for r in rows if r["environment"] == environment and month_of(r["started_at"] or r["recorded_at"]) == month]
    by_use_case: dict[str, float] = {}
    for row in mine:
        if row["use_case"]:
            by_use_case[row["use_case"]] = by_use_case.get(row["use_case"], 0.0) + spend_of(row)
    return MonthToDate(environment, month, sum(spend_of(r) for r in mine), by_use_case, len(mine),
                       sum(1 for r in mine if r["actual_usd"] is None and r["decision"] in SPENDING))


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
