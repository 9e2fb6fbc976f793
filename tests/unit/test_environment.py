"""Environments: chosen by LAKEGATE_ENV, validated once, never a silent default."""

import pytest

from lakegate import environment
from lakegate.databricks import workspace_host
from lakegate.engine import EngineNotAvailable, spark_remote_url
from lakegate.environment import ConfigError, EngineConfig, PiiConfig, load_environment
from lakegate.pii import resolve_hmac_key
from lakegate.registry import Registry

ENVIRONMENTS = environment.ENVIRONMENTS_DIR  # the project's own files (env_dir swaps the folder)


@pytest.mark.parametrize("name,catalog", [("local", "dev"), ("dev", "dev"), ("test", "test"), ("prod", "prod"),
                                          ("databricks", "dev")])
def test_each_shipped_environment_loads(name, catalog):
    assert load_environment(name).catalog == catalog


def test_an_environment_is_judged_by_its_own_policies_unless_it_names_a_set(env_dir):
    (env_dir / "x.yaml").write_text("name: x\ncatalog: dev\n")
    (env_dir / "y.yaml").write_text("name: y\ncatalog: dev\npolicies: {promotion: local}\n")
    (env_dir / "z.yaml").write_text("name: z\ncatalog: dev\npolicies: {promotion: ../prod}\n")
    (env_dir / "w.yaml").write_text("name: w\ncatalog: dev\npolicies: {training: local}\n")
    assert [load_environment("x").policy_set(kind) for kind in ("promotion", "deployment", "monitoring")] == ["x"] * 3
    assert (load_environment("y").policy_set("promotion"), load_environment("y").policy_set("deployment")) == ("local", "y")
    for bad, field in (("z", "policies.promotion"), ("w", "policies.training")):
        with pytest.raises(ConfigError, match=field):
            load_environment(bad)


def test_the_databricks_trial_is_gated_and_monitored_as_the_laptop_and_deploys_by_its_own_policy():
    trial = load_environment("databricks")
    assert [trial.policy_set(kind) for kind in ("promotion", "deployment", "monitoring")] == ["local", "databricks", "local"]
    assert load_environment("prod").policy_set("promotion") == "prod"


def test_default_is_local(monkeypatch):
    monkeypatch.delenv("LAKEGATE_ENV", raising=False)
    assert load_environment().name == "local"


def test_unknown_environment_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("LAKEGATE_ENV", "staging")
    with pytest.raises(ConfigError, match="unknown environment 'staging'.*known: databricks, dev, local, prod, test"):
        load_environment()


@pytest.fixture
def env_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(environment, "ENVIRONMENTS_DIR", tmp_path)
    return tmp_path


def test_unknown_field_is_rejected(env_dir):
    (env_dir / "x.yaml").write_text("name: x\ncatalog: dev\nengine:\n  kind: sail\n  threads: 4\n")
    with pytest.raises(ConfigError, match=r"engine\.threads: Extra inputs are not permitted"):
        load_environment("x")


def test_bad_value_is_rejected(env_dir):
    (env_dir / "x.yaml").write_text("name: x\ncatalog: staging\n")
    with pytest.raises(ConfigError, match="catalog"):
        load_environment("x")


def test_name_must_match_file(env_dir):
    (env_dir / "x.yaml").write_text("name: y\ncatalog: dev\n")
    with pytest.raises(ConfigError, match="does not match"):
        load_environment("x")


