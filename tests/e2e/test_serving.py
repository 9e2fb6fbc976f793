"""The serving runtime end to end, on the demo's champion: `lakegate serve` with two workers, the
online-feature lookup, auth on every route, the traffic split, rollback under load, the inference
table after SIGTERM, and MLflow's Databricks deployment client as a caller."""

from __future__ import annotations

import getpass
import json
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from ml_assets.usecases import USE_CASES
from tests.e2e.conftest import cli_in_process
from tests.serving import ADMIN_TOKEN, INVOKE_TOKEN, serving_env, start_server

pytestmark = pytest.mark.e2e

ENDPOINT = "claims-triage"
MODEL = "prod.claims.triage_model"
INVOKE = f"/serving-endpoints/{ENDPOINT}/invocations"
REQUEST_FIELDS = ["claim_id", "member_id", "provider_id", "amount", "procedure_code", "diagnosis_code",
                  "service_date", "submission_date", "channel"]


def landed_claims(home: Path, n: int) -> list[dict]:
    """Raw claims as the claims system would send them (member_id in clear: the runtime pseudonymizes it)."""
    from ml_assets.features.request_samples import landed_claim_requests

    records = [json.loads(body)["dataframe_records"][0] for body in landed_claim_requests(home / "landing", limit=4 * n)]
    complete = [r for r in records if all(r.get(f) is not None for f in REQUEST_FIELDS)]
    return complete[:n]


def cli(home: Path, *args: str):
    from tests.serving import serving_env as env

    extra = {k: v for k, v in env(home).items() if k.startswith("LAKEGATE_SERVING_")}
    return cli_in_process(home, *args, **extra)


@pytest.fixture(scope="module")
def served(demo):
    home, result = demo
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    # The demo deployed the champion (first deployment: the endpoint created with it at 100 %).
    status = json.loads(cli(home, "endpoint", "status", ENDPOINT, "--json").stdout)
    assert status["config"]["traffic_config"]["routes"] == [{"served_entity_name": "triage_model-1", "traffic_percentage": 100}]
    again = cli(home, "endpoint", "create", ENDPOINT, "--model", MODEL, "--version", "champion")
    assert again.returncode == 2 and "already exists" in again.stderr
    # A second served version (the same artifact registered again) to split traffic with.
    from lakegate.registry import Registry, embedded_store

    uri, artifacts = embedded_store(home)
    registry = Registry(uri, uri, artifacts)
    v1 = registry.model_version(MODEL, "1")
    for number in ("2", "3"):  # registered straight into prod by hand: nobody approved their deployment
        assert str(registry.register(v1.source, MODEL, tags={k: v for k, v in v1.tags.items()}).version) == number
    server = start_server(home, workers=2)
    wait_for_workers(home, 2)
    yield home, server
    server.stop()


def wait_for_workers(home: Path, count: int, generation: int | None = None, timeout: float = 120) -> None:
    from lakegate.serving.worker_status import worker_states

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = worker_states(home)
        if len(states) >= count and all(ENDPOINT in s["endpoints"] and
                                        (generation is None or s["endpoints"][ENDPOINT]["generation"] >= generation)
                                        for s in states):
            return
        time.sleep(0.1)
    raise TimeoutError(f"workers not ready: {worker_states(home)}")


def post_records(server, records: list[dict], token: str = INVOKE_TOKEN) -> requests.Response:
    return server.post(INVOKE, json.dumps({"dataframe_records": records}, default=str).encode(), token=token)


def test_scores_with_features_looked_up_from_the_online_store(served):
    home, server = served
    claims = landed_claims(home, 40)
    response = post_records(server, claims)
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    assert len(predictions) == len(claims) and set(predictions) <= {0, 1}
    assert response.headers["x-lakegate-model-version"] == f"{MODEL}/1"

    # One row at a time gives the same answers (the compiled scorer is row-independent).
    singles = [post_records(server, [c]).json()["predictions"][0] for c in claims[:10]]
    assert singles == predictions[:10]

    # Unknown keys still score (features missing, as in training for new members), bad input is a 400.
    unknown = post_records(server, [{**claims[0], "member_id": "M-NOT-ENROLLED", "provider_id": "P-NONE"}])
    assert unknown.status_code == 200
    missing = post_records(server, [{k: v for k, v in claims[0].items() if k != "member_id"}])
    assert missing.status_code == 400 and missing.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "member_token or member_id" in missing.json()["message"]


