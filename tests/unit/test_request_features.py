"""The request-time claim features (ml_assets/features/request.py): the code inside the served model.

These are the feature logic's own unit tests; the promotion's unit-test gate runs this file in a
fresh process and records its JUnit XML as evidence (gates/unit_tests.py).
"""

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from ml_assets.features.request import (
    REQUEST_COLUMNS,
    REQUEST_FEATURES,
    claim_request_features,
    diagnosis_group,
    procedure_group,
)


def claims(**overrides) -> pd.DataFrame:
    """Two well-formed claims, with any column replaced."""
    base = {
        "amount": [120.0, 80.0],
        "procedure_code": ["99213", "71046"],
        "diagnosis_code": ["E11.9", "J45"],
        "service_date": ["2024-01-01", "2024-01-10"],
        "submission_date": ["2024-01-04", "2024-01-10"],
        "channel": ["edi", "portal"],
    }
    base.update(overrides)
    return pd.DataFrame(base)


# procedure groups (CPT-style ranges)

@pytest.mark.parametrize(
    "code,group",
    [
        ("00100", "anesthesia"), ("09999", "anesthesia"),
        ("10000", "surgery"), ("27447", "surgery"), ("69999", "surgery"),
        ("70000", "radiology"), ("79999", "radiology"),
        ("80000", "laboratory"), ("89999", "laboratory"),
        ("90000", "medicine"), ("98999", "medicine"),
        ("99000", "evaluation_management"), ("99213", "evaluation_management"), ("99999", "evaluation_management"),
    ],
)
def test_each_procedure_range_including_its_bounds_has_its_group(code, group):
    assert procedure_group(pd.Series([code])).tolist() == [group]


@pytest.mark.parametrize("code", ["1234", "123456", "A1234", "9921A", "12.34", "", "  ", None, np.nan])
def test_malformed_or_missing_procedure_codes_are_unknown(code):
    assert procedure_group(pd.Series([code], dtype="object")).tolist() == ["unknown"]


def test_procedure_codes_are_trimmed_and_may_arrive_as_numbers():
    assert procedure_group(pd.Series([" 99213 ", 99213, 100], dtype="object")).tolist() == [
        "evaluation_management", "evaluation_management", "unknown"]  # 100 is not a five-digit code


def test_procedure_groups_keep_the_index_and_are_text():
    out = procedure_group(pd.Series(["70010", "bad"], index=[7, 3]))
    assert out.index.tolist() == [7, 3] and out.dtype == object


# diagnosis groups (ICD-10 chapter letter)

@pytest.mark.parametrize(
    "code,group",
    [("E11.9", "E"), ("I10", "I"), ("i10", "I"), (" J45 ", "J"), ("z99.89", "Z"), ("M5416", "M")],
)
def test_diagnosis_group_is_the_upper_case_chapter_letter(code, group):
    assert diagnosis_group(pd.Series([code])).tolist() == [group]


@pytest.mark.parametrize("code", ["123", "EE1", "E", "", "9E1", None, np.nan])
def test_malformed_or_missing_diagnosis_codes_are_unknown(code):
    assert diagnosis_group(pd.Series([code], dtype="object")).tolist() == ["unknown"]


# days_to_submit

def test_days_to_submit_is_submission_minus_service_in_days():
    out = claim_request_features(claims(
        service_date=["2024-02-28", "2024-01-10"], submission_date=["2024-03-01", "2024-01-10"]))
    assert out["days_to_submit"].tolist() == [2.0, 0.0]  # 2024 is a leap year
    assert out["days_to_submit"].dtype == np.float64


def test_days_to_submit_accepts_dates_and_timestamps():
    out = claim_request_features(claims(
        service_date=[dt.date(2024, 1, 1), dt.date(2024, 1, 10)],
        submission_date=pd.to_datetime(["2024-01-31", "2024-01-11"]),
    ))
    assert out["days_to_submit"].tolist() == [30.0, 1.0]


def test_a_submission_before_the_service_is_kept_as_negative_days():
    out = claim_request_features(claims(service_date=["2024-01-05", "2024-01-10"], submission_date=["2024-01-02", "2024-01-10"]))
    assert out["days_to_submit"].tolist() == [-3.0, 0.0]


def test_unreadable_or_missing_dates_give_no_days_to_submit():
    out = claim_request_features(claims(service_date=["not a date", None], submission_date=["2024-01-04", "2024-01-10"]))
    assert out["days_to_submit"].isna().all()
    out = claim_request_features(claims(submission_date=["2024-01-10", "2024-13-45"]))  # no month 13
    assert out["days_to_submit"].iloc[0] == 9.0 and math.isnan(out["days_to_submit"].iloc[1])


# amount and log_amount

def test_amount_is_numeric_and_log_amount_is_log1p():
    out = claim_request_features(claims(amount=["12.5", 1000]))
    assert out["amount"].tolist() == [12.5, 1000.0] and out["amount"].dtype == np.float64
    assert out["log_amount"].tolist() == pytest.approx([math.log1p(12.5), math.log1p(1000.0)])


def test_unreadable_or_missing_amounts_are_missing_not_zero():
    out = claim_request_features(claims(amount=["abc", None]))
    assert out["amount"].isna().all() and out["log_amount"].isna().all()


def test_negative_amounts_are_kept_but_their_log_is_floored_at_zero():
    out = claim_request_features(claims(amount=[-5.0, 0.0]))
    assert out["amount"].tolist() == [-5.0, 0.0]
    assert out["log_amount"].tolist() == [0.0, 0.0]


# channel

def test_channel_is_trimmed_and_lower_cased_and_missing_is_unknown():
    out = claim_request_features(claims(channel=[" EDI ", None]))
    assert out["channel"].tolist() == ["edi", "unknown"]
    out = claim_request_features(claims(channel=["Portal", "PAPER"]))
    assert out["channel"].tolist() == ["portal", "paper"]
    assert claim_request_features(claims(channel=["  ", ""]))["channel"].tolist() == ["unknown", "unknown"]
    assert out["channel"].dtype == object


def test_an_unseen_channel_passes_through_for_the_encoder_to_handle():
    assert claim_request_features(claims(channel=["fax", "edi"]))["channel"].tolist() == ["fax", "edi"]


# the frame as a whole

def test_request_columns_become_the_features_and_other_columns_pass_through_unchanged():
    frame = claims(member_claims_90d=[3, 0], provider_specialty=["cardiology", None])
    frame.index = [10, 11]
    before = frame.copy()
    out = claim_request_features(frame)
    assert list(out.columns) == ["member_claims_90d", "provider_specialty", *REQUEST_FEATURES]
    assert out.index.tolist() == [10, 11]
    assert out["member_claims_90d"].tolist() == [3, 0]
    assert out["provider_specialty"].tolist() == ["cardiology", None]
    assert out["procedure_group"].tolist() == ["evaluation_management", "radiology"]
    assert out["diagnosis_group"].tolist() == ["E", "J"]
    pd.testing.assert_frame_equal(frame, before)  # the caller's frame is not modified


def test_a_frame_without_a_request_column_is_refused():
    frame = claims().drop(columns=["amount"])
    with pytest.raises(KeyError, match="amount"):
        claim_request_features(frame)


def test_request_and_feature_column_lists_agree_with_the_function():
    out = claim_request_features(claims())
    assert set(REQUEST_FEATURES) == set(out.columns)
    assert set(REQUEST_COLUMNS) - set(REQUEST_FEATURES) == {"procedure_code", "diagnosis_code", "service_date", "submission_date"}