def test_invalid_yaml_is_reported(env_dir):
    (env_dir / "x.yaml").write_text("name: [x\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_environment("x")


def test_databricks_engine_gives_no_session_in_process():
    with pytest.raises(EngineNotAvailable, match="run as Databricks job runs"):
        spark_remote_url(EngineConfig(kind="databricks"))


def test_connect_engine_needs_its_url_variable(monkeypatch):
    monkeypatch.delenv("LAKEGATE_SPARK_REMOTE", raising=False)
    with pytest.raises(ConfigError, match="LAKEGATE_SPARK_REMOTE is not set"):
        spark_remote_url(EngineConfig(kind="connect", url_env="LAKEGATE_SPARK_REMOTE"))
    monkeypatch.setenv("LAKEGATE_SPARK_REMOTE", "sc://127.0.0.1:15002")
    assert spark_remote_url(EngineConfig(kind="connect", url_env="LAKEGATE_SPARK_REMOTE")) == "sc://127.0.0.1:15002"


def test_pii_key_missing_is_an_error_outside_local(monkeypatch, tmp_path):
    monkeypatch.delenv("LAKEGATE_PII_HMAC_KEY", raising=False)
    with pytest.raises(ConfigError, match="LAKEGATE_PII_HMAC_KEY is not set"):
        resolve_hmac_key(PiiConfig(), tmp_path)


def test_local_generates_a_private_key_once(monkeypatch, tmp_path):
    monkeypatch.delenv("LAKEGATE_PII_HMAC_KEY", raising=False)
    first = resolve_hmac_key(PiiConfig(allow_generated_key=True), tmp_path)
    second = resolve_hmac_key(PiiConfig(allow_generated_key=True), tmp_path)
    key_file = tmp_path / "secrets" / "pii_hmac.key"
    assert first == second and len(first) == 64
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_short_pii_key_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("LAKEGATE_PII_HMAC_KEY", "short")
    with pytest.raises(ConfigError, match="too short"):
        resolve_hmac_key(PiiConfig(), tmp_path)


def test_a_databricks_engine_needs_the_pii_key_from_a_secret_scope_on_its_job_clusters(env_dir):
    environment = (ENVIRONMENTS / "databricks.yaml").read_text().replace("name: databricks", "name: x")
    (env_dir / "x.yaml").write_text(environment.replace("secret_env_vars: {LAKEGATE_PII_HMAC_KEY: lakegate/pii_hmac_key}", ""))
    with pytest.raises(ConfigError, match="secret_env_vars must give LAKEGATE_PII_HMAC_KEY from a secret scope"):
        load_environment("x")
    (env_dir / "x.yaml").write_text(environment.replace("lakegate/pii_hmac_key", "no-key"))
    with pytest.raises(ConfigError, match="secret_env_vars.LAKEGATE_PII_HMAC_KEY: String should match pattern"):
        load_environment("x")


def test_a_databricks_engine_needs_the_workspace_section(env_dir):
    (env_dir / "x.yaml").write_text("name: x\ncatalog: prod\nengine:\n  kind: databricks\n")
    with pytest.raises(ConfigError, match="engine kind 'databricks' needs a databricks: section"):
        load_environment("x")


def test_the_workspace_section_is_strict_and_names_no_workspace(env_dir):
    (env_dir / "x.yaml").write_text("name: x\ncatalog: dev\ndatabricks:\n  host: https://adb-1.azuredatabricks.net\n")
    with pytest.raises(ConfigError, match=r"databricks\.host: Extra inputs are not permitted"):
        load_environment("x")
    (env_dir / "x.yaml").write_text("name: x\ncatalog: dev\ndatabricks:\n  serving:\n    workload_size: Huge\n")
    with pytest.raises(ConfigError, match=r"databricks\.serving\.workload_size"):
        load_environment("x")


def test_prod_and_databricks_serve_on_the_workspace():
    prod, trial = load_environment("prod"), load_environment("databricks")
    assert prod.databricks.serving.scale_to_zero_enabled is False and trial.databricks.serving.scale_to_zero_enabled
    assert load_environment("local").databricks is None


def test_the_workspace_url_must_be_a_url(monkeypatch):
    monkeypatch.setenv("DATABRICKS_HOST", "adb-1.azuredatabricks.net")
    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-not-a-real-token")
    with pytest.raises(ConfigError, match="DATABRICKS_HOST must be the workspace URL"):
        workspace_host()
    monkeypatch.setenv("DATABRICKS_HOST", "https://adb-1.azuredatabricks.net/")
    assert workspace_host() == "https://adb-1.azuredatabricks.net"


def test_a_run_opens_in_the_workspaces_mlflow_ui_on_databricks_and_in_the_local_ui_otherwise(monkeypatch):
    monkeypatch.setenv("DATABRICKS_HOST", "https://adb-1.azuredatabricks.net/")
    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-not-a-token")
    on_workspace = Registry("databricks", "databricks-uc").run_url("7", "abc")
    assert on_workspace == "https://adb-1.azuredatabricks.net/ml/experiments/7/runs/abc"
    assert Registry("sqlite:///x.db", "sqlite:///x.db", ui_url="http://127.0.0.1:5000").run_url("7", "abc") \
        == "http://127.0.0.1:5000/#/experiments/7/runs/abc"