def test_every_route_needs_a_token_of_its_own_scope(served):
    _, server = served
    body = json.dumps({"dataframe_records": []}).encode()
    scoring = [("POST", INVOKE), ("POST", "/invocations"), ("GET", "/ping"), ("GET", "/health"),
               ("GET", "/version"), ("GET", "/metrics")]
    admin = [("GET", "/api/2.0/serving-endpoints"), ("GET", f"/api/2.0/serving-endpoints/{ENDPOINT}"),
             ("POST", "/api/2.0/serving-endpoints"), ("PUT", f"/api/2.0/serving-endpoints/{ENDPOINT}/config"),
             ("PUT", f"/api/2.0/serving-endpoints/{ENDPOINT}/traffic"),
             ("POST", f"/api/2.0/serving-endpoints/{ENDPOINT}/rollback"),
             ("DELETE", f"/api/2.0/serving-endpoints/{ENDPOINT}")]
    for method, path in scoring + admin:
        no_token = requests.request(method, server.url + path, data=body, timeout=10)
        assert no_token.status_code == 401, (method, path)
        wrong = requests.request(method, server.url + path, data=body, timeout=10,
                                 headers={"Authorization": "Bearer not-a-real-token-000000000"})
        assert wrong.status_code == 401, (method, path)
    for method, path in scoring:  # the admin token does not grant invoke
        assert requests.request(method, server.url + path, data=body, timeout=10,
                                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).status_code == 403, path
    for method, path in admin:  # nor the invoke token admin
        assert requests.request(method, server.url + path, data=body, timeout=10,
                                headers={"Authorization": f"Bearer {INVOKE_TOKEN}"}).status_code == 403, path
    assert requests.get(server.url + "/ping", headers=server.headers(), timeout=10).status_code == 200
    log = server.log.read_text() + "".join(p.read_text() for p in (server.log.parent / "logs").glob("**/*") if p.is_file())
    assert INVOKE_TOKEN not in log and ADMIN_TOKEN not in log


def sign_deployment(home: Path, version: str, endpoint: str = ENDPOINT) -> None:
    """The release manager approves deploying `version`, under a change ticket the change approver signed."""
    ticket = cli(home, "change", "create", MODEL, version, "--summary", f"deploy v{version}").stdout.split()[1]
    for args in (("change", "approve", ticket, "--as", "cab.chair"),
                 ("approve", MODEL, version, "--role", "release_manager", "--ticket", ticket, "--as", "rel.manager",
                  "--purpose", "deployment", "--endpoint", endpoint)):
        done = cli(home, *args)
        assert done.returncode == 0, done.stderr


def test_an_unapproved_version_gets_no_production_traffic_through_the_cli_or_the_admin_api(served):
    home, server = served
    before = json.loads(cli(home, "endpoint", "status", ENDPOINT, "--json").stdout)["config"]
    created = cli(home, "endpoint", "create", "claims-triage-shadow", "--model", MODEL, "--version", "3", "--reason", "try v3")
    said = " ".join(created.stderr.split())  # rich wraps long lines
    assert created.returncode == 2 and "triage_model-3 (prod.claims.triage_model v3) may not serve prod traffic" in said
    assert "no deployment approval is recorded" in said
    config = {"served_entities": [{"name": "triage_model-1", "entity_name": MODEL, "entity_version": "1"},
                                  {"name": "triage_model-3", "entity_name": MODEL, "entity_version": "3"}],
              "traffic_config": {"routes": [{"served_entity_name": "triage_model-1", "traffic_percentage": 0},
                                            {"served_entity_name": "triage_model-3", "traffic_percentage": 100}]}}
    refused = requests.put(f"{server.url}/api/2.0/serving-endpoints/{ENDPOINT}/config", json=config, timeout=30,
                           headers={**server.headers(ADMIN_TOKEN), "X-Lakegate-Actor": "rel.manager"})
    assert refused.status_code == 403 and refused.json()["error_code"] == "PERMISSION_DENIED", refused.text
    assert "may not serve prod traffic, so nothing is changed" in refused.json()["message"]
    assert json.loads(cli(home, "endpoint", "status", ENDPOINT, "--json").stdout)["config"] == before

    # An emergency: the incident commander signs a break-glass for v3 on the shadow endpoint; it is alerted.
    glass = cli(home, "approve", MODEL, "3", "--role", "incident_commander", "--as", "oc.incident",
                "--purpose", "break_glass", "--endpoint", "claims-triage-shadow")
    assert glass.returncode == 0, glass.stderr
    created = cli(home, "endpoint", "create", "claims-triage-shadow", "--model", MODEL, "--version", "3", "--reason", "INC-7")
    assert created.returncode == 0, created.stderr
    alerts = json.loads(cli(home, "alerts", "list", "--json").stdout)
    assert alerts[-1]["title"] == "break-glass on claims-triage-shadow" and alerts[-1]["severity"] == "ERROR"


