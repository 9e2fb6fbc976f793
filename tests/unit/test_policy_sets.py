"""Every shipped environment names, for each use case, a promotion, deployment and monitoring policy
that exists and loads (decision 0043): a missing one would fail every gate of that environment closed."""

import pytest

from gates.deployment_policy import load_deployment_policy
from gates.monitoring_policy import load_monitoring_policy
from gates.policy import load_policy, policies_dir
from lakegate.environment import available_environments, load_environment
from ml_assets.usecases import USE_CASES

LOADERS = {"promotion": load_policy, "deployment": load_deployment_policy, "monitoring": load_monitoring_policy}


@pytest.mark.parametrize("env_name", available_environments())
@pytest.mark.parametrize("use_case", sorted(USE_CASES))
def test_each_environment_has_every_kind_of_policy_for_every_use_case(env_name, use_case):
    env = load_environment(env_name)
    for kind, load in LOADERS.items():
        policy = load(env.policy_set(kind), policies_dir(use_case))
        assert policy.environment == env.policy_set(kind), (env_name, kind)


def test_the_databricks_trial_ramps_on_model_serving_by_its_own_deployment_policy():
    policy = load_deployment_policy("databricks", policies_dir("claims_triage"))
    assert [step.traffic for step in policy.canary_steps()] == [25, 50, 100]
    assert policy.health.max_p99_latency_ms > load_deployment_policy("local", policies_dir("claims_triage")).health.max_p99_latency_ms


def test_a_teams_own_policies_directory_is_read_and_named_as_the_shipped_one(tmp_path, monkeypatch):
    import shutil

    from gates.policy import POLICIES_DIR, POLICIES_DIR_ENV, policy_name

    shutil.copytree(POLICIES_DIR, tmp_path / "policies")
    edited = tmp_path / "policies" / "claims_triage" / "deployment.local.yaml"
    edited.write_text(edited.read_text().replace("min_requests: 200", "min_requests: 321"))
    monkeypatch.setenv(POLICIES_DIR_ENV, str(tmp_path / "policies"))
    assert policies_dir("claims_triage") == tmp_path / "policies" / "claims_triage"
    assert policy_name(edited) == "claims_triage/deployment.local.yaml"  # signed under the same name as the shipped file
    assert load_deployment_policy("local", policies_dir("claims_triage")).health.min_requests == 321
    monkeypatch.delenv(POLICIES_DIR_ENV)
    assert load_deployment_policy("local", policies_dir("claims_triage")).health.min_requests == 200
