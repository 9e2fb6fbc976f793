"""Where engine kind `databricks` finds its tables (lakegate/databricks.py): the parent of the catalog's
local storage root; a missing catalog or cloud storage is a clear error."""

from pathlib import Path
from types import SimpleNamespace

import pytest
from databricks.sdk.errors import NotFound

from lakegate import databricks
from lakegate.environment import ConfigError


class Catalogs:
    def __init__(self, storage_root=None):
        self.storage_root = storage_root

    def get(self, name):
        if self.storage_root is None:
            raise NotFound(f"Catalog '{name}' does not exist.")
        return SimpleNamespace(storage_root=self.storage_root)


@pytest.fixture
def workspace(monkeypatch):
    monkeypatch.setenv("DATABRICKS_HOST", "http://127.0.0.1:1")
    monkeypatch.setenv("DATABRICKS_TOKEN", "not-a-real-token")
    databricks._lake_root.cache_clear()
    client = SimpleNamespace(catalogs=Catalogs())
    monkeypatch.setattr(databricks, "workspace_client", lambda: client)
    yield client
    databricks._lake_root.cache_clear()


def test_the_lake_root_is_the_parent_of_the_catalog_local_storage(workspace):
    workspace.catalogs.storage_root = "file:///srv/emulator/unity-catalog/prod"
    assert databricks.unity_catalog_lake_root("prod") == Path("/srv/emulator/unity-catalog")


def test_a_missing_catalog_or_cloud_storage_is_refused_by_name(workspace):
    with pytest.raises(ConfigError, match="catalog 'prod' does not exist on the workspace"):
        databricks.unity_catalog_lake_root("prod")
    workspace.catalogs.storage_root = "s3://bucket/unity-catalog/1234"
    with pytest.raises(ConfigError, match="stored at s3://bucket/unity-catalog/1234"):
        databricks.unity_catalog_lake_root("prod")