def test_traffic_split_follows_the_configured_shares(served):
    home, server = served
    changed = cli(home, "endpoint", "set-traffic", ENDPOINT, "triage_model-1=70", "triage_model-2=30",
                  "--reason", "split test")
    assert changed.returncode != 0 and "no served entity" in changed.stderr  # v2 is not served yet
    sign_deployment(home, "2")
    admin = requests.put(f"{server.url}/api/2.0/serving-endpoints/{ENDPOINT}/config", timeout=30,
                         headers={**server.headers(ADMIN_TOKEN), "X-Lakegate-Actor": "rel.manager"},
                         json={"served_entities": [
                             {"name": "triage_model-1", "entity_name": MODEL, "entity_version": "1"},
                             {"name": "triage_model-2", "entity_name": MODEL, "entity_version": "2"}],
                               "traffic_config": {"routes": [
                                   {"served_model_name": "triage_model-1", "traffic_percentage": 70},
                                   {"served_model_name": "triage_model-2", "traffic_percentage": 30}]},
                               "reason": "serve v2 beside v1"})
    assert admin.status_code == 200, admin.text
    from lakegate.ledger import Ledger

    change = Ledger(home / "audit" / "ledger.jsonl").records(kind="deployment")[-1]
    assert change.actor == "serving-admin (admin token)"  # the authenticated principal, never the header
    wait_for_workers(home, 2, admin.json()["config"]["config_version"])
    claim = landed_claims(home, 1)
    served_by = Counter(post_records(server, claim).headers["x-lakegate-served-entity"] for _ in range(1500))
    share = served_by["triage_model-2"] / 1500
    assert abs(share - 0.30) < 0.05, served_by  # 0.05 is over 4 standard deviations at n=1500

    status = cli(home, "endpoint", "status", ENDPOINT, "--json")
    doc = json.loads(status.stdout)
    assert {r["served_entity_name"]: r["traffic_percentage"] for r in doc["config"]["traffic_config"]["routes"]} == {
        "triage_model-1": 70, "triage_model-2": 30}
    assert all(w["generation"] == doc["lakegate"]["generation"] for w in doc["lakegate"]["workers"])
    # The same status through the server's admin API (`--url`, admin token).
    remote = cli(home, "endpoint", "status", ENDPOINT, "--url", server.url, "--json")
    assert remote.returncode == 0, remote.stderr
    assert json.loads(remote.stdout)["lakegate"]["generation"] == doc["lakegate"]["generation"]
    metrics = requests.get(server.url + "/metrics", headers=server.headers(), timeout=10).text
    assert 'lakegate_serving_requests_total{endpoint="claims-triage",served_entity="triage_model-2",status="200"}' in metrics


