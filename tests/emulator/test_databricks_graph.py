"""End to end in the `databricks` environment, through the command line a newcomer uses (docs/databricks.md)
and an emulator of its own (the session's is shared by modules that write the same `dev` tables):
landing files → bronze (on the orchestrator) → silver, features and the training set (job runs of the wheel)
→ the candidate model (trained on the orchestrator, registered in the workspace's Unity Catalog registry)
→ its automated gates → test → the signed release → prod champion → the signed deployment on Model Serving;
then a second champion, retrained, released the same way and rolled out as a canary that is judged from the
payload table Databricks captures, while callers query the endpoint through the SDK. `lakegate model lineage`
traces the candidate to the landed files through the workspace's tables."""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import mlflow
import pytest
from databricks.sdk.service.jobs import RunResultState

from gates.demo_governance import init_demo_governance
from lakegate.cli.demo import DEMO_TRAINER
from lakegate.cli.demo_release import sign_promotion
from lakegate.cli.demo_serving import sign_deployment_approval
from lakegate.environment import current_environment
from lakegate.lake import Lake
from lakegate.ledger import Ledger
from lakegate.serving.endpoints import ServedEntity
from lakegate.trust import trust_dir
from ml_assets import keys
from ml_assets.usecases import CLAIMS_TRIAGE
from tests.emulator.conftest import PII_KEY, REPO, RunningEmulator, databricks_mlflow, running_emulator
from tests.cli import run_in_process
from tests.emulator.endpoint_load import EndpointLoad

pytestmark = pytest.mark.integration
MODEL = "dev.claims.triage_model"
CHAMPION = "prod.claims.triage_model"
ENDPOINT = keys.endpoint_name(CLAIMS_TRIAGE)
TRAINING_SET = "dev.ml.claims_triage_training_set"
CLEARED = ("DATABRICKS_", "LAKEGATE_", "MLFLOW_", "SPARK_REMOTE", "DAGSTER_HOME")


def _keys(*asset_keys: dg.AssetKey) -> str:
    return " or ".join(f'key:"{key.to_user_string()}"' for key in asset_keys)


CANDIDATE = f'+key:"{keys.test_model_key(CLAIMS_TRIAGE).to_user_string()}" or key:"features/online_store"'
RETRAIN = _keys(keys.model_key(CLAIMS_TRIAGE), keys.test_model_key(CLAIMS_TRIAGE))
RELEASE = _keys(keys.release_candidate_key(CLAIMS_TRIAGE), keys.prod_model_key(CLAIMS_TRIAGE))
DEPLOY = _keys(keys.deployment_request_key(CLAIMS_TRIAGE), keys.deployment_key(CLAIMS_TRIAGE))


@dataclass(frozen=True)
class Graph:
    emulator: RunningEmulator
    env: dict
    home: Path
    lineage: dict
    load: EndpointLoad


def lakegate(env: dict, *args: str) -> subprocess.CompletedProcess:
    """The command line in this process (each of the graph's nine commands would pay Python's and the
    graph's start-up again); a run's progress goes to the real stdout, so its results are read from the
    Dagster instance."""
    return run_in_process(env, *args)


def materialize(env: dict, selection: str) -> subprocess.CompletedProcess:
    done = lakegate(env, "materialize", selection)
    assert done.returncode == 0, (selection, done.stdout[-4000:], done.stderr[-2000:])
    return done


@pytest.fixture(scope="module")
def graph(tmp_path_factory) -> Graph:
    home = tmp_path_factory.mktemp("graph-home")
    with running_emulator(tmp_path_factory.mktemp("graph-workspace")) as emulator, pytest.MonkeyPatch.context() as mp:
        workspace = emulator.client()
        for catalog in ("dev", "test", "prod"):
            workspace.catalogs.create(name=catalog)
        workspace.secrets.create_scope("lakegate")
        workspace.secrets.put_secret("lakegate", "pii_hmac_key", string_value=PII_KEY)
        env = {key: value for key, value in os.environ.items() if not key.startswith(CLEARED)}
        env |= {"PYTHONPATH": str(REPO), "LAKEGATE_ENV": "databricks", "LAKEGATE_HOME": str(home),
                "DATABRICKS_HOST": emulator.host, "DATABRICKS_TOKEN": emulator.token, "LAKEGATE_PII_HMAC_KEY": PII_KEY,
                "LAKEGATE_PRINCIPAL": DEMO_TRAINER}  # who trains: never an approver
        for name in [key for key in os.environ if key.startswith(CLEARED)]:
            mp.delenv(name)
        for name, value in env.items():  # the demo people sign in this process, on the same workspace
            mp.setenv(name, value)
        init_demo_governance(home)  # as `lakegate demo` does: keys, trusted keys, signed policies
        generated = lakegate(env, "data", "generate", "--use-case", "claims_triage", "--members", "800", "--claims", "8000")
        assert generated.returncode == 0, generated.stderr[-2000:]
        materialize(env, CANDIDATE)
        lineage = lakegate(env, "model", "lineage", MODEL, "1", "--json")
        assert lineage.returncode == 0, lineage.stderr[-2000:]
        sign_promotion(home, CLAIMS_TRIAGE)
        materialize(env, RELEASE)
        sign_deployment_approval(home, CLAIMS_TRIAGE)
        materialize(env, DEPLOY)  # champion v1 at 100 %
        materialize(env, RETRAIN)
        sign_promotion(home, CLAIMS_TRIAGE)
        materialize(env, RELEASE)
        sign_deployment_approval(home, CLAIMS_TRIAGE)
        with EndpointLoad(emulator, ENDPOINT, _request_rows(emulator), threads=4) as load:
            materialize(env, DEPLOY)  # v2 as a canary against v1, judged from the payload table
        yield Graph(emulator, env, home, json.loads(lineage.stdout), load)
    current_environment.cache_clear()  # the signing above resolved `databricks` in this process: not for the next module


