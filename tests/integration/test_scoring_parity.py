"""Wire parity: the same requests to the real `mlflow models serve` and to Lakegate's `scoring_app`
get the same status codes and the same bodies (parsed JSON, or text for MLflow's plain-text 415s)."""

from __future__ import annotations

import json
import os
import re
import sys
import warnings
from pathlib import Path

import pytest
import requests

from lakegate.serving.process import HOST, ServerProcess, free_port

pytestmark = pytest.mark.integration

TIMEOUT = 10
MODEL_NAME = "dev.tests.parity_model"
ENDPOINT = "parity"
COLUMNS = ["amount", "ratio", "visits"]

SPLIT = {"columns": COLUMNS, "data": [[120.5, 0.2, 3], [10.0, 0.9, 1]]}
RECORDS = [{"amount": 120.5, "ratio": 0.2, "visits": 3}, {"amount": 10.0, "ratio": 0.9, "visits": 1}]
CSV = "amount,ratio,visits\n120.5,0.2,3\n10.0,0.9,1\n"


def _json(obj) -> bytes:
    return json.dumps(obj).encode()


# name -> (content type or None for no header, body)
CASES = {
    "dataframe_split": ("application/json", _json({"dataframe_split": SPLIT})),
    "dataframe_records": ("application/json", _json({"dataframe_records": RECORDS})),
    "instances": ("application/json", _json({"instances": RECORDS})),
    "inputs_records": ("application/json", _json({"inputs": RECORDS})),
    "inputs_columns": ("application/json", _json({"inputs": {c: [r[c] for r in RECORDS] for c in COLUMNS}})),
    "with_params": ("application/json", _json({"dataframe_split": SPLIT, "params": {"threshold": 0.7}})),
    "params_wrong_type": ("application/json", _json({"dataframe_split": SPLIT, "params": {"threshold": "high"}})),
    "charset_utf8": ("application/json; charset=UTF-8", _json({"dataframe_records": RECORDS})),
    "csv": ("text/csv", CSV.encode()),
    "csv_missing_column": ("text/csv", b"amount,ratio\n1.0,0.5\n"),
    "csv_not_utf8": ("text/csv", "amount,ratio,visits\n1.0,0.5,\xe9\n".encode("latin-1")),
    "invalid_json": ("application/json", b'{"dataframe_split": {"columns": ['),
    "json_not_utf8": ("application/json", b'{"inputs": "\xff"}'),
    "json_list": ("application/json", _json(RECORDS)),
    "json_scalar": ("application/json", b"42"),
    "two_input_keys": ("application/json", _json({"dataframe_split": SPLIT, "instances": RECORDS})),
    "no_input_key": ("application/json", _json({"data": RECORDS})),
    "only_params": ("application/json", _json({"params": {"threshold": 0.5}})),
    "wrong_content_type": ("text/plain", b"amount=1"),
    "charset_latin1": ("application/json; charset=latin-1", _json({"dataframe_records": RECORDS})),
    "unknown_content_param": ("application/json; format=pandas-split", _json({"dataframe_records": RECORDS})),
    "missing_column": ("application/json", _json({"dataframe_records": [{"amount": 1.0, "ratio": 0.5}]})),
    "wrong_type": ("application/json", _json({"dataframe_records": [{"amount": 1.0, "ratio": 0.5, "visits": "many"}]})),
    "wrong_type_split": ("application/json", _json({"dataframe_split": {"columns": COLUMNS, "data": [["x", 0.5, 1]]}})),
}


@pytest.fixture(scope="module")
def model_uri(tmp_path_factory):
    import mlflow
    import numpy as np
    import pandas as pd
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression

    store = tmp_path_factory.mktemp("tracking") / "mlruns"  # must not exist: FileStore then creates experiment 0
    previous_uri, previous_allow = mlflow.get_tracking_uri(), os.environ.get("MLFLOW_ALLOW_FILE_STORE")
    previous_env_uri = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # MLflow 3.17 refuses file stores unless told
    mlflow.set_tracking_uri(store.as_uri())
    rng = np.random.default_rng(0)
    X = pd.DataFrame({
        "amount": rng.normal(100, 30, 60), "ratio": rng.random(60),
        "visits": rng.integers(0, 10, 60).astype("int64"),
    })
    y = (X["amount"] > 100).astype(int)
    clf = LogisticRegression().fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the "integer columns" hint
        signature = infer_signature(X, clf.predict(X), params={"threshold": 0.5})
    try:
        with mlflow.start_run():
            info = mlflow.sklearn.log_model(clf, name="model", signature=signature)
        # A local copy: the serving subprocess needs no tracking store.
        local = mlflow.artifacts.download_artifacts(info.model_uri, dst_path=str(tmp_path_factory.mktemp("m")))
    finally:
        mlflow.set_tracking_uri(previous_uri)
        if previous_env_uri is None:  # set_tracking_uri also writes the variable: leave it as found
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        if previous_allow is None:
            os.environ.pop("MLFLOW_ALLOW_FILE_STORE", None)
        else:
            os.environ["MLFLOW_ALLOW_FILE_STORE"] = previous_allow
    return Path(local).as_uri()


@pytest.fixture(scope="module")
def mlflow_url(model_uri, tmp_path_factory):
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
           "MLFLOW_DISABLE_TELEMETRY": "true"}
    port = free_port()
    server = ServerProcess.start(
        [str(Path(bin_dir) / "mlflow"), "models", "serve", "-m", model_uri, "--env-manager", "local",
         "-h", HOST, "-p", str(port)],
        f"http://{HOST}:{port}", tmp_path_factory.mktemp("mlflow-serve") / "serve.log", env=env, ready_timeout=40)
    try:
        yield server.url
    finally:
        server.stop(timeout=10)


