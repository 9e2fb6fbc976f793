"""The request rules a use case declares (ml_assets/spec.py RequestField), checked before scoring."""

import pytest

from ml_assets.features.request_rules import describe, field_problem, identifier_problem, request_problems
from ml_assets.spec import RequestField
from ml_assets.usecases import CLAIMS_TRIAGE

AMOUNT = RequestField("amount", "number", minimum=0.0, below=10_000_000.0)
CHANNEL = RequestField("channel", "text", required=False, known_values=("edi", "portal", "paper"))
DATE = RequestField("service_date", "date")


@pytest.mark.parametrize("value", [0, 0.0, 19.14, "12.5", " 7 ", 9_999_999.99])
def test_amounts_that_are_numbers_at_least_zero_pass(value):
    assert field_problem(AMOUNT, value) is None


@pytest.mark.parametrize("value,problem", [
    (-0.01, "must be at least 0"), (10_000_000, "must be below 1e+07"), (True, "not a boolean"),
    ({"v": 1}, "not an object"), ([1, 2], "not a list"), ("a lot", "must be a number"),
    ("nan", "must be a finite number"), (None, "is required"), (float("nan"), "is required"),
])
def test_amounts_that_break_the_rule_say_why(value, problem):
    assert problem in field_problem(AMOUNT, value)


def test_channels_are_known_values_trimmed_and_lower_cased_and_may_be_missing():
    assert [field_problem(CHANNEL, v) for v in (" EDI ", "portal", None)] == [None, None, None]
    assert field_problem(CHANNEL, "fax") == "must be one of edi, portal, paper"
    assert field_problem(CHANNEL, ["edi"]) == "must be a single text value, not a list"


def test_dates_are_iso_8601():
    assert [field_problem(DATE, v) for v in ("2025-02-13", "2025-02-13T10:00:00+00:00")] == [None, None]
    assert all("ISO 8601" in field_problem(DATE, v) for v in ("13/02/2025", "2025-13-01", 20250213))


def test_identifiers_are_single_values():
    assert [identifier_problem(v) for v in ("M1", 7, None)] == [None, None, None]
    assert identifier_problem(["M1"]) == "must be a single identifier (text), not a list"
    assert identifier_problem(False) == "must be a single identifier (text), not a boolean"


def test_problems_name_field_and_row_never_the_value_and_are_capped():
    columns = {"amount": [-1.0] * 8, "member_id": ["M00001950", ["M00001950"]]}
    problems = request_problems(columns, CLAIMS_TRIAGE.entity_rows.request_fields, ("member_id",))
    assert problems[0] == "amount (row 1) must be at least 0" and "member_id (row 2)" in problems[-1]
    message = describe(problems)
    assert "M00001950" not in message and message.endswith("more")


def test_the_claims_use_case_declares_rules_for_every_request_column():
    rows = CLAIMS_TRIAGE.entity_rows
    assert rows.request_columns == ("amount", "procedure_code", "diagnosis_code", "service_date",
                                    "submission_date", "channel")
    assert {f.name: f.minimum for f in rows.request_fields}["amount"] == 0.0