def _request_rows(emulator: RunningEmulator) -> list[dict]:
    """What a caller of Model Serving sends: the champion's input columns, from training-set rows."""
    with databricks_mlflow(emulator):
        columns = mlflow.models.get_model_info(f"models:/{CHAMPION}/1").signature.inputs.input_names()
    rows = Lake(emulator.root / "unity-catalog").read_arrow(TRAINING_SET, columns=columns).slice(0, 1)
    return json.loads(rows.to_pandas().to_json(orient="records", date_format="iso"))  # as JSON carries them


def test_landing_to_candidate_runs_the_spark_steps_as_job_runs_and_registers_in_the_workspace(graph):
    # the Dagster run shows each Databricks run's id and URL; the workspace knows those runs
    instance = dg.DagsterInstance.from_config(str(graph.home / "dagster"))
    run = instance.get_runs()[-1]  # the first: landing to the test model
    entries = (record.event_log_entry for record in instance.get_records_for_run(run.run_id, limit=100_000).records)
    shown = {entry.dagster_event.asset_key.to_user_string(): entry.asset_materialization.metadata
             for entry in entries if entry.dagster_event and entry.dagster_event.is_step_materialization}
    assert shown["ml/claims_triage_model"]["mlflow/model_uri"].value == f"models:/{MODEL}/1"
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
    run = graph.lineage["run"]  # opened in the workspace's MLflow UI, not a local one
    assert run["url"] == f"{graph.emulator.host}/ml/experiments/{run['experiment_id']}/runs/{run['id']}"
    workspace_lake = Lake(graph.emulator.root / "unity-catalog")  # what the job runs wrote
    assert {table: workspace_lake.version(table) for table in tables} == tables


def _rollouts(home: Path) -> list[dict]:
    """What each run of the deployment asset did, oldest first (its `rollout` metadata)."""
    instance = dg.DagsterInstance.from_config(str(home / "dagster"))
    records = instance.fetch_materializations(keys.deployment_key(CLAIMS_TRIAGE), limit=10, ascending=True).records
    return [record.asset_materialization.metadata["rollout"].value for record in records]


def test_the_champion_is_served_on_model_serving_and_a_second_one_ramps_as_a_canary_judged_from_the_payload_table(graph):
    v1, v2 = (ServedEntity.default_name(CHAMPION, version) for version in ("1", "2"))
    first, canary = _rollouts(graph.home)
    assert first["first_deployment"] and first["final_traffic"] == {v1: 100}
    assert canary["succeeded"] and [step["traffic"] for step in canary["steps"]] == [25, 50, 100], canary
    for step in canary["steps"][:-1]:  # judged on what Databricks captured, at the policy's minimum
        measured = step["verdict"]["measured"]
        assert step["verdict"]["passed"] and min(measured["canary"]["requests"], measured["incumbent"]["requests"]) >= 100
    served = graph.emulator.client().serving_endpoints.get(ENDPOINT)  # the workspace's own view
    assert {r.served_model_name: r.traffic_percentage for r in served.config.traffic_config.routes} == {v1: 0, v2: 100}
    assert graph.load.failed() == [] and {row["served_entity"] for row in graph.load.rows} == {v1, v2}
    records = [r for r in Ledger.for_home(graph.home).records() if r.subject.get("endpoint") == ENDPOINT]
    assert records[0].subject["action"] == "create" and records[-1].outcome["to"]["traffic"] == {v1: 0, v2: 100}


def test_the_champions_evidence_bundle_exports_from_the_workspace_and_verifies_with_the_auditors_keys(graph, tmp_path):
    bundle = tmp_path / "evidence.zip"
    exported = lakegate(graph.env, "audit", "export", CHAMPION, "champion", str(bundle))
    assert exported.returncode == 0, exported.stdout[-2000:] + exported.stderr[-2000:]
    with zipfile.ZipFile(bundle) as opened:
        lineage = json.loads(opened.read("data/lineage.json"))
    tables: dict[str, int] = {}
    _walk(lineage["lineage"], tables, set())
    assert {TRAINING_SET, "dev.silver.claims", "dev.bronze.claims"} <= set(tables)  # the workspace's tables
    auditor = {**graph.env, "LAKEGATE_HOME": str(tmp_path / "auditor-home")}
    verified = lakegate(auditor, "audit", "verify-bundle", str(bundle), "--trusted-keys",
                        str(trust_dir(graph.home) / "trusted_keys.yaml"))
    assert verified.returncode == 0, verified.stdout[-3000:] + verified.stderr[-2000:]