def test_rollback_under_load_drops_nothing_and_takes_effect_within_100_ms(served):
    home, server = served
    claim = json.dumps({"dataframe_records": landed_claims(home, 1)}, default=str).encode()
    assert cli(home, "endpoint", "set-traffic", ENDPOINT, "triage_model-1=0", "triage_model-2=100",
               "--reason", "ramp to v2").returncode == 0
    time.sleep(0.2)
    answers: list[tuple[float, int, str]] = []
    stop = threading.Event()

    def client():
        session = requests.Session()
        while not stop.is_set():
            sent = time.monotonic()
            r = session.post(server.url + INVOKE, data=claim, headers={**server.headers(), "Content-Type": "application/json"},
                             timeout=10)
            answers.append((sent, r.status_code, r.headers.get("x-lakegate-served-entity", "")))

    threads = [threading.Thread(target=client) for _ in range(6)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    rolled = cli(home, "endpoint", "rollback", ENDPOINT, "--reason", "canary incident drill")
    done = time.monotonic()
    time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join()
    assert rolled.returncode == 0, rolled.stderr
    assert "triage_model-1': 100" in rolled.stdout
    assert len(answers) > 200 and all(status == 200 for _, status, _ in answers)
    late = [entity for sent, _, entity in answers if sent > done + 0.1]
    assert late and set(late) == {"triage_model-1"}, Counter(late)

    from lakegate.ledger import Ledger

    record = Ledger(home / "audit" / "ledger.jsonl").records(kind="rollback")[-1]
    assert record.actor == getpass.getuser() and record.reason == "canary incident drill"  # who the OS says ran it
    assert record.outcome["to"]["traffic"] == {"triage_model-1": 100, "triage_model-2": 0}


def test_mlflow_deployment_client_calls_the_endpoint(served):
    home, server = served
    import subprocess
    import sys

    script = ("from mlflow.deployments import get_deploy_client; import json, sys; "
              "c = get_deploy_client('databricks'); "
              f"print(json.dumps({{'p': c.predict(endpoint='{ENDPOINT}', inputs={{'dataframe_records': json.loads(sys.argv[1])}}),"
              "}, default=dict))")
    env = {**serving_env(home), "DATABRICKS_HOST": server.url, "DATABRICKS_TOKEN": INVOKE_TOKEN}
    result = subprocess.run([sys.executable, "-c", script, json.dumps(landed_claims(home, 3), default=str)],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(json.loads(result.stdout.strip().splitlines()[-1])["p"]["predictions"]) == 3

    # With the admin token the same client manages the endpoint through the Databricks-shaped admin API.
    manage = ("from mlflow.deployments import get_deploy_client; import json; c = get_deploy_client('databricks'); "
              f"e = c.get_endpoint('{ENDPOINT}'); "
              "print(json.dumps([e['state']['ready'], len(c.list_endpoints()), e['config']['served_entities'][0]['entity_name']]))")
    env["DATABRICKS_TOKEN"] = ADMIN_TOKEN
    managed = subprocess.run([sys.executable, "-c", manage], env=env, capture_output=True, text=True, timeout=120)
    assert managed.returncode == 0, managed.stderr[-2000:]
    # every use case's endpoint, and the shadow endpoint
    assert json.loads(managed.stdout.strip().splitlines()[-1]) == ["READY", len(USE_CASES) + 1, MODEL]


def test_sigterm_flushes_every_answered_request_to_the_inference_table(served):
    home, server = served
    claims = landed_claims(home, 5)
    ids = set()
    for i in range(300):
        r = post_records(server, claims[i % 5: i % 5 + 1])
        assert r.status_code == 200
        ids.add(r.headers["x-request-id"])
    server.stop(signal.SIGTERM)

    from deltalake import DeltaTable

    table = DeltaTable(str(home / "lake" / "dev" / "serving" / "claims_triage_inference_log")).to_pandas()
    assert ids <= set(table["request_id"])  # nothing answered is missing
    assert table["request_id"].is_unique
    row = table[table["request_id"] == next(iter(ids))].iloc[0]
    features = json.loads(row["features"])
    assert "member_id" not in features["columns"] and "member_id" not in row["response"]
    raw_ids = {c["member_id"] for c in claims}
    assert not any(raw in row["features"] for raw in raw_ids)  # no PII in the table
    assert features["columns"][-1] == "provider_specialty" and row["record_keys"][0].startswith("C")
    assert row["scores"] is not None and 0.0 <= row["scores"][0] <= 1.0
