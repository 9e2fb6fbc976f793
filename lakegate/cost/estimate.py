"""The pre-flight estimate of a run: how long it will take, and what that costs on its cluster.

Databricks has no pre-flight estimate, so Lakegate makes one: the duration is the p90 of the asset's
past successful steps in Dagster's history (a step is what holds the job cluster), else the
duration the asset declares in its metadata (`lakegate/cost_estimate_seconds`); the price is the
rate card's for the cluster (driver plus workers, autoscale at max_workers) and the SKU.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import dagster as dg
from dagster._core.execution.stats import StepEventStatus

from lakegate.cost.rate_card import RateCard

DECLARED_SECONDS_KEY = "lakegate/cost_estimate_seconds"
HISTORY_LIMIT = 50  # the newest materializations read; older runs say less about the next one


class EstimateError(ValueError):
    """No estimate can be made. Meant for the user as it is."""


@dataclass(frozen=True)
class Duration:
    seconds: float
    source: str  # "p90 of N runs" or "declared"


@dataclass(frozen=True)
class Estimate:
    usd: float
    dbus_per_hour: float
    usd_per_hour: float
    duration_seconds: float
    duration_source: str
    rate_card_version: str
    sku: str

    @property
    def detail(self) -> str:
        """How the figure was made, in one line: for the ledger and the finance approver."""
        return (f"{self.duration_source}, {self.duration_seconds:.0f} s at ${self.usd_per_hour:.4f}/h "
                f"({self.dbus_per_hour:g} DBU/h at {self.sku}, rate card {self.rate_card_version}, list prices)")

    def as_metadata(self) -> dict[str, dg.MetadataValue]:
        """The estimate as an asset's or a run's Dagster metadata (shown before and after the run)."""
        return {
            "lakegate/estimate_usd": dg.MetadataValue.float(round(self.usd, 4)),
            "lakegate/estimate_dbus_per_hour": dg.MetadataValue.float(self.dbus_per_hour),
            "lakegate/estimate_usd_per_hour": dg.MetadataValue.float(round(self.usd_per_hour, 4)),
            "lakegate/estimate_duration_seconds": dg.MetadataValue.float(round(self.duration_seconds, 1)),
            "lakegate/estimate_duration_source": dg.MetadataValue.text(self.duration_source),
            "lakegate/rate_card": dg.MetadataValue.text(self.rate_card_version),
            "lakegate/sku": dg.MetadataValue.text(self.sku),
        }


def p90(values: Sequence[float]) -> float:
    """The nearest-rank 90th percentile: a duration that was observed, exceeded by at most a tenth."""
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def past_step_seconds(instance: dg.DagsterInstance, asset_key: dg.AssetKey, limit: int = HISTORY_LIMIT,
                      exclude_run_id: str | None = None) -> list[float]:
    """How long each step that materialized the asset took, newest first, successful steps only
    (but those of `exclude_run_id`: a run priced after it ended is not its own history)."""
    steps = []
    for record in instance.fetch_materializations(asset_key, limit=limit).records:
        step = (record.run_id, record.event_log_entry.step_key)
        if step[1] and step not in steps and step[0] != exclude_run_id:  # a step can materialize the asset once per partition
            steps.append(step)
    seconds = []
    for run_id, step_key in steps:
        for stats in instance.get_run_step_stats(run_id, step_keys=[step_key]):
            if stats.status == StepEventStatus.SUCCESS and stats.start_time and stats.end_time:
                seconds.append(stats.end_time - stats.start_time)
    return seconds


def declared_estimate(seconds: float) -> dict[str, float]:
    """An asset's definition metadata declaring how long a run of it takes where it has no history
    (the first run on a new workspace); shown in the UI before any run."""
    return {DECLARED_SECONDS_KEY: float(seconds)}


def declared_seconds(metadata: Mapping[str, object]) -> float | None:
    """The duration an asset declares in its definition metadata, raw or as a Dagster metadata value."""
    declared = metadata.get(DECLARED_SECONDS_KEY)
    value = getattr(declared, "value", declared)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise EstimateError(f"{DECLARED_SECONDS_KEY} must be a positive number of seconds, not {value!r}.")
    return float(value)


def projected_duration(instance: dg.DagsterInstance, asset_key: dg.AssetKey,
                       metadata: Mapping[str, object], exclude_run_id: str | None = None) -> Duration:
    """The p90 of the asset's past successful steps, else its declared estimate; metadata is the
    asset's definition metadata (`AssetsDefinition.specs_by_key[key].metadata`)."""
    past = past_step_seconds(instance, asset_key, exclude_run_id=exclude_run_id)
    if past:
        return Duration(p90(past), f"p90 of {len(past)} runs")
    declared = declared_seconds(metadata)
    if declared is None:
        raise EstimateError(f"Asset {asset_key.to_user_string()} has no successful run in Dagster's history and "
                            f"declares no {DECLARED_SECONDS_KEY} in its metadata, so its cost cannot be estimated.")
    return Duration(declared, "declared")


def estimate_run(cluster: dict, rate_card: RateCard, sku: str, duration: Duration) -> Estimate:
    """The run's cost: the cluster's $/hour on the rate card for the SKU, times the duration."""
    price = rate_card.price_cluster(cluster, sku)
    return Estimate(usd=price.usd_per_hour * duration.seconds / 3600, dbus_per_hour=price.dbus_per_hour,
                    usd_per_hour=price.usd_per_hour, duration_seconds=duration.seconds,
                    duration_source=duration.source, rate_card_version=rate_card.version, sku=sku)
