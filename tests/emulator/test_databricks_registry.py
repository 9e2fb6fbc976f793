"""Lakegate's registry (lakegate/registry.py) in the `databricks` environment, against the emulator.

The environment alone makes MLflow's tracking URI `databricks` and its registry `databricks-uc`:
the Unity Catalog registry's REST, model files uploaded through the Files API, aliases by
three-level name (docs/decisions/0036-databricks-registry.md). The session's logged model is
registered again under Lakegate's own name, so no model is built here.
"""

from __future__ import annotations

import mlflow
import pytest
from databricks.sdk.errors import InvalidParameterValue

from lakegate.environment import ConfigError, load_environment
from lakegate.registry import Registry, RegistryError
from tests.emulator.conftest import FEATURES, MODEL

pytestmark = pytest.mark.integration
NAME = "dev.claims.lakegate_triage"


@pytest.fixture
def registry(emulator, registered, monkeypatch, tmp_path) -> Registry:
    for key in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DATABRICKS_HOST", emulator.host)
    monkeypatch.setenv("DATABRICKS_TOKEN", emulator.token)
    return Registry.from_env(home=tmp_path, environment=load_environment("databricks"))


def test_the_databricks_environment_registers_under_three_level_names_with_aliases(registry, mlflow_client, emulator,
                                                                                    registered):
    assert (registry.tracking_uri, registry.registry_uri, registry.artifact_root) == ("databricks", "databricks-uc", None)
    source = mlflow_client.get_model_version(MODEL, "1").source
    first = registry.register(source, NAME, tags={"lakegate.threshold": "0.5"}, description="claims triage",
                              model_tags={"lakegate.owner": "claims-ml"})
    second = registry.register(source, NAME)
    assert (first.version, second.version) == ("1", "2") and first.status == "READY"
    assert first.tags["lakegate.threshold"] == "0.5" and first.description == "claims triage"
    assert (emulator.root / "models" / "dev" / "claims" / "lakegate_triage" / "1" / "MLmodel").is_file()

    registry.set_alias(NAME, "champion", 1)
    registry.set_alias(NAME, "challenger", 2)
    assert registry.aliases(NAME) == {"champion": "1", "challenger": "2"}
    assert registry.alias_version(NAME, "champion") == "1" and registry.alias_version(NAME, "previous_champion") is None
    assert registry.model_version(NAME, "@challenger").version == "2"
    assert [v.version for v in registry.versions(NAME)] == ["1", "2"]
    with pytest.raises(RegistryError, match="has no version 7"):
        registry.model_version(NAME, 7)

    with registry.activate():  # Unity Catalog's model files, downloaded through the Files API
        champion = mlflow.pyfunc.load_model(f"models:/{NAME}@champion")
    assert champion.predict(FEATURES).tolist() == registered.predict(FEATURES).tolist()


def test_the_databricks_environment_without_its_workspace_variables_is_a_clear_error(monkeypatch, tmp_path):
    for key in ("MLFLOW_TRACKING_URI", "DATABRICKS_HOST", "DATABRICKS_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(ConfigError, match="set DATABRICKS_HOST and DATABRICKS_TOKEN"):
        Registry.from_env(home=tmp_path, environment=load_environment("databricks"))


def test_the_emulator_refuses_temporary_credentials_and_accepts_lineage_it_cannot_keep(workspace):
    """The two UC registry calls the emulator answers itself (databricks_emulator/uc_registry.py)."""
    base = "/api/2.0/mlflow/unity-catalog/model-versions"
    with pytest.raises(InvalidParameterValue, match="no cloud storage"):
        workspace.api_client.do("POST", f"{base}/generate-temporary-credentials",
                                body={"name": NAME, "version": "1", "operation": "MODEL_VERSION_OPERATION_READ_WRITE"})
    assert workspace.api_client.do("POST", f"{base}/emit-lineage", body={"name": NAME, "version": "1"}) == {}
