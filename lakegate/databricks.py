"""The Databricks workspace a Databricks environment names: DATABRICKS_HOST and DATABRICKS_TOKEN.

The variables are the clients' own (databricks-sdk, mlflow and dagster-databricks read them), so
one setting reaches all three. The token is only handed to the SDK: it is never logged, put in
metadata or in the ledger, and the errors here name the variable, never its value.
"""

from __future__ import annotations

import os

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
