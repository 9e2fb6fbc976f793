"""The Databricks workspace a Databricks environment names: DATABRICKS_HOST and DATABRICKS_TOKEN.

The variables are the clients' own (databricks-sdk, mlflow and dagster-databricks read them), so
one setting reaches all three. The token is only handed to the SDK: it is never logged, put in
metadata or in the ledger, and the errors here name the variable, never its value.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

from lakegate.environment import ConfigError

HOST_VARIABLE = "DATABRICKS_HOST"
TOKEN_VARIABLE = "DATABRICKS_TOKEN"


def workspace_host() -> str:
    """The workspace URL, after checking that both variables are set (a clear error otherwise)."""
    missing = [name for name in (HOST_VARIABLE, TOKEN_VARIABLE) if not os.environ.get(name)]
    if missing:
        raise ConfigError(f"this environment runs on a Databricks workspace: set {' and '.join(missing)} "
                          "(`lakegate databricks-emulator` prints both for the local emulator)")
    host = os.environ[HOST_VARIABLE].rstrip("/")
    if not host.startswith(("https://", "http://")):
        raise ConfigError(f"{HOST_VARIABLE} must be the workspace URL (https://...), got {host!r}")
    return host


def workspace_client():
    """databricks-sdk's WorkspaceClient on that workspace, with a personal access token. (The SDK is
    imported here, on use: the registry imports this module, and a local run should not pay for it.)"""
    from databricks.sdk import WorkspaceClient

    return WorkspaceClient(host=workspace_host(), token=os.environ[TOKEN_VARIABLE], auth_type="pat")


def unity_catalog_lake_root(catalog: str) -> Path:
    """The folder whose `<catalog>/<schema>/<table>` Delta tables are the workspace's Unity Catalog
    tables: the parent of the catalog's `storage_root`, where that is a local folder (the emulator's
    `file://` storage). A cloud storage root is refused: tables by name only (saveAsTable) on a real
    workspace are not built (docs/decisions/0037-databricks-pipes-engine.md)."""
    return _lake_root(workspace_host(), catalog)


@lru_cache(maxsize=8)
def _lake_root(host: str, catalog: str) -> Path:
    from databricks.sdk.errors import NotFound

    try:
        storage = workspace_client().catalogs.get(catalog).storage_root or ""
    except NotFound:
        raise ConfigError(f"catalog {catalog!r} does not exist on the workspace at {host}: create it first") from None
    if not storage.startswith("file:"):
        raise ConfigError(f"catalog {catalog!r} is stored at {storage or 'no storage root'}; Lakegate reaches tables "
                          "by path only in a workspace with local storage (the emulator) so far")
    return Path(urlparse(storage).path).parent
