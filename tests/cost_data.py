"""Cost-table rows for tests: a decision record per run, written through the table's own functions."""

from __future__ import annotations

import datetime as dt

from lakegate.cost.cost_table import CostRecord, CostTable

DECEMBER = dt.datetime(2026, 12, 10, 9, 0, tzinfo=dt.timezone.utc)


def record(run_key: str, estimate: float, use_case: str | None = "claims_triage", engine: str = "sail",
           decision: str = "allowed", environment: str = "local", **extra) -> CostRecord:
    return CostRecord(run_key=run_key, dagster_run_id=f"dagster-{run_key}", asset_key="ml/claims_triage_model",
                      use_case=use_case, environment=environment, engine=engine, cost_centre="CC-4410",
                      estimate_usd=estimate, estimate_source="declared", rate_card_version="test-card-1",
                      decision=decision, **extra)


def ran(table: CostTable, run_key: str, estimate: float, actual_hours: float, usd_per_hour: float,
        at: dt.datetime = DECEMBER, **extra) -> None:
    """A run recorded, then its embedded actual filled from its wall time."""
    table.record_decision(record(run_key, estimate, **extra), at=at)
    table.fill_wall_time_actual(run_key, at, at + dt.timedelta(hours=actual_hours), usd_per_hour)
