"""The pre-flight estimate (lakegate/cost/estimate.py) on a real ephemeral Dagster instance: the p90
of past successful steps, else the declared duration, priced by the rate card."""

import time

import dagster as dg
import pytest

from lakegate.cost.estimate import (DECLARED_SECONDS_KEY, Duration, EstimateError, estimate_run, p90,
                                    past_step_seconds, projected_duration)
from lakegate.cost.rate_card import load_rate_card

CARD = load_rate_card("databricks-aws-us-east-1-2026-12")


class Sleep(dg.Config):
    seconds: float
    fail_after: bool = False


@dg.asset(key=["silver", "claims"], metadata={DECLARED_SECONDS_KEY: 600})
def claims(config: Sleep) -> dg.MaterializeResult:
    time.sleep(config.seconds)
    return dg.MaterializeResult()


@dg.multi_asset(specs=[dg.AssetSpec(["gold", "claims"]), dg.AssetSpec(["gold", "members"])])
def gold(config: Sleep):
    yield dg.MaterializeResult(asset_key=["gold", "claims"])
    time.sleep(config.seconds)
    if config.fail_after:
        raise RuntimeError("the step fails after materializing gold/claims")
    yield dg.MaterializeResult(asset_key=["gold", "members"])


def materialize(instance, asset, seconds: float, fail_after: bool = False) -> None:
    config = {"ops": {asset.op.name: {"config": {"seconds": seconds, "fail_after": fail_after}}}}
    dg.materialize([asset], instance=instance, run_config=config, raise_on_error=False)


def test_p90_is_the_nearest_rank_ninetieth_percentile():
    assert p90([5.0]) == 5.0
    assert p90([float(n) for n in range(1, 11)]) == 9.0
    assert p90([float(n) for n in range(1, 12)]) == 10.0
    assert p90([3.0, 1.0, 2.0]) == 3.0


def test_with_history_the_duration_is_the_p90_of_past_successful_steps():
    with dg.DagsterInstance.ephemeral() as instance:
        for seconds in [0.02] * 8 + [0.6, 0.9]:
            materialize(instance, claims, seconds)
        duration = projected_duration(instance, dg.AssetKey(["silver", "claims"]), claims.specs_by_key[claims.key].metadata)
        assert duration.source == "p90 of 10 runs"
        assert 0.6 <= duration.seconds < 0.9  # the 9th of 10, step overhead included


def test_a_step_that_failed_after_materializing_is_not_history():
    with dg.DagsterInstance.ephemeral() as instance:
        materialize(instance, gold, 0.01)
        materialize(instance, gold, 0.8, fail_after=True)
        past = past_step_seconds(instance, dg.AssetKey(["gold", "claims"]))
        assert len(past) == 1 and past[0] < 0.8
        assert len(instance.fetch_materializations(dg.AssetKey(["gold", "claims"]), limit=10).records) == 2


def test_without_history_the_declared_duration_is_used_and_without_either_there_is_no_estimate():
    with dg.DagsterInstance.ephemeral() as instance:
        declared = projected_duration(instance, dg.AssetKey(["silver", "claims"]), claims.specs_by_key[claims.key].metadata)
        assert declared == Duration(600.0, "declared")
        assert projected_duration(instance, claims.key, {DECLARED_SECONDS_KEY: 90}) == Duration(90.0, "declared")
        with pytest.raises(EstimateError, match="gold/claims has no successful run .* declares no lakegate/cost_estimate_seconds"):
            projected_duration(instance, dg.AssetKey(["gold", "claims"]), {})
        with pytest.raises(EstimateError, match="positive number of seconds, not 'ten minutes'"):
            projected_duration(instance, dg.AssetKey(["gold", "claims"]), {DECLARED_SECONDS_KEY: "ten minutes"})


def test_the_estimate_prices_the_cluster_for_the_duration_and_says_where_each_figure_comes_from():
    cluster = {"node_type_id": "m5.xlarge", "autoscale": {"min_workers": 1, "max_workers": 3}}
    estimate = estimate_run(cluster, CARD, "JOBS_COMPUTE", Duration(1800.0, "p90 of 12 runs"))
    assert estimate.dbus_per_hour == pytest.approx(4 * 0.69) and estimate.usd_per_hour == pytest.approx(4 * 0.69 * 0.15)
    assert estimate.usd == pytest.approx(4 * 0.69 * 0.15 / 2)
    metadata = estimate.as_metadata()
    assert metadata["lakegate/estimate_usd"] == dg.MetadataValue.float(round(4 * 0.69 * 0.15 / 2, 4))
    assert metadata["lakegate/estimate_duration_source"] == dg.MetadataValue.text("p90 of 12 runs")
    assert metadata["lakegate/rate_card"] == dg.MetadataValue.text(CARD.version)
    assert metadata["lakegate/sku"] == dg.MetadataValue.text("JOBS_COMPUTE")
    assert dg.MaterializeResult(metadata=metadata).metadata == metadata  # Dagster takes it as it is
    assert estimate.detail == ("p90 of 12 runs, 1800 s at $0.4140/h (2.76 DBU/h at JOBS_COMPUTE, "
                               "rate card databricks-aws-us-east-1-2026-12, list prices)")
