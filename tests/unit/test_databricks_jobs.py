"""What a Spark step's Databricks job run is submitted with (lakegate/databricks_jobs.py)."""

import pytest

from lakegate.databricks_jobs import Attribution, idempotency_token, step_task, submit_arguments
from lakegate.environment import DatabricksJobsConfig

JOBS = DatabricksJobsConfig(timeout_seconds=900, cluster={"spark_version": "15.4.x-scala2.12", "node_type_id": "m5.large",
                                                          "custom_tags": {"cost_center": "claims/ml #7"}})
RUN = Attribution("prod", "silver/claims", "run-1")


def test_the_idempotency_token_is_stable_per_run_and_step_and_fits_databricks_limit():
    token = idempotency_token("run-1", "silver__claims")
    assert token == idempotency_token("run-1", "silver__claims") and len(token) == 64
    assert len({token, idempotency_token("run-2", "silver__claims"), idempotency_token("run-1", "gold__claims")}) == 3
    assert submit_arguments(JOBS, "run-1", "silver__claims") == {
        "run_name": "lakegate silver__claims run-1", "timeout_seconds": 900, "idempotency_token": token}


def test_a_wheel_step_installs_lakegates_wheel_and_calls_its_entry_point_on_a_tagged_cluster():
    task = step_task(JOBS, RUN, wheel="/Volumes/prod/lakegate/wheels/lakegate-0.1-py3-none-any.whl",
                     parameters=["silver_claims"])
    assert task.task_key == "silver_claims" and task.timeout_seconds == 900
    assert [library.whl for library in task.libraries] == ["/Volumes/prod/lakegate/wheels/lakegate-0.1-py3-none-any.whl"]
    assert (task.python_wheel_task.package_name, task.python_wheel_task.entry_point) == ("lakegate", "lakegate-step")
    assert task.new_cluster.policy_id is None and task.new_cluster.apply_policy_default_values is None
    assert task.new_cluster.custom_tags == {"cost_center": "claims/ml _7", "lakegate_env": "prod",
                                            "lakegate_asset": "silver/claims", "dagster_run_id": "run-1"}


def test_a_step_runs_a_script_or_a_wheel_never_both_or_neither():
    with pytest.raises(ValueError, match="either a python_file or a wheel"):
        step_task(JOBS, RUN)
    with pytest.raises(ValueError, match="either a python_file or a wheel"):
        step_task(JOBS, RUN, python_file="dbfs:/a.py", wheel="/Volumes/a.whl")


def test_every_run_is_tagged_for_cost_and_terminates_by_itself():
    attribution = Attribution("prod", "ml/claims_triage_training_set", "run-9", use_case="claims_triage",
                              cost_centre="CC-4410", auto_termination_minutes=20)
    task = step_task(JOBS, attribution, wheel="/Volumes/prod/lakegate/wheels/lakegate.whl")
    assert task.new_cluster.custom_tags == {"cost_center": "claims/ml _7", "lakegate_env": "prod",
                                            "lakegate_asset": "ml/claims_triage_training_set", "dagster_run_id": "run-9",
                                            "lakegate_use_case": "claims_triage", "cost_centre": "CC-4410"}
    assert task.new_cluster.autotermination_minutes == 20 and task.timeout_seconds == 900


def test_secret_backed_variables_reach_the_cluster_as_references_never_as_values():
    jobs = DatabricksJobsConfig(cluster={"spark_version": "15.4.x-scala2.12", "node_type_id": "m5.large",
                                         "secret_env_vars": {"LAKEGATE_PII_HMAC_KEY": "lakegate/pii_hmac_key"}})
    task = step_task(jobs, RUN, python_file="dbfs:/step.py")
    assert task.new_cluster.spark_env_vars == {"LAKEGATE_PII_HMAC_KEY": "{{secrets/lakegate/pii_hmac_key}}"}
    assert step_task(JOBS, RUN, python_file="dbfs:/step.py").new_cluster.spark_env_vars is None
