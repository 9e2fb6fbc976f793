"""Training's plain functions on toy data: time split, threshold policy, metrics, model inputs."""

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ml_assets.spec import ThresholdPolicy, TimeSplit
from ml_assets.training.columns import TrainingDataError, check_schema, key_columns, model_input_columns, to_model_input
from ml_assets.training.evaluation import choose_threshold, evaluate
from ml_assets.training.model import build_pipeline, categorical_columns, synthetic_input_example
from ml_assets.training.split import time_split
from ml_assets.usecases import CLAIMS_TRIAGE


def days(*offsets: int) -> pd.Series:
    start = pd.Timestamp("2024-01-01", tz="UTC")
    return pd.Series([start + pd.Timedelta(days=d) for d in offsets])


# time split

def test_split_trains_on_the_oldest_validates_on_the_next_and_tests_on_the_newest():
    times = days(*range(100)).sample(frac=1, random_state=0)  # shuffled input order
    index = time_split(times, TimeSplit(validation_fraction=0.15, test_fraction=0.15))
    assert index.sizes() == {"train": 70, "validation": 15, "test": 15}
    t = times.reset_index(drop=True)
    assert t.iloc[index.train].max() < t.iloc[index.validation].min()
    assert t.iloc[index.validation].max() < t.iloc[index.test].min()
    assert index.validation_start == pd.Timestamp("2024-03-11", tz="UTC")  # day 70
    assert index.test_start == pd.Timestamp("2024-03-26", tz="UTC")  # day 85
    assert sorted(np.concatenate([index.train, index.validation, index.test]).tolist()) == list(range(100))


def test_rows_with_the_same_timestamp_stay_in_one_part():
    times = days(*([0] * 5 + [1] * 5 + [2] * 5 + [3] * 5))  # 20 rows on 4 days
    index = time_split(times, TimeSplit(validation_fraction=0.25, test_fraction=0.25))
    assert index.sizes() == {"train": 10, "validation": 5, "test": 5}
    ties = days(*([0] * 6 + [1] * 2 + [2] * 2))  # the 70% cut falls inside day 1: all of day 1 validates
    index = time_split(ties, TimeSplit(validation_fraction=0.15, test_fraction=0.15))
    assert (index.train.tolist(), index.validation.tolist(), index.test.tolist()) == ([0, 1, 2, 3, 4, 5], [6, 7], [8, 9])


def test_a_split_that_would_leave_a_part_empty_is_an_error():
    with pytest.raises(TrainingDataError, match="left validation empty"):
        time_split(days(*([0] * 8 + [1] * 2)), TimeSplit(validation_fraction=0.1, test_fraction=0.1))
    with pytest.raises(TrainingDataError, match="left train, validation empty"):
        time_split(days(*([5] * 10)), TimeSplit())
    with pytest.raises(ValueError, match="split fractions"):
        time_split(days(*range(10)), TimeSplit(validation_fraction=0.5, test_fraction=0.5))


# threshold policy
# scores 0.1..0.8; positives at 0.3, 0.5, 0.7, 0.8 (4 of 8)
Y = np.array([0, 0, 1, 0, 1, 0, 1, 1])
S = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])


def test_threshold_is_the_highest_that_keeps_recall_at_the_floor():
    choice = choose_threshold(Y, S, ThresholdPolicy(min_recall=0.75))
    assert (choice.threshold, choice.rule) == (0.5, "min_recall")  # flags 0.5..0.8: 3 of 4 positives
    assert choice.recall == 0.75 and choice.precision == 0.75
    full = choose_threshold(Y, S, ThresholdPolicy(min_recall=1.0))
    assert (full.threshold, full.recall, full.precision) == (0.3, 1.0, pytest.approx(4 / 6))


def test_threshold_falls_back_to_max_f1_when_recall_floor_is_unreachable():
    choice = choose_threshold(Y, S, ThresholdPolicy(min_recall=1.01))
    # F1 by threshold: .667 .727 .8 .667 .75 .571 .667 .4: the best is 0.3
    assert (choice.threshold, choice.rule) == (0.3, "max_f1")


def test_threshold_needs_both_classes_in_validation():
    with pytest.raises(TrainingDataError, match="needs both 0 and 1"):
        choose_threshold(np.zeros(5), np.linspace(0, 1, 5), ThresholdPolicy())


# metrics

def test_metrics_on_known_toy_data():
    m = evaluate(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]), threshold=0.4)
    assert m["roc_auc"] == pytest.approx(0.75)
    assert m["pr_auc"] == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)  # average precision
    assert m["brier"] == pytest.approx((0.01 + 0.16 + 0.4225 + 0.04) / 4)
    assert (m["tp"], m["fp"], m["tn"], m["fn"]) == (1, 1, 1, 1)
    assert m["precision"] == 0.5 and m["recall"] == 0.5 and m["f1"] == 0.5
    assert m["base_rate"] == 0.5 and m["flag_rate"] == 0.5 and m["rows"] == 4 and m["positives"] == 2


