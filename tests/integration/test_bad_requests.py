"""Bad input against a real claims-triage model: each case a 4xx in MLflow's error shape naming the
field, and a property-based fuzz of the request parser (hypothesis) that finds no 500. In-process on
the served model as a worker loads it (compiled scorer, request rules, online store)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakegate.registry import Registry, embedded_store
from lakegate.serving.endpoints import ServedEntity
from lakegate.serving.models import load_served_model
from tests.triage_home import CLAIM, MODEL, build_triage_home, triage_environment

pytestmark = pytest.mark.integration

MAX_ROWS = 50
RAW_ID = CLAIM["member_id"]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from lakegate.cli.serving_app import enricher_factory
    from lakegate.environment import current_environment

    home = tmp_path_factory.mktemp("bad-requests")
    with triage_environment(home):
        version = build_triage_home(home)
        uri, artifacts = embedded_store(home)
        model = load_served_model(ServedEntity(name="triage_model-1", entity_name=MODEL, entity_version=version),
                                  Registry(uri, uri, artifacts), enricher_factory(current_environment(), home))
        assert model.scorer_note == "compiled"
        yield model


def answer(model, body: bytes | dict, content_type: str = "application/json"):
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    return model.answer(body, content_type, MAX_ROWS)


def records(**fields) -> dict:
    return {"dataframe_records": [{**CLAIM, **fields}]}


BAD = {
    "nested_10000_deep": (b'{"dataframe_records": ' + b"[" * 10_000 + b"]" * 10_000 + b"}", "nested too deeply"),
    "list_in_a_scalar_field": (records(amount=[1, 2]), "amount (row 1) must be a single number, not a list"),
    "dict_in_a_numeric_field": (records(amount={"value": 3}), "amount (row 1) must be a single number, not an object"),
    "boolean_in_a_numeric_field": (records(amount=True), "amount (row 1) must be a single number, not a boolean"),
    "negative_amount": (records(amount=-0.01), "amount (row 1) must be at least 0"),
    "amount_as_non_numeric_text": (records(amount="a lot"), "amount (row 1) must be a number"),
    "unknown_channel": (records(channel="fax"), "channel (row 1) must be one of edi, portal, paper"),
    "bad_date": (records(service_date="13/02/2025"), "service_date (row 1) must be an ISO 8601 date"),
    "list_as_member_id": (records(member_id=[RAW_ID]), "member_id (row 1) must be a single identifier"),
    "missing_amount": (records(amount=None), "amount (row 1) is required"),
    "duplicate_columns_in_split": ({"dataframe_split": {"columns": ["amount", "amount"], "data": [[1, 2]]}},
                                   "dataframe_split.columns names a column more than once"),
    "invalid_utf8": (b'{"dataframe_records": [{"member_id": "' + RAW_ID.encode() + b'\xff"}]}', "valid JSON"),
    "too_many_rows": ({"dataframe_records": [CLAIM] * (MAX_ROWS + 1)}, f"at most {MAX_ROWS} per request"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_each_bad_input_is_a_4xx_that_names_the_problem_without_the_value(served, case):
    body, fragment = BAD[case]
    got = answer(served, body)
    error = json.loads(got.body)
    assert got.status == 400 and set(error) >= {"error_code", "message"}, got.body[:500]
    assert fragment in error["message"]
    assert RAW_ID not in got.logged_body and len(got.body) < 10_000  # the table never keeps the input


def test_a_good_claim_still_scores(served):
    got = answer(served, records())
    assert got.status == 200 and json.loads(got.body)["predictions"] in ([0], [1])
    assert RAW_ID not in got.features


def test_a_large_invalid_body_is_answered_briefly(served):
    body = b'{"dataframe_records": [' + b'{"member_id": "M1", "x": \xff},' * 300_000  # 9 MB, not UTF-8
    got = answer(served, body)
    assert got.status == 400 and len(got.body) < 10_000, len(got.body)


scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                           max_leaves=8)
field_values = st.fixed_dictionaries({}, optional={name: json_values | st.just(value) for name, value in CLAIM.items()})
bodies = st.one_of(
    st.builds(lambda rows: {"dataframe_records": rows}, st.lists(field_values, max_size=4)),
    st.builds(lambda cols, rows: {"dataframe_split": {"columns": cols, "data": rows}},
              st.lists(st.sampled_from(list(CLAIM)) | st.text(max_size=5), max_size=10),
              st.lists(st.lists(json_values, max_size=10), max_size=3)),
    st.dictionaries(st.sampled_from(["dataframe_records", "dataframe_split", "instances", "inputs", "params", "x"]),
                    json_values, max_size=3),
    json_values,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_fuzzed_json_bodies_get_no_500(served, body):
    got = answer(served, json.dumps(body).encode())
    assert got.status < 500, (body, got.body[:500])
    assert got.status == 200 or set(json.loads(got.body)) >= {"error_code", "message"}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200), content_type=st.sampled_from(["application/json", "text/csv",
                                                                  "application/json; charset=utf-8", "text/plain"]))
def test_fuzzed_bytes_get_no_500(served, raw, content_type):
    assert answer(served, raw, content_type).status < 500
