"""A real `lakegate serve` (two workers) on a claims-triage model: request bounds (413 before the
body is read, chunked or not), admin bodies that are 400s, the inference table after a normal
stop (every answer, refusals included, and no raw member id in any column), and the traffic gauge
after a split and a rollback."""

from __future__ import annotations

import json
import re
import signal

import pytest
import requests

from lakegate.lake import Lake
from tests.serving import ADMIN_TOKEN, start_server, wait_for_workers
from tests.triage_home import CLAIM, ENDPOINT, MODEL, build_triage_home, triage_environment

pytestmark = pytest.mark.integration

INVOKE = f"/serving-endpoints/{ENDPOINT}/invocations"
ADMIN = f"/api/2.0/serving-endpoints/{ENDPOINT}"
LIMIT = 16 * 1024 * 1024  # the local environment's serving.max_body_bytes (the default)
TABLE = "dev.serving.claims_triage_inference_log"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    home = tmp_path_factory.mktemp("serving-http")
    with triage_environment(home):
        build_triage_home(home)
    server = start_server(home, workers=2)
    wait_for_workers(home, ENDPOINT, 2)
    answered: list[str] = []  # request ids of every answer, as the caller saw them
    yield home, server, answered
    server.stop()


def post(server, answered, body: bytes | dict, **kwargs) -> requests.Response:
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    response = server.post(INVOKE, data, **kwargs)
    answered.append(response.headers["x-request-id"])
    return response


def test_bodies_over_the_limit_get_413_with_or_without_a_content_length(served):
    _, server, answered = served
    big = b'{"dataframe_records": [' + b" " * (LIMIT + 1) + b"]}"
    declared = post(server, answered, big)
    assert declared.status_code == 413 and declared.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert "serving.max_body_bytes" in declared.json()["message"] and len(declared.content) < 1000

    def chunks():  # no Content-Length: the server counts as it reads and stops at the limit
        for _ in range(LIMIT // (1 << 20) + 2):
            yield b" " * (1 << 20)

    chunked = requests.post(server.url + INVOKE, data=chunks(), timeout=30,
                            headers={**server.headers(), "Content-Type": "application/json"})
    answered.append(chunked.headers["x-request-id"])
    assert chunked.status_code == 413
    ok = post(server, answered, {"dataframe_records": [CLAIM]})  # the same server answers the next caller
    assert ok.status_code == 200


@pytest.mark.parametrize("body,fragment", [
    (b'{"reason": "\xff"}', "not UTF-8"),
    (b'{"reason": 42}', '"reason" must be text'),
    (b"[" * 10_000, "nested too deeply"),
    (b'{"served_entities": [], "traffic_config": [{"routes": []}]}', "must be JSON objects"),
    (b'{"shares": {"triage_model-1": true}}', "traffic percentages are integers"),
])
def test_bad_admin_bodies_are_400s(served, body, fragment):
    _, server, _ = served
    path = ADMIN + ("/traffic" if b"shares" in body or b"reason" in body else "/config")
    response = requests.put(server.url + path, data=body, headers=server.headers(ADMIN_TOKEN), timeout=30)
    assert response.status_code == 400, response.text
    assert fragment in response.json()["message"]


def test_the_table_holds_every_answer_and_no_raw_member_id_after_a_normal_stop(served):
    home, server, answered = served
    statuses = [post(server, answered, {"dataframe_records": [{**CLAIM, "claim_id": f"C{i}"}]}).status_code
                for i in range(50)]
    statuses.append(post(server, answered, {"dataframe_records": [{**CLAIM, "amount": -5}]}).status_code)
    statuses.append(post(server, answered, b'{"dataframe_records": [{"member_id": "M00001950" \xff').status_code)
    statuses.append(post(server, answered, {"dataframe_records": [CLAIM]}, token="wrong-token-000000000").status_code)
    assert statuses[:50] == [200] * 50 and statuses[50:] == [400, 400, 401]
    not_allowed = requests.get(server.url + INVOKE, headers=server.headers(), timeout=10)
    answered.append(not_allowed.headers["x-request-id"])
    assert not_allowed.status_code == 405

    log = server.stop(signal.SIGTERM)
    assert "rows written at shutdown" in log
    table = Lake(home / "lake").read_arrow(TABLE)
    ids = table["request_id"].to_pylist()
    assert sorted(ids) == sorted(answered)  # each answer once: 200s, 400s, 401, 405 and 413s
    assert {413, 401, 405, 400, 200} <= set(table["status_code"].to_pylist())
    for column in table.column_names:
        text = json.dumps(table[column].to_pylist(), default=str)
        assert CLAIM["member_id"] not in text, column


def test_the_traffic_gauge_is_right_after_a_split_and_a_rollback(tmp_path):
    from lakegate.registry import Registry, embedded_store
    from lakegate.serving.control import LocalEndpoints
    from lakegate.serving.endpoints import parse_config

    home = tmp_path / "gauge-home"
    with triage_environment(home):
        version = build_triage_home(home)
        uri, artifacts = embedded_store(home)
        registry = Registry(uri, uri, artifacts)
        first = registry.model_version(MODEL, version)
        second = str(registry.register(first.source, MODEL, tags=dict(first.tags)).version)
        endpoints = LocalEndpoints(home, registry=registry)
    server = start_server(home, workers=2)
    try:
        wait_for_workers(home, ENDPOINT, 2)
        names = [f"triage_model-{version}", f"triage_model-{second}"]
        endpoints.update_config(ENDPOINT, parse_config({
            "served_entities": [{"name": n, "entity_name": MODEL, "entity_version": v} for n, v in zip(names, (version, second))],
            "traffic_config": {"routes": [{"served_entity_name": n, "traffic_percentage": 50} for n in names]}}),
            actor="tests", reason="split")
        assert wait_for_gauge(server, {names[0]: 50, names[1]: 50})
        endpoints.set_traffic(ENDPOINT, {names[0]: 0, names[1]: 100}, actor="tests", reason="ramp")
        endpoints.rollback(ENDPOINT, actor="tests", reason="rollback")
        assert wait_for_gauge(server, {names[0]: 100, names[1]: 0})
    finally:
        server.stop()


def wait_for_gauge(server, expected: dict[str, int], timeout: float = 30) -> bool:
    import time

    deadline = time.monotonic() + timeout
    pattern = re.compile(r'lakegate_serving_traffic_percentage\{endpoint="claims-triage",served_entity="([^"]+)"\} (\S+)')
    while time.monotonic() < deadline:
        text = requests.get(server.url + "/metrics", headers=server.headers(), timeout=10).text
        if {name: int(float(value)) for name, value in pattern.findall(text)} == expected:
            return True
        time.sleep(0.1)
    raise AssertionError(f"traffic gauge never became {expected}: {pattern.findall(text)}")
