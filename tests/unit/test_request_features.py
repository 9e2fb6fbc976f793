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


# the numpy core (claim_request_feature_columns): what the fast scorer calls, inside the model

from ml_assets.features.request import claim_request_feature_columns  # noqa: E402


def claim_columns(**overrides) -> dict:
    """The two claims of `claims()`, as plain lists (a JSON request's columns)."""
    return {name: values.tolist() for name, values in claims(**overrides).items()}


def test_the_core_takes_lists_and_gives_arrays_in_the_wrappers_order():
    columns = {"member_claims_90d": [3, None], **claim_columns(), "provider_specialty": ["cardiology", None]}
    out = claim_request_feature_columns(columns)
    assert list(out) == ["member_claims_90d", "provider_specialty", *REQUEST_FEATURES]
    assert all(isinstance(v, np.ndarray) and v.shape == (2,) for v in out.values())
    assert out["amount"].dtype == out["log_amount"].dtype == out["days_to_submit"].dtype == np.float64
    assert out["procedure_group"].dtype == out["channel"].dtype == object
    assert out["procedure_group"].tolist() == ["evaluation_management", "radiology"]
    assert out["days_to_submit"].tolist() == [3.0, 0.0]
    assert out["provider_specialty"].tolist() == ["cardiology", None]  # text stays objects, not numpy strings


def test_the_core_and_the_pandas_wrapper_agree_column_for_column():
    frame = claims(amount=["12.5", None], procedure_code=[" 27447", 99213], diagnosis_code=["j45", None],
                   service_date=[dt.date(2024, 1, 1), None], submission_date=pd.to_datetime(["2024-01-31", "2024-02-01"]),
                   channel=[" EDI ", ""], member_claims_90d=[3.0, np.nan])
    wrapped = claim_request_features(frame)
    core = claim_request_feature_columns({name: frame[name].to_numpy() for name in frame.columns})
    assert list(core) == list(wrapped.columns)
    for name, values in core.items():
        pd.testing.assert_series_equal(pd.Series(values, name=name), wrapped[name], check_exact=True)


def test_a_pickled_by_value_wrapper_carries_its_core():
    import cloudpickle

    from ml_assets.features import request

    cloudpickle.register_pickle_by_value(request)
    try:
        copied = cloudpickle.loads(cloudpickle.dumps(claim_request_features))
    finally:
        cloudpickle.unregister_pickle_by_value(request)
    assert copied.columns_function is not claim_request_feature_columns
    assert copied.columns_function(claim_columns())["diagnosis_group"].tolist() == ["E", "J"]


@pytest.mark.parametrize(
    "service,submission,days",
    [
        ("2024-01-01", "2024-01-04", 3.0),  # ISO dates, as JSON carries them
        (" 2024-01-01 ", "20240104", 3.0),
        ("2024-01-01T18:00:00", "2024-01-02T06:00:00", 0.0),  # half a day: floored
        ("2024-01-02T06:00:00", "2024-01-01T18:00:00", -1.0),
        ("2024-01-01T23:00:00-02:00", "2024-01-03T00:00:00Z", 0.0),  # zones: 23 hours apart in UTC
        (np.datetime64("2024-01-01"), np.datetime64("2024-01-04T12"), 3.0),
        (pd.Timestamp("2024-01-01", tz="Europe/Paris"), dt.datetime(2024, 1, 3), 2.0),
        (dt.date(2024, 1, 1), "2024-01-04", 3.0),
    ],
)
def test_the_core_reads_each_kind_of_date_on_its_own(service, submission, days):
    out = claim_request_feature_columns(claim_columns(service_date=[service, "2024-01-01"], submission_date=[submission, "2024-01-01"]))
    assert out["days_to_submit"].tolist() == [days, 0.0]


@pytest.mark.parametrize("bad", ["2024-13-45", "not a date", "", "01/04/2024", None, np.nan, pd.NaT, 20240104, "3000-01-01"])
def test_unreadable_non_iso_or_out_of_range_dates_give_no_days(bad):
    out = claim_request_feature_columns(claim_columns(service_date=[bad, "2024-01-01"]))
    assert math.isnan(out["days_to_submit"][0]) and out["days_to_submit"][1] == 9.0


def test_datetime64_columns_of_any_unit_are_used_as_they_are():
    service = np.array(["2024-01-01", "NaT"], dtype="datetime64[D]")
    submission = np.array(["2024-01-04T10", "2024-01-02T00"], dtype="datetime64[h]")
    out = claim_request_feature_columns(claim_columns(service_date=service, submission_date=submission))
    assert out["days_to_submit"][0] == 3.0 and math.isnan(out["days_to_submit"][1])


def test_a_row_gets_the_same_features_alone_as_in_a_batch():
    columns = claim_columns(amount=["7", -3.0], service_date=["2024-01-01", "01/02/2024"], channel=[None, "Fax"])
    batch = claim_request_feature_columns(columns)
    for i in range(2):
        alone = claim_request_feature_columns({name: values[i:i + 1] for name, values in columns.items()})
        for name, values in alone.items():
            assert pd.Series(values).equals(pd.Series(batch[name][i:i + 1])), name


def test_amounts_as_text_read_as_pandas_reads_them():
    out = claim_request_feature_columns(claim_columns(amount=[" 1e3 ", "1,000"]))
    assert out["amount"][0] == 1000.0 and math.isnan(out["amount"][1])


def test_the_core_refuses_a_missing_request_column_or_uneven_columns():
    columns = claim_columns()
    with pytest.raises(KeyError, match="channel"):
        claim_request_feature_columns({k: v for k, v in columns.items() if k != "channel"})
    with pytest.raises(ValueError, match="differ in length"):
        claim_request_feature_columns({**columns, "channel": ["edi"]})