def test_a_score_equal_to_the_threshold_is_flagged():
    m = evaluate(np.array([0, 1]), np.array([0.2, 0.6]), threshold=0.6)
    assert m["tp"] == 1 and m["fp"] == 0 and m["recall"] == 1.0


# model inputs

def toy_training_rows() -> pa.Table:
    inputs = model_input_columns(CLAIMS_TRIAGE)
    strings = {"procedure_code", "diagnosis_code", "channel", "member_age_band", "provider_specialty"}
    columns = {
        "claim_id": pa.array(["C1", "C2"]), "member_token": pa.array(["m1", "m2"]), "provider_id": pa.array(["P1", "P2"]),
        "event_timestamp": pa.array([dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc)] * 2, pa.timestamp("us", tz="UTC")),
        "label": pa.array([0, 1], pa.int32()),
    }
    for name in inputs:
        if name in ("service_date", "submission_date"):
            columns[name] = pa.array([dt.date(2024, 1, 1), None], pa.date32())
        elif name in strings:
            columns[name] = pa.array(["99213", None])
        elif name.startswith("member_has") or name in ("member_chronic_count", "provider_in_network"):
            columns[name] = pa.array([1, None], pa.int32())
        elif name.endswith(("_90d", "_decided")) and "amount" not in name:
            columns[name] = pa.array([3, None], pa.int64())
        else:
            columns[name] = pa.array([1.5, None], pa.float64())
    return pa.table(columns)


def test_model_inputs_are_request_plus_feature_columns_and_never_keys_or_label():
    inputs = model_input_columns(CLAIMS_TRIAGE)
    assert inputs[:6] == CLAIMS_TRIAGE.entity_rows.request_columns
    assert len(inputs) == 24 and len(set(inputs)) == 24
    assert not set(inputs) & {*key_columns(CLAIMS_TRIAGE), "label"}


def test_key_and_feature_columns_match_the_training_set_builder():
    assert key_columns(CLAIMS_TRIAGE) == ("claim_id", "member_token", "provider_id", "event_timestamp")
    assert model_input_columns(CLAIMS_TRIAGE)[6:9] == ("member_claims_90d", "member_amount_90d", "member_avg_amount_90d")
    assert model_input_columns(CLAIMS_TRIAGE)[-1] == "provider_specialty"


def test_the_training_set_must_match_the_declared_columns():
    table = toy_training_rows()
    check_schema(table.schema, CLAIMS_TRIAGE)
    with pytest.raises(TrainingDataError, match="missing member_has_cancer"):
        check_schema(table.drop_columns(["member_has_cancer"]).schema, CLAIMS_TRIAGE)
    with pytest.raises(TrainingDataError, match="unexpected decided_at"):
        check_schema(table.append_column("decided_at", pa.array([1, 2])).schema, CLAIMS_TRIAGE)


def test_model_input_types_carry_nulls():
    frame = to_model_input(toy_training_rows(), CLAIMS_TRIAGE)
    assert list(frame.columns) == list(model_input_columns(CLAIMS_TRIAGE))
    assert frame["member_claims_90d"].dtype == "float64" and np.isnan(frame["member_claims_90d"][1])
    assert frame["service_date"].dtype == "datetime64[ns]" and pd.isna(frame["service_date"][1])
    assert frame["channel"].tolist() == ["99213", None]


def test_the_pipeline_encodes_text_columns_as_categories():
    frame = to_model_input(toy_training_rows(), CLAIMS_TRIAGE)
    pipeline = build_pipeline(CLAIMS_TRIAGE, frame)
    features = pipeline.named_steps["request_features"].func(frame)
    assert set(categorical_columns(features)) == {"procedure_group", "diagnosis_group", "channel", "member_age_band", "provider_specialty"}
    classifier = pipeline.named_steps["classifier"]
    assert classifier.random_state == 42 and classifier.class_weight is None and classifier.max_iter == 300


def test_the_input_example_is_made_up_and_shows_a_row_without_history():
    frame = to_model_input(toy_training_rows(), CLAIMS_TRIAGE)
    example = synthetic_input_example(frame, ("member_claims_90d",))
    assert list(example.columns) == list(frame.columns) and (example.dtypes == frame.dtypes).all()
    assert example["member_claims_90d"].tolist()[0] == 3.0 and np.isnan(example["member_claims_90d"][1])
