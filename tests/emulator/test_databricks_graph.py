"""End to end in the `databricks` environment, through the command line a newcomer uses (docs/databricks.md)
and an emulator of its own (the session's is shared by modules that write the same `dev` tables):
landing files → bronze (on the orchestrator) → silver, features and the training set (job runs of the wheel)
→ the candidate model (trained on the orchestrator, registered in the workspace's Unity Catalog registry),
then `lakegate model lineage` traces the candidate to the landed files through the workspace's tables.

The graph stops after the candidate today: its gates find no promotion policy for environment `databricks`
(docs/databricks.md, "The whole graph on the emulator")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import mlflow
import pytest
from databricks.sdk.service.jobs import RunResultState

from lakegate.lake import Lake
from tests.emulator.conftest import PII_KEY, REPO, RunningEmulator, databricks_mlflow, running_emulator

pytestmark = pytest.mark.integration
MODEL = "dev.claims.triage_model"
TRAINING_SET = "dev.ml.claims_triage_training_set"
CLEARED = ("DATABRICKS_", "LAKEGATE_", "MLFLOW_", "SPARK_REMOTE", "DAGSTER_HOME")


@dataclass(frozen=True)
class Graph:
    emulator: RunningEmulator
    home: Path
    materialized: subprocess.CompletedProcess
    lineage: dict


def lakegate(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from lakegate.cli.main import entry; entry()", *args],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def graph(tmp_path_factory) -> Graph:
    home = tmp_path_factory.mktemp("graph-home")
    with running_emulator(tmp_path_factory.mktemp("graph-workspace")) as emulator:
        workspace = emulator.client()
        workspace.catalogs.create(name="dev")
        workspace.secrets.create_scope("lakegate")
        workspace.secrets.put_secret("lakegate", "pii_hmac_key", string_value=PII_KEY)
        env = {key: value for key, value in os.environ.items() if not key.startswith(CLEARED)}
        env |= {"PYTHONPATH": str(REPO), "LAKEGATE_ENV": "databricks", "LAKEGATE_HOME": str(home),
                "DATABRICKS_HOST": emulator.host, "DATABRICKS_TOKEN": emulator.token, "LAKEGATE_PII_HMAC_KEY": PII_KEY}
        generated = lakegate(env, "data", "generate", "--use-case", "claims_triage", "--members", "150", "--claims", "1500")
        assert generated.returncode == 0, generated.stderr[-2000:]
        materialized = lakegate(env, "materialize", '+key:"ml/claims_triage_model"')
        lineage = lakegate(env, "model", "lineage", MODEL, "1", "--json")
        assert lineage.returncode == 0, (materialized.stdout[-3000:], lineage.stderr[-2000:])
        yield Graph(emulator, home, materialized, json.loads(lineage.stdout))


def test_landing_to_candidate_runs_the_spark_steps_as_job_runs_and_registers_in_the_workspace(graph):
    assert f"model models:/{MODEL}/1" in graph.materialized.stdout
    # the Dagster run shows each Databricks run's id and URL; the workspace knows those runs
    instance = dg.DagsterInstance.from_config(str(graph.home / "dagster"))
    (run,) = instance.get_runs()
    entries = (record.event_log_entry for record in instance.get_records_for_run(run.run_id, limit=100_000).records)
    shown = {entry.dagster_event.asset_key.to_user_string(): entry.asset_materialization.metadata
             for entry in entries if entry.dagster_event and entry.dagster_event.is_step_materialization}
    on_databricks = {asset for asset, metadata in shown.items() if "Databricks Job Run ID" in metadata}
    assert {"silver/claims", "silver/members", "features/member_claims_90d", "ml/claims_triage_training_set"} \
        <= on_databricks
    assert not {"bronze/claims", "ml/claims_triage_model"} & on_databricks  # delta-rs and scikit-learn stay here
    workspace = graph.emulator.client()
    for asset in on_databricks:
        job_run = workspace.jobs.get_run(int(shown[asset]["Databricks Job Run ID"].value))
        assert job_run.state.result_state == RunResultState.SUCCESS, asset
        assert job_run.run_page_url == shown[asset]["Databricks Job Run URL"].value
        assert job_run.tasks[0].new_cluster.custom_tags["dagster_run_id"] == run.run_id
    with databricks_mlflow(graph.emulator):
        version = mlflow.MlflowClient().get_model_version(MODEL, "1")
    assert version.tags["lakegate.training_set.table"] == TRAINING_SET


def _walk(node: dict, tables: dict[str, int], files: set[str]) -> None:
    tables[node["table"]] = node["version"]
    files.update(f["path"] for f in node.get("files", []))
    for parent in node.get("inputs", []):
        _walk(parent, tables, files)


def test_model_lineage_traces_the_candidate_to_the_landed_files_through_the_workspace_tables(graph):
    tables: dict[str, int] = {}
    files: set[str] = set()
    _walk(graph.lineage["training_set"], tables, files)
    assert {TRAINING_SET, "dev.silver.claims", "dev.bronze.claims", "dev.features.member_claims_90d"} <= set(tables)
    landed = {path.relative_to(graph.home / "landing").as_posix() for path in (graph.home / "landing").rglob("*.csv")}
    assert files == landed
    workspace_lake = Lake(graph.emulator.root / "unity-catalog")  # what the job runs wrote
    assert {table: workspace_lake.version(table) for table in tables} == tables