@pytest.fixture(scope="module")
def lakegate_server(model_uri, tmp_path_factory):
    """A real `lakegate serve` whose only endpoint serves the same model, registered in its own store."""
    from lakegate.registry import Registry, embedded_store
    from lakegate.serving.control import LocalEndpoints
    from lakegate.serving.endpoints import single_version_config
    from tests.serving import start_server

    home = tmp_path_factory.mktemp("lakegate-home")
    tracking_uri, artifacts = embedded_store(home)
    registry = Registry(tracking_uri, tracking_uri, artifacts)
    version = registry.register(model_uri, MODEL_NAME)
    LocalEndpoints(home, registry=registry).create(ENDPOINT, single_version_config(MODEL_NAME, str(version.version)),
                                                   actor="tests", reason="parity")
    server = start_server(home)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def lakegate_url(lakegate_server):
    return lakegate_server.url


_FORMATS_SET = re.compile(r"\{'(?:dataframe_records|dataframe_split|instances|inputs)'(?:, '\w+'){3}\}")


def _canonical(text: str) -> str:
    """MLflow prints its set of input keys in hash order, which differs from one process to the next."""
    return _FORMATS_SET.sub(lambda m: "{" + ", ".join(sorted(m.group(0)[1:-1].split(", "))) + "}", text)


def _answer(resp: requests.Response):
    media = resp.headers.get("content-type", "").split(";")[0]
    try:
        body = resp.json()
    except ValueError:
        body = resp.text
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        body["message"] = _canonical(body["message"])
    return resp.status_code, media, body


def _post(url: str, content_type: str | None, body: bytes, path: str = "/invocations") -> requests.Response:
    from tests.serving import INVOKE_TOKEN

    headers = {"Authorization": f"Bearer {INVOKE_TOKEN}"}  # MLflow ignores it; Lakegate requires it
    if content_type is not None:
        headers["Content-Type"] = content_type
    return requests.post(f"{url}{path}", data=body, headers=headers, timeout=TIMEOUT)


@pytest.mark.parametrize("path", ["/invocations", f"/serving-endpoints/{ENDPOINT}/invocations"])
@pytest.mark.parametrize("case", list(CASES))
def test_invocations_parity(case, path, mlflow_url, lakegate_url):
    """MLflow's route and Databricks' route on Lakegate answer exactly as `mlflow models serve`."""
    content_type, body = CASES[case]
    expected = _answer(_post(mlflow_url, content_type, body))
    actual = _answer(_post(lakegate_url, content_type, body, path))
    assert actual == expected


def test_answers_name_the_served_version(lakegate_url):
    response = _post(lakegate_url, *CASES["dataframe_split"])
    assert response.headers["x-lakegate-served-entity"] == "parity_model-1"
    assert response.headers["x-lakegate-model-version"] == f"{MODEL_NAME}/1"
    assert len(response.headers["x-request-id"]) == 32


def test_answers_are_what_the_issue_expects(mlflow_url):
    """Pin MLflow's answers themselves, so the parity above is not parity on something unexpected."""
    ok = _answer(_post(mlflow_url, *CASES["dataframe_split"]))
    assert ok[0] == 200 and set(ok[2]) == {"predictions"} and len(ok[2]["predictions"]) == 2
    expected = {
        "invalid_json": ("BAD_REQUEST", "Ensure that input is a valid JSON formatted string"),
        "two_input_keys": ("BAD_REQUEST", "Received dictionary with input fields: ['dataframe_split', 'instances']"),
        "no_input_key": ("BAD_REQUEST", "Received dictionary with input fields: []"),
        "missing_column": ("INVALID_PARAMETER_VALUE", "Model is missing inputs ['visits']"),
        "wrong_type": ("BAD_REQUEST", "Failed to convert column visits to type 'int64'"),
    }
    for case, (code, fragment) in expected.items():
        status, media, err = _answer(_post(mlflow_url, *CASES[case]))
        assert (status, media, err["error_code"]) == (400, "application/json", code), case
        assert fragment in err["message"], case
    for case in ("wrong_content_type", "charset_latin1"):
        status, media, text = _answer(_post(mlflow_url, *CASES[case]))
        assert (status, media) == (415, "text/plain"), case
    assert _answer(_post(mlflow_url, *CASES["charset_latin1"]))[2] == "The scoring server only supports UTF-8"


@pytest.mark.parametrize("path", ["/ping", "/health", "/version", "/nope"])
def test_get_routes_parity(path, mlflow_url, lakegate_url):
    from tests.serving import INVOKE_TOKEN

    expected = requests.get(mlflow_url + path, timeout=TIMEOUT)
    actual = requests.get(lakegate_url + path, headers={"Authorization": f"Bearer {INVOKE_TOKEN}"}, timeout=TIMEOUT)
    assert (actual.status_code, actual.headers.get("content-type"), actual.text) == (
        expected.status_code, expected.headers.get("content-type"), expected.text)


def test_missing_content_type_is_a_deliberate_difference(mlflow_url, lakegate_url):
    """MLflow crashes on a request without Content-Type (500, "Internal Server Error"); we answer 415."""
    assert _post(mlflow_url, None, b"{}").status_code == 500
    status, media, text = _answer(_post(lakegate_url, None, b"{}"))
    assert (status, media) == (415, "text/plain") and "Got 'None'" in text
