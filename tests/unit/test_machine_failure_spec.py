"""The machine-failure use case as declared: its spec fits its lakehouse tables and feature views,
its request rules, and its request-time features (the same code in training and serving)."""

import numpy as np
import pandas as pd
import pytest

from lakehouse_assets.derived.tables import DERIVED_TABLES
from ml_assets.features.definitions import FEATURE_VIEWS
from ml_assets.features.machine_request import (
    CONTEXT_COLUMNS, REQUEST_COLUMNS, REQUEST_FEATURES, machine_request_feature_columns, machine_request_features,
)
from ml_assets.features.request_functions import REQUEST_FEATURE_FUNCTIONS, module_of, request_feature_function
from ml_assets.features.request_rules import field_problem
from ml_assets.usecases import MACHINE_FAILURE, USE_CASES


def contract(table: str) -> dict:
    return {c.name: c for c in DERIVED_TABLES[table.split(".", 1)[1]].columns}


def test_the_spec_names_what_the_lakehouse_builds():
    rows, label = MACHINE_FAILURE.entity_rows, MACHINE_FAILURE.label
    points, labels = contract(rows.table), contract(label.table)
    assert {rows.key, rows.event_timestamp, *rows.entity_columns, *rows.request_columns} <= set(points)
    assert not any(points[c].nullable for c in (rows.key, rows.event_timestamp, *rows.entity_columns))
    assert {label.key, label.column, label.available_at} <= set(labels) and labels[label.column].one_of == (0, 1)
    assert MACHINE_FAILURE.registered_model_name("prod") == "prod.maintenance.failure_model"
    assert USE_CASES["machine_failure"] is MACHINE_FAILURE and [s.name for s in MACHINE_FAILURE.slices] == ["plant"]


def test_feature_views_exist_key_on_the_machine_and_do_not_shadow_request_fields():
    views = [FEATURE_VIEWS[name] for name in MACHINE_FAILURE.feature_views]
    assert {v.entity for v in views} == {"machine_id"}
    names = [f for v in views for f in v.feature_names]
    assert len(names) == len(set(names)) and not set(names) & set(MACHINE_FAILURE.entity_rows.request_columns)
    assert set(CONTEXT_COLUMNS) <= set(names)  # what the request features compare the reading with
    assert set(MACHINE_FAILURE.entity_rows.request_columns) == set(REQUEST_COLUMNS)


@pytest.mark.parametrize("field,value,problem", [
    ("plant", "Bremen ", None), ("plant", "atlantis", "must be one of aurora, bremen, monterrey, pune"),
    ("temperature_c", 71.5, None), ("temperature_c", -60, "must be at least -50"), ("temperature_c", 300, "must be below 300"),
    ("vibration_mm_s", "-0.1", "must be at least 0"), ("pressure_bar", None, "is required"), ("run_hours", True, "must be a single number, not a boolean"),
])
def test_request_rules(field, value, problem):
    rule = next(f for f in MACHINE_FAILURE.entity_rows.request_fields if f.name == field)
    assert field_problem(rule, value) == problem


def request(**overrides) -> pd.DataFrame:
    row = {"machine_id": "MC00001", "plant": " Bremen", "temperature_c": 80.0, "vibration_mm_s": "3.5",
           "pressure_bar": 7.9, "run_hours": 84000.5, "temperature_mean_7d": 78.0, "vibration_mean_7d": 2.5,
           "model_type": "air_compressor"}
    return pd.DataFrame([{**row, **overrides}])


def test_request_features_compare_the_reading_with_its_week():
    out = machine_request_features(request())
    assert list(out.columns) == ["machine_id", "temperature_mean_7d", "vibration_mean_7d", "model_type", *REQUEST_FEATURES]
    row = out.iloc[0]
    assert row["plant"] == "bremen" and row["vibration_mm_s"] == 3.5
    assert row["temperature_above_7d"] == pytest.approx(2.0) and row["vibration_vs_7d"] == pytest.approx(1.4)


def test_missing_history_and_unreadable_values_are_missing_features():
    rows = [request(vibration_mean_7d=np.nan, temperature_mean_7d=np.nan).iloc[0], request(temperature_c="hot", plant="  ").iloc[0]]
    out = machine_request_features(pd.DataFrame(rows))
    assert np.isnan(out["vibration_vs_7d"].iloc[0]) and np.isnan(out["temperature_above_7d"].iloc[0])
    assert np.isnan(out["temperature_c"].iloc[1]) and out["plant"].iloc[1] == "unknown"
    with pytest.raises(KeyError, match="vibration_mean_7d"):
        machine_request_feature_columns({c: [1.0] for c in REQUEST_COLUMNS})


def test_the_numpy_core_and_the_pandas_face_agree():
    frame = pd.concat([request(), request(vibration_mm_s=9.0, plant="pune")], ignore_index=True)
    core = machine_request_features.columns_function({c: frame[c].to_numpy() for c in frame.columns})
    pd.testing.assert_frame_equal(machine_request_features(frame), pd.DataFrame(core))


def test_every_spec_names_a_registered_request_function():
    for use_case in USE_CASES.values():
        function = request_feature_function(use_case.request_features)
        assert REQUEST_FEATURE_FUNCTIONS[function.__name__] is function
    assert module_of(machine_request_features).__name__ == "ml_assets.features.machine_request"
    with pytest.raises(ValueError, match="no request feature function 'nope'"):
        request_feature_function("nope")
