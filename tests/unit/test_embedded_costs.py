"""Runs on the embedded engine land in the cost table at wall time × this machine's rate, with the
estimate their history gave (lakegate/cost/embedded_runs.py)."""

import dagster as dg
import pytest

from lakegate.cost.cost_table import CostTable
from lakegate.cost.embedded_runs import record_embedded_run
from lakegate.cost.rate_card import load_rate_card
from lakegate.environment import load_environment
from lakegate.lake import Lake


@dg.asset(key=["ml", "tiny_training_set"], tags={"lakegate/use_case": "claims_triage"})
def tiny_training_set() -> int:
    return 1


@dg.asset(key=["ml", "tiny_broken"], deps=[tiny_training_set])
def tiny_broken() -> int:
    raise RuntimeError("no cost for a failed step")


def test_each_successful_step_is_priced_at_wall_time_and_estimated_from_earlier_runs(tmp_path):
    env, lake, instance = load_environment("local"), Lake(tmp_path / "lake"), dg.DagsterInstance.ephemeral()
    rate = load_rate_card(env.cost.rate_card).machine(env.cost.machine).usd_per_hour
    use_case = {tiny_training_set.key: "claims_triage"}.get
    for _ in range(2):  # each run is recorded as it ends, as lakegate.run.materialize does
        run = dg.materialize([tiny_training_set, tiny_broken], instance=instance, raise_on_error=False)
        assert record_embedded_run(instance, run.run_id, env, lake, lambda key: {}, use_case) == 1
    first, second = CostTable(lake, env.catalog).rows()
    assert (first["estimate_source"], second["estimate_source"]) == ("no history: the first run", "p90 of 1 runs")
    assert second["estimate_usd"] == pytest.approx(first["duration_seconds"] / 3600 * rate, rel=1e-3)  # the first actual
    for row in (first, second):
        assert row["actual_source"] == "wall time × rate card" and row["actual_usd"] == pytest.approx(row["duration_seconds"] / 3600 * rate)
        assert (row["asset_key"], row["use_case"], row["engine"], row["decision"]) == (
            "ml/tiny_training_set", "claims_triage", "sail", "allowed")
    assert CostTable(lake, env.catalog).spend("local", "claims_triage")[1] > 0
