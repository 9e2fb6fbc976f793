"""Which training-set columns the model takes, and how they become a pandas model input.

The model input is the use case's request columns (raw, what a caller sends) followed by the
features of its feature views, in declaration order (ml_assets.features.definitions): the serving
runtime looks those features up and sends exactly these columns. The training set must hold
exactly these plus the key and label columns: anything else fails training, so a label-derived
column can never slip into the model unnoticed. The logged model's signature carries the same
list, per model version.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.types as pat

from ml_assets.features.definitions import FEATURE_VIEWS
from ml_assets.spec import UseCase

EVENT_TIMESTAMP = "event_timestamp"
LABEL = "label"


class TrainingDataError(ValueError):
    """The training set cannot train a model as it is (missing columns, empty split, one class)."""


def key_columns(use_case: UseCase) -> tuple[str, ...]:
    """Identify a row and when it happened; never model inputs."""
    return (use_case.entity_rows.key, *use_case.entity_rows.entity_columns, EVENT_TIMESTAMP)


def feature_columns(use_case: UseCase) -> tuple[str, ...]:
    """The looked-up features, view by view as the use case lists its feature views."""
    return tuple(name for view in use_case.feature_views for name in FEATURE_VIEWS[view].feature_names)


def model_input_columns(use_case: UseCase) -> tuple[str, ...]:
    """The columns the model takes, in order: request columns, then feature columns."""
    return tuple(use_case.entity_rows.request_columns) + feature_columns(use_case)


def check_schema(schema: pa.Schema, use_case: UseCase) -> None:
    expected = set(key_columns(use_case)) | {LABEL} | set(model_input_columns(use_case))
    names = set(schema.names)
    missing, extra = sorted(expected - names), sorted(names - expected)
    if missing or extra:
        parts = [f"missing {', '.join(missing)}" if missing else "", f"unexpected {', '.join(extra)}" if extra else ""]
        raise TrainingDataError(
            f"training set for {use_case.name}: {'; '.join(p for p in parts if p)} "
            "(model inputs: the use case's request columns and feature views)"
        )
    for name in model_input_columns(use_case):
        kind = column_kind(schema.field(name).type)
        if kind is None:
            raise TrainingDataError(f"training set column {name} has unsupported type {schema.field(name).type}")


def column_kind(arrow_type: pa.DataType) -> str | None:
    """The MLflow signature type a model-input column has: double, string or datetime."""
    if pat.is_integer(arrow_type) or pat.is_floating(arrow_type) or pat.is_decimal(arrow_type) or pat.is_boolean(arrow_type):
        return "double"  # integers cannot carry nulls in pandas; features are null without history
    if pat.is_string(arrow_type) or pat.is_large_string(arrow_type):
        return "string"
    if pat.is_date(arrow_type) or pat.is_timestamp(arrow_type):
        return "datetime"
    return None


def input_kinds(schema: pa.Schema, use_case: UseCase) -> dict[str, str]:
    return {name: column_kind(schema.field(name).type) for name in model_input_columns(use_case)}


def to_model_input(table: pa.Table, use_case: UseCase) -> pd.DataFrame:
    """Arrow training rows → the pandas frame the model takes (float64, object strings, datetime64[ns])."""
    out = {}
    for name, kind in input_kinds(table.schema, use_case).items():
        column = table.column(name)
        if kind == "double":
            out[name] = column.cast(pa.float64()).to_pandas().astype("float64")
        elif kind == "string":
            out[name] = column.to_pandas().astype("object")  # nulls stay None
        else:
            values = column.to_pandas(date_as_object=False) if pat.is_date(column.type) else column.to_pandas()
            if getattr(values.dtype, "tz", None) is not None:
                values = values.dt.tz_convert("UTC").dt.tz_localize(None)
            out[name] = values.astype("datetime64[ns]")
    return pd.DataFrame(out)


def labels(table: pa.Table) -> pd.Series:
    values = table.column(LABEL).to_pandas()
    if values.isna().any():
        raise TrainingDataError("training set has rows without a label")
    return values.astype("int64")


def event_times(table: pa.Table) -> pd.Series:
    values = table.column(EVENT_TIMESTAMP).to_pandas()
    if values.isna().any():
        raise TrainingDataError("training set has rows without an event_timestamp")
    return pd.to_datetime(values, utc=True)
