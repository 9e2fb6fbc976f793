"""Training on real Delta and a real MLflow SQLite store: logged, registered, reproducible, servable
outside the repository, and traceable with `lakegate model lineage` down to the landed files."""

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg
import numpy as np
import pyarrow as pa
import pytest

from lakegate.lake import Lake
from lakegate.lake_resource import LakeResource
from lakegate.lineage import FILES_KEY
from lakegate.platform import Platform
from lakegate.registry import Registry, Tags
from lakegate.registry_resource import MlflowRegistry
from ml_assets.monitoring.inputs import reference_profiles
from ml_assets.training.assets import build_model_asset
from ml_assets.training.columns import input_kinds, model_input_columns
from ml_assets.training.run import train_and_register
from ml_assets.training.tracking import ARTIFACTS, REQUIRED_METRICS, REQUIRED_TAGS
from ml_assets.usecases import CLAIMS_TRIAGE
from tests.cli import invoke_cli

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
MODEL = "dev.claims.triage_model"
TRAINING_SET = "dev.ml.claims_triage_training_set"
FEATURES = "dev.features.member_claims_90d"
LAKEGATE = str(Path(sys.executable).with_name("lakegate"))

SCHEMA = pa.schema([
    ("claim_id", pa.string()), ("member_token", pa.string()), ("provider_id", pa.string()),
    ("event_timestamp", pa.timestamp("us", tz="UTC")), ("label", pa.int32()),
    ("amount", pa.float64()), ("procedure_code", pa.string()), ("diagnosis_code", pa.string()),
    ("service_date", pa.date32()), ("submission_date", pa.date32()), ("channel", pa.string()),
    ("member_claims_90d", pa.int64()), ("member_amount_90d", pa.float64()), ("member_avg_amount_90d", pa.float64()),
    ("member_prior_decided", pa.int64()), ("member_prior_review_rate", pa.float64()), ("member_age_band", pa.string()),
    ("member_chronic_count", pa.int32()), ("member_has_diabetes", pa.int32()), ("member_has_chf", pa.int32()),
    ("member_has_copd", pa.int32()), ("member_has_ckd", pa.int32()), ("member_has_hypertension", pa.int32()),
    ("member_has_cancer", pa.int32()),
    ("provider_claims_90d", pa.int64()), ("provider_prior_decided", pa.int64()), ("provider_prior_review_rate", pa.float64()),
    ("provider_in_network", pa.int32()), ("provider_specialty", pa.string()),
])


def synthetic_training_set(rows: int = 2500, seed: int = 7) -> pa.Table:
    """Claims over 180 days whose review label depends on amount, procedure, history, network, channel."""
    rng = np.random.default_rng(seed)
    start = dt.date(2024, 1, 1)
    submitted = [start + dt.timedelta(days=int(d)) for d in np.sort(rng.integers(0, 180, rows))]
    service = [s - dt.timedelta(days=int(d)) for s, d in zip(submitted, rng.integers(0, 60, rows))]
    amount = np.round(rng.lognormal(5.5, 1.0, rows), 2)
    procedure = rng.choice(["00100", "27447", "33533", "71046", "80053", "93000", "99213", "XX001"], rows)
    channel = rng.choice(["portal", "edi", "paper", "fax"], rows, p=[0.5, 0.3, 0.15, 0.05])
    no_history = rng.random(rows) < 0.15
    prior_rate = np.where(no_history, np.nan, rng.beta(2, 8, rows))
    in_network = (rng.random(rows) > 0.2).astype(np.int32)
    chf = (rng.random(rows) < 0.1).astype(np.int32)
    logit = (-3.2 + 1.4 * (np.log(amount) - 5.5) + 2.0 * np.isin(procedure, ["27447", "33533"])
             + 6.0 * np.nan_to_num(prior_rate, nan=0.2) + 1.4 * (1 - in_network) + 1.2 * chf + 1.2 * (channel == "paper"))
    claims_90d = rng.integers(0, 12, rows)

    def nullable(values, mask=no_history):
        return [None if m else v for v, m in zip(np.asarray(values).tolist(), mask)]

    flags = {f"member_has_{c}": (rng.random(rows) < p).astype(np.int32)
             for c, p in (("diabetes", 0.15), ("copd", 0.08), ("ckd", 0.05), ("hypertension", 0.3), ("cancer", 0.04))}
    columns = {
        "claim_id": [f"C{i:06d}" for i in range(rows)],
        "member_token": [f"m{i:04d}" for i in rng.integers(0, 400, rows)],
        "provider_id": [f"P{i:03d}" for i in rng.integers(0, 60, rows)],
        "event_timestamp": [dt.datetime.combine(s, dt.time(), dt.timezone.utc) for s in submitted],
        "label": (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int32),
        "amount": amount, "procedure_code": procedure,
        "diagnosis_code": [f"{a}{n:02d}" for a, n in zip(rng.choice(list("EIJKMZ"), rows), rng.integers(0, 99, rows))],
        "service_date": service, "submission_date": submitted, "channel": channel,
        "member_claims_90d": nullable(claims_90d), "member_amount_90d": nullable(claims_90d * 300.0),
        "member_avg_amount_90d": nullable(np.full(rows, 300.0)), "member_prior_decided": nullable(rng.integers(0, 20, rows)),
        "member_prior_review_rate": nullable(prior_rate), "member_age_band": rng.choice(["18-34", "35-49", "50-64", "65+"], rows),
        "member_chronic_count": rng.integers(0, 4, rows).astype(np.int32), "member_has_chf": chf, **flags,
        "provider_claims_90d": rng.integers(5, 400, rows), "provider_prior_decided": rng.integers(0, 200, rows),
        "provider_prior_review_rate": nullable(rng.beta(2, 8, rows), rng.random(rows) < 0.05),
        "provider_in_network": in_network,
        "provider_specialty": rng.choice(["cardiology", "family_medicine", "oncology", "orthopedics"], rows),
    }
    return pa.table({n: pa.array(columns[n], type=SCHEMA.field(n).type) for n in SCHEMA.names}, schema=SCHEMA)


