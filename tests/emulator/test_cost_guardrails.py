"""The cost guardrails around a Databricks step run (lakegate/cost/guarded_run.py) against the
emulator: an over-budget run is refused before any request leaves, a high-cost run waits for
finance, and an overrunning run is cancelled by the live stop, recorded and alerted."""

import functools
import json
from pathlib import Path

import dagster as dg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from databricks.sdk import WorkspaceClient
from databricks.sdk.service.jobs import RunLifeCycleState, RunResultState

from lakegate import dbfs_message_reader
from lakegate.alerts import list_alerts
from lakegate.cost.finance_approval import record_finance_approval, sign_finance_approval
from lakegate.cost.guard import CostGuard, RunIdentity
from lakegate.cost.cluster_policy import check_before_submit
from lakegate.cost.estimate import Duration, Estimate
from lakegate.cost.guarded_run import pricer, run_guarded
from lakegate.cost.rate_card import load_rate_card
from lakegate.databricks_jobs import Attribution, step_task, submit_arguments
from lakegate.databricks_steps import step_run_client
from lakegate.environment import CostConfig, DatabricksJobsConfig
from lakegate.governance.policy import parse_policy
from lakegate.ledger import Ledger
from lakegate.signing import public_key_pem
from tests.emulator.workloads import SLEEP, upload, wait_until

pytestmark = pytest.mark.integration
ENV = "databricks"
JOBS = DatabricksJobsConfig(timeout_seconds=120, cluster={"spark_version": "15.4.x-scala2.12", "node_type_id": "m5.large",
                                                          "num_workers": 1})
COST = CostConfig(cost_centre="CC-9", monthly_budget_usd=10, finance_approval_above_usd=1, run_cap_usd=0.02)
FINANCE = Ed25519PrivateKey.generate()
POLICY = parse_policy({"version": "t", "environments": {}, "principals": [
    {"id": "fi.finance", "display_name": "Fi", "roles": ["finance"], "public_key": public_key_pem(FINANCE.public_key())}]})
DEAD_WORKSPACE = "http://127.0.0.1:9"  # nothing listens: any request would fail with a connection error


@pytest.fixture(autouse=True)
def no_wait_for_messages_that_cannot_come(monkeypatch):
    monkeypatch.setattr(dbfs_message_reader, "CLOSED_MESSAGE_WAIT_SECONDS", 0)


def guard(home: Path, spent: float = 0.0) -> CostGuard:
    return CostGuard(COST, home, Ledger(home / "ledger.jsonl"), spend=lambda use_case: (spent, 0.0), policy=lambda: POLICY)


def fixed_estimate(usd: float, usd_per_hour: float):
    return lambda cluster: Estimate(usd, 1.0, usd_per_hour, 60.0, "declared", "test-card", "JOBS_COMPUTE")


def guarded_step(workspace: WorkspaceClient, cost_guard: CostGuard, script: str, usd: float = 0.0,
                 usd_per_hour: float = 0.0, seconds: str = "60", root_run_id: str | None = None, jobs=JOBS,
                 price=None, effective_cluster=lambda cluster: cluster):
    client = step_run_client(workspace, 0.2, include_stdio_in_messages=False)
    seen: dict = {}

    @dg.asset(key=["ml", "claims_triage_training_set"])
    def training_set(context: dg.AssetExecutionContext):
        attribution = Attribution(ENV, context.asset_key.to_user_string(), context.run_id, use_case="claims_triage",
                                  cost_centre=COST.cost_centre, auto_termination_minutes=COST.auto_termination_minutes)
        task = step_task(jobs, attribution, python_file=script, parameters=[seconds])
        step = context.op_execution_context.node_handle.name
        seen["run"] = RunIdentity(ENV, attribution.asset, step, context.run_id, root_run_id or context.run_id,
                                  "launch.er", "claims_triage")
        return run_guarded(context, client, task, submit_arguments(jobs, context.run_id, step), cost_guard, seen["run"],
                           price=price or fixed_estimate(usd, usd_per_hour),
                           effective_cluster=effective_cluster).completed.get_materialize_result()

    result = dg.materialize([training_set], raise_on_error=False)
    return result, seen.get("run")


def failure(result) -> str:
    (failed,) = [event for event in result.all_events if event.is_step_failure]
    return str(failed.step_failure_data.error)


def test_an_over_budget_run_is_refused_before_any_request_is_sent(tmp_path):
    dead = WorkspaceClient(host=DEAD_WORKSPACE, token="unused", auth_type="pat")
    result, _ = guarded_step(dead, guard(tmp_path, spent=9.5), "dbfs:/never/uploaded.py", usd=0.75, usd_per_hour=1.0)
    assert not result.success
    message = failure(result)
    assert "estimated $0.75 exceeds the budget left: environment databricks: budget $10.00, spent $9.50" in message
    assert "Connection" not in message
    (record,) = Ledger(tmp_path / "ledger.jsonl").records("cost_decision")
    assert record.outcome["decision"] == "refused"


