"""The embedded engine's runs in the cost table: every successful step of an in-process Dagster run
that materialized an asset, priced at wall time × the rate card's rate for this machine
(`cost.machine`), beside the estimate its history gave (docs/cost.md).

Nothing on one machine is refused or held (it spends no cloud money), so every row's decision is
`allowed`; the rows feed month-to-date spend, the reconciliation and the dashboard's Cost page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Mapping

import dagster as dg
from dagster._core.execution.stats import StepEventStatus

from lakegate.cost.cost_table import CostRecord, CostTable
from lakegate.cost.estimate import EstimateError, projected_duration
from lakegate.cost.rate_card import load_rate_card
from lakegate.environment import Environment
from lakegate.lake import Lake

ENGINE = "sail"


@dataclass(frozen=True)
class StepRun:
    step_key: str
    asset_key: dg.AssetKey  # the first asset the step materialized (a dbt step materializes many)
    assets: int
    started_at: dt.datetime
    ended_at: dt.datetime


def successful_steps(instance: dg.DagsterInstance, run_id: str) -> list[StepRun]:
    """The run's successful steps that materialized at least one asset, with their wall times."""
    materialized: dict[str, list[dg.AssetKey]] = {}
    for record in instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records:
        entry = record.event_log_entry
        materialized.setdefault(entry.step_key, []).append(entry.dagster_event.asset_key)
    steps = []
    for stats in instance.get_run_step_stats(run_id):
        keys = materialized.get(stats.step_key)
        if keys and stats.status == StepEventStatus.SUCCESS and stats.start_time and stats.end_time:
            steps.append(StepRun(stats.step_key, keys[0], len(keys), _utc(stats.start_time), _utc(stats.end_time)))
    return steps


def record_embedded_run(instance: dg.DagsterInstance, run_id: str, env: Environment, lake: Lake,
                        definition_metadata: Callable[[dg.AssetKey], Mapping[str, object]],
                        use_case_of: Callable[[dg.AssetKey], str | None]) -> int:
    """Write the run's steps to `<catalog>.monitoring.cost`; returns how many. No `cost:` section, no rows."""
    if env.cost is None:
        return 0
    card = load_rate_card(env.cost.rate_card)
    usd_per_hour = card.machine(env.cost.machine).usd_per_hour
    rows = []
    for step in successful_steps(instance, run_id):
        seconds = (step.ended_at - step.started_at).total_seconds()
        try:
            duration = projected_duration(instance, step.asset_key, definition_metadata(step.asset_key), exclude_run_id=run_id)
            estimate, source = duration.seconds / 3600 * usd_per_hour, duration.source
        except EstimateError:  # a first run has no history: its actual becomes the next one's estimate
            estimate, source = seconds / 3600 * usd_per_hour, "no history: the first run"
        more = f" (+{step.assets - 1} more assets)" if step.assets > 1 else ""
        rows.append((CostRecord(run_key=f"{run_id}:{step.step_key}", dagster_run_id=run_id,
                                asset_key=step.asset_key.to_user_string(), use_case=use_case_of(step.asset_key),
                                environment=env.name, engine=ENGINE, cost_centre=env.cost.cost_centre, estimate_usd=estimate,
                                estimate_source=source, rate_card_version=card.version, decision="allowed",
                                reason=f"embedded engine: wall time × {env.cost.machine} at ${usd_per_hour}/h{more}"),
                     step.started_at, step.ended_at))
    CostTable(lake, env.catalog).record_embedded_runs(rows, usd_per_hour)
    return len(rows)


def _utc(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc)