def build_lineage_chain(lake: Lake, training_set: pa.Table) -> None:
    """bronze (a landed file) → silver → feature table → training set, each commit naming its inputs."""
    landed = [{"path": "/landing/claims/claims_00001.csv", "content_hash": "ab" * 32, "rows": 2}]
    tiny = pa.table({"claim_id": ["C1", "C2"]})
    lake.write_arrow("dev.bronze.claims", tiny, mode="overwrite", commit_metadata={FILES_KEY: json.dumps(landed)})
    lake.write_arrow("dev.silver.claims", tiny, mode="overwrite", inputs={"dev.bronze.claims": 0})
    lake.write_arrow(FEATURES, training_set.select(["member_token", "member_claims_90d"]), mode="overwrite", inputs={"dev.silver.claims": 0})
    lake.write_arrow(TRAINING_SET, training_set.slice(0, 10), mode="overwrite", inputs={FEATURES: 0})  # v0: a stale build
    lake.write_arrow(TRAINING_SET, training_set, mode="overwrite", inputs={FEATURES: 0, "dev.silver.claims": 0})  # v1


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Train once through the Dagster asset, then once more on the same data with the plain function."""
    home = tmp_path_factory.mktemp("training")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LAKEGATE_HOME", str(home))
        mp.setenv("LAKEGATE_ENV", "local")
        mp.setenv("LAKEGATE_PRINCIPAL", "alice@insurer.example")
        for name in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
            mp.delenv(name, raising=False)
        lake = Lake(home / "lake")
        build_lineage_chain(lake, synthetic_training_set())
        result = dg.materialize(
            [build_model_asset(CLAIMS_TRIAGE)],
            resources={"lake": LakeResource(platform=Platform()), "platform": Platform(), "mlflow": MlflowRegistry(platform=Platform())},
            instance=dg.DagsterInstance.ephemeral(),
        )
        registry = Registry.from_env()
        again = train_and_register(lake, registry, CLAIMS_TRIAGE, "dev", MlflowRegistry(platform=Platform()).experiment_name("claims_triage"))
        yield {"home": home, "result": result, "again": again, "registry": registry, "env": dict(os.environ)}


def materialization(trained):
    assert trained["result"].success
    [event] = trained["result"].get_asset_materialization_events()
    return event.event_specific_data.materialization


def test_the_asset_reports_run_model_metrics_and_training_set(trained):
    meta = {k: v.value for k, v in materialization(trained).metadata.items()}
    assert meta["mlflow/model_uri"] == f"models:/{MODEL}/1" and meta["mlflow/version"] == 1
    assert meta["mlflow/alias"] == "challenger"
    assert meta["mlflow/run_url"] == f"http://127.0.0.1:5000/#/experiments/1/runs/{meta['mlflow/run_id']}"
    assert meta["training_set/table"] == TRAINING_SET and meta["training_set/version"] == 1
    assert meta["rows/train"] + meta["rows/validation"] + meta["rows/test"] == 2500
    assert meta["test/roc_auc"] > 0.7  # the signal is learnable
    assert meta["duration_seconds"] > 0


def test_training_leaves_no_mlflow_uri_in_the_environment(trained):
    # mlflow.set_tracking_uri writes MLFLOW_TRACKING_URI; left there it would override LAKEGATE_HOME later.
    assert "MLFLOW_TRACKING_URI" not in trained["env"] and "MLFLOW_REGISTRY_URI" not in trained["env"]
    assert trained["registry"].tracking_uri == f"sqlite:///{trained['home'] / 'mlflow' / 'mlflow.db'}"
    assert (trained["home"] / "mlflow" / "artifacts" / "claims_triage").is_dir()
    assert not (Path.cwd() / "mlruns").exists() and not (Path.cwd() / "mlartifacts").exists()


def test_the_run_has_every_metric_param_tag_and_artifact(trained):
    registry = trained["registry"]
    run = registry.run(materialization(trained).metadata["mlflow/run_id"].value)
    assert set(REQUIRED_METRICS) <= set(run.data.metrics)
    assert run.data.params["seed"] == "42" and run.data.params["model_max_iter"] == "300"
    assert run.data.params["input_columns"].split(",") == list(model_input_columns(CLAIMS_TRIAGE))
    tags = run.data.tags
    assert set(REQUIRED_TAGS) <= set(tags)
    assert tags[Tags.PRINCIPAL] == "alice@insurer.example"
    assert tags[Tags.DAGSTER_RUN_ID] == trained["result"].run_id
    assert tags[Tags.TRAINING_SET_TABLE] == TRAINING_SET and tags[Tags.TRAINING_SET_VERSION] == "1"
    assert tags[Tags.REQUIREMENTS_LOCK_SHA256] == hashlib.sha256((REPO / "requirements.lock").read_bytes()).hexdigest()
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True)
    assert tags[Tags.GIT_COMMIT] == (head.stdout.strip() if head.returncode == 0 else "unknown")
    local = Path(registry.client.download_artifacts(run.info.run_id, "", str(trained["home"] / "downloaded")))
    for name in ARTIFACTS:
        assert (local / name).is_file(), name
    for image in local.glob("evaluation/*.png"):
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    card = (local / "model_card.md").read_text()
    for needle in ("## Intended use", "team:claims-ml", f"`{TRAINING_SET}` @ Delta version 1", f"`{FEATURES}` @ v0",
                   "## Threshold policy", "## Metrics", "## Limitations"):
        assert needle in card


def test_the_run_logs_the_held_out_reference_profile_the_monitor_reads(trained):
    registry = trained["registry"]
    references = reference_profiles(registry, MODEL, ["1", "2"])
    assert set(references) == {"1", "2"}
    profile = references["1"]
    rows = materialization(trained).metadata["rows/test"].value
    assert profile.num_rows == rows  # the held-out (test) split, not the training rows
    kinds = input_kinds(synthetic_training_set().schema, CLAIMS_TRIAGE)
    expected = {name for name, kind in kinds.items() if kind != "datetime"} | {"score"}
    assert set(profile.columns) == expected
    assert profile.columns["score"].count == rows and profile.columns["channel"].kind == "categorical"
    assert references["1"].to_json() == references["2"].to_json()  # same data, same reference, byte for byte


def test_the_dataset_input_names_the_training_set_and_its_version(trained):
    run = trained["registry"].run(materialization(trained).metadata["mlflow/run_id"].value)
    [dataset] = run.inputs.dataset_inputs
    source = json.loads(dataset.dataset.source)
    assert dataset.dataset.name == TRAINING_SET and dataset.dataset.source_type == "delta_table"
    assert source["delta_table_name"] == TRAINING_SET and source["delta_table_version"] == 1
    assert {t.key: t.value for t in dataset.tags}["mlflow.data.context"] == "training"


def test_registered_under_the_three_level_name_with_challenger_only(trained):
    registry = trained["registry"]
    assert [int(v.version) for v in registry.versions(MODEL)] == [1, 2]
    assert registry.aliases(MODEL) == {"challenger": 2}  # the retrain moved it; champion is untouched
    assert registry.alias_version(MODEL, "champion") is None
    first = registry.model_version(MODEL, 1)
    assert first.tags[Tags.MLFLOW_RUN_ID] == first.run_id == materialization(trained).metadata["mlflow/run_id"].value
    assert first.tags[Tags.TRAINING_SET_VERSION] == "1"


def test_retraining_on_the_same_data_gives_identical_metrics(trained):
    registry = trained["registry"]
    first = registry.run(materialization(trained).metadata["mlflow/run_id"].value).data.metrics
    second = registry.run(trained["again"].logged.run_id).data.metrics
    assert first == second
    assert trained["again"].logged.metrics == {k: v for k, v in second.items() if k in trained["again"].logged.metrics}


LOADER = textwrap.dedent("""
    import json, sys, importlib.util
    # Hide the repository: the editable install's finder and any path inside the checkout.
    sys.meta_path = [f for f in sys.meta_path if "editable" not in getattr(f, "__module__", "") + repr(f)]
    sys.path = [p for p in sys.path if not p.startswith(sys.argv[2]) or "site-packages" in p]
    assert importlib.util.find_spec("ml_assets") is None and importlib.util.find_spec("lakegate") is None
    import mlflow
    import pandas as pd
    model = mlflow.pyfunc.load_model(sys.argv[1])
    example = model.input_example
    raw = model.get_raw_model()
    print(json.dumps({
        "columns": model.metadata.signature.inputs.input_names(),
        "labels": [int(v) for v in model.predict(example)],
        "probabilities": [float(v) for v in raw.predict_proba(example)[:, 1]],
        "threshold": float(raw.threshold),
        "repo_imported": any(m.split(".")[0] in ("ml_assets", "lakegate") for m in sys.modules),
    }))