def test_a_high_cost_run_waits_for_finance_then_runs(workspace, tmp_path):
    script = upload(workspace, "/lakegate/steps/short_sleep.py", SLEEP.encode())
    cost_guard = guard(tmp_path)
    held, run = guarded_step(workspace, cost_guard, script, usd=1.5, usd_per_hour=0.01, seconds="0")
    assert not held.success and "no valid finance approval covers it" in failure(held)
    approval = sign_finance_approval(FINANCE, cost_guard.request(run, 1.5, "declared"), "fi.finance")
    record_finance_approval(approval, tmp_path, cost_guard.ledger)
    # the approval binds to the root Dagster run, which a re-execution of the refused step keeps
    approved, _ = guarded_step(workspace, guard(tmp_path), script, usd=1.5, usd_per_hour=0.01, seconds="0",
                               root_run_id=run.root_run_id)
    assert approved.success
    decisions = [r.outcome["decision"] for r in cost_guard.ledger.records("cost_decision")]
    assert decisions == ["awaiting_approval", "approved"]


def test_an_overrunning_run_is_cancelled_by_the_live_stop_recorded_and_alerted(workspace, tmp_path):
    script = upload(workspace, "/lakegate/steps/long_sleep.py", SLEEP.encode())
    # $36/h is a cent a second: the run cap of $0.02 is crossed about 2 s in, long before the 60 s sleep ends
    result, _ = guarded_step(workspace, guard(tmp_path), script, usd=0.01, usd_per_hour=36.0)
    assert not result.success and "cancelled by the live stop" in failure(result)
    (stop,) = Ledger(tmp_path / "ledger.jsonl").records("cost_stop")
    run = wait_until(workspace, int(stop.subject["databricks_run_id"]), {"TERMINATED"})  # the step returns at TERMINATING
    assert (run.state.life_cycle_state, run.state.result_state) == (RunLifeCycleState.TERMINATED, RunResultState.CANCELED)
    assert run.end_time - run.start_time < 30_000
    (alert,) = list_alerts(tmp_path)
    assert alert["severity"] == "ERROR" and "live stop cancelled ml/claims_triage_training_set" in alert["title"]
    tags = run.tasks[0].new_cluster.custom_tags
    assert {tags["lakegate_use_case"], tags["cost_centre"], tags["lakegate_env"]} == {"claims_triage", "CC-9", ENV}


def policy_jobs(workspace: WorkspaceClient, name: str, definition: dict, workers: int) -> DatabricksJobsConfig:
    policy_id = workspace.cluster_policies.create(name=name, definition=json.dumps(definition)).policy_id
    return DatabricksJobsConfig(timeout_seconds=120, cluster={**JOBS.cluster.model_dump(), "num_workers": workers,
                                                              "policy_id": policy_id})


def test_the_policy_is_checked_before_submission_and_its_values_priced(workspace, tmp_path):
    card = load_rate_card("databricks-aws-us-east-1-2026-12")
    check = functools.partial(check_before_submit, workspace, rate_card=card)
    hour = pricer(card, "JOBS_COMPUTE", Duration(3600.0, "declared"))
    too_big = policy_jobs(workspace, "cost-range", {"num_workers": {"type": "range", "maxValue": 4}}, workers=16)
    (tmp_path / "range").mkdir()
    refused, _ = guarded_step(workspace, guard(tmp_path / "range"), "dbfs:/never/uploaded.py", jobs=too_big, price=hour,
                              effective_cluster=check)
    assert not refused.success and "num_workers is 16: the value must be at most 4" in failure(refused)
    # two m5.large as written cost $0.10 for the hour; the policy's fixed m5.4xlarge driver makes it $0.46,
    # over the $0.30 left
    dearer = policy_jobs(workspace, "cost-fixed", {"driver_node_type_id": {"type": "fixed", "value": "m5.4xlarge"}},
                         workers=1)
    held, _ = guarded_step(workspace, guard(tmp_path, spent=9.7), "dbfs:/never/uploaded.py", jobs=dearer, price=hour,
                           effective_cluster=check)
    assert not held.success and "estimated $0.46 exceeds the budget left" in failure(held)
    decisions = Ledger(tmp_path / "ledger.jsonl").records("cost_decision")
    assert [(d.outcome["decision"], d.inputs["estimate_usd"]) for d in decisions] == [("allowed", "0.10"), ("refused", "0.46")]
    assert "after the cluster policy's values" in decisions[-1].inputs["estimate"]