""")


def test_the_logged_model_loads_and_predicts_outside_the_repository(trained, tmp_path):
    (tmp_path / "load.py").write_text(LOADER)
    env = {**trained["env"], "MLFLOW_TRACKING_URI": trained["registry"].tracking_uri, "OMP_NUM_THREADS": "1"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run([sys.executable, "load.py", f"models:/{MODEL}@challenger", str(REPO)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["columns"] == list(model_input_columns(CLAIMS_TRIAGE)) and not out["repo_imported"]
    again = trained["again"]
    expected = again.trained.model.predict_proba(again.trained.input_example)[:, 1]
    assert np.allclose(out["probabilities"], expected)
    assert out["labels"] == [int(p >= out["threshold"]) for p in out["probabilities"]]
    assert out["threshold"] == pytest.approx(again.trained.threshold.threshold)


def test_model_lineage_resolves_to_the_landed_files(trained):
    env = {**trained["env"]}
    done = subprocess.run([LAKEGATE, "model", "lineage", MODEL, "1", "--json"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    chain = json.loads(done.stdout)
    assert chain["model"]["name"] == MODEL and chain["run"]["principal"] == "alice@insurer.example"
    assert chain["datasets"][0]["table"] == TRAINING_SET and chain["datasets"][0]["version"] == 1
    ts = chain["training_set"]
    assert (ts["table"], ts["version"]) == (TRAINING_SET, 1)
    features = next(n for n in ts["inputs"] if n["table"] == FEATURES)
    silver = features["inputs"][0]
    assert (silver["table"], silver["inputs"][0]["table"]) == ("dev.silver.claims", "dev.bronze.claims")
    assert silver["inputs"][0]["files"][0]["path"] == "/landing/claims/claims_00001.csv"


def run_cli(capsys, monkeypatch, trained, *args):
    monkeypatch.setenv("LAKEGATE_HOME", str(trained["home"]))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return invoke_cli(capsys, monkeypatch, *args)


def test_model_lineage_prints_the_chain(trained, capsys, monkeypatch):
    code, out, _ = run_cli(capsys, monkeypatch, trained, "model", "lineage", MODEL, "challenger")
    assert code in (0, None)
    for needle in (f"{MODEL} v2", "MLflow run", "alice@insurer.example", f"{TRAINING_SET} @ v1", f"{FEATURES} @ v0",
                   "dev.bronze.claims @ v0", "file /landing/claims/claims_00001.csv"):
        assert needle in out, out


def test_model_lineage_without_a_version_shows_the_latest(trained, capsys, monkeypatch):
    code, out, _ = run_cli(capsys, monkeypatch, trained, "model", "lineage", MODEL)
    assert code in (0, None) and f"{MODEL} v2" in out


@pytest.mark.parametrize(
    "args,message",
    [
        ((MODEL, "99"), "has no version 99 (versions: 1, 2)"),
        ((MODEL, "champion"), "has no alias 'champion'"),
        (("dev.claims.nope", "1"), "is not registered"),
        (("claims.triage_model", "1"), "must be catalog.schema.model"),
    ],
)
def test_bad_name_or_version_exits_2_with_one_clear_line(trained, capsys, monkeypatch, args, message):
    code, _, err = run_cli(capsys, monkeypatch, trained, "model", "lineage", *args)
    assert code == 2
    assert message in err and "Traceback" not in err
