"""Request-time machine features: used in training and at serving time, inside the model.

The plant's system asks for a prediction with the machine's latest reading (temperature,
vibration, pressure, run hours) and its plant; the online store adds the machine's 7-day means, and
the reading is compared with them here. These run inside the model's own pipeline (a
scikit-learn FunctionTransformer), so the code that trained the model is the code that serves it,
as for the insurer's claims (request.py). The logic is a numpy core,
`machine_request_feature_columns` (column → 1-D array in, feature → array out), and
`machine_request_features` is the pandas face the pipeline calls; the core travels with it as
`columns_function` for the fast scorer. The module imports only numpy and pandas, so a model that
pickles it by value carries all it needs.

Readings are numbers or numeric text (read as pandas.to_numeric reads them); unreadable values are
missing. The plant is trimmed and lower-cased, blank or missing is "unknown". The request rules
(RequestField in ml_assets/usecases.py) refuse negative readings and unknown plants before this runs.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

READINGS = ("temperature_c", "vibration_mm_s", "pressure_bar", "run_hours")
REQUEST_COLUMNS = ("plant", *READINGS)
# Looked-up features the request features compare the reading with (ml_assets/features/machine_failure_views.py).
CONTEXT_COLUMNS = ("temperature_mean_7d", "vibration_mean_7d")
REQUEST_FEATURES = ("plant", *READINGS, "temperature_above_7d", "vibration_vs_7d")


def _column(values: Any) -> np.ndarray:
    array = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
    if array.ndim != 1:
        raise ValueError(f"expected a 1-D column, got shape {array.shape}")
    return array


def _numbers(values: Any) -> np.ndarray:
    array = _column(values)
    if array.dtype.kind in "fiub":
        return array.astype(np.float64)
    return np.asarray(pd.to_numeric(array, errors="coerce"), dtype=np.float64)


def _plant(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "unknown"
    return str(value).strip().lower() or "unknown"


def machine_request_feature_columns(columns: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Raw request columns and the looked-up context → model feature columns, as 1-D numpy arrays:
    other columns (looked-up features, the context too) first, in their order, then REQUEST_FEATURES.

    The reading against the machine's own last 7 days is what a spike looks like: degrees above its
    7-day mean temperature, and vibration as a multiple of its 7-day mean (missing without history).
    """
    missing = [name for name in (*REQUEST_COLUMNS, *CONTEXT_COLUMNS) if name not in columns]
    if missing:
        raise KeyError(f"missing request column(s): {', '.join(missing)}")
    out = {name: _column(values) for name, values in columns.items() if name not in REQUEST_COLUMNS}
    plants = _column(columns["plant"]).tolist()
    out["plant"] = np.array([_plant(p) for p in plants], dtype=object)
    for name in READINGS:
        out[name] = _numbers(columns[name])
    out["temperature_above_7d"] = out["temperature_c"] - _numbers(columns["temperature_mean_7d"])
    mean_vibration = _numbers(columns["vibration_mean_7d"])
    with np.errstate(divide="ignore", invalid="ignore"):
        out["vibration_vs_7d"] = np.where(mean_vibration > 0, out["vibration_mm_s"] / mean_vibration, np.nan)
    lengths = {len(values) for values in out.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns differ in length: {sorted(lengths)}")
    return out


def machine_request_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Raw request fields → model features; other columns (looked-up features) pass through unchanged."""
    features = machine_request_feature_columns({name: frame[name].to_numpy() for name in frame.columns})
    return pd.DataFrame(features, index=frame.index)


# Pickled with the function (cloudpickle keeps a function's __dict__), so a logged model carries its core.
machine_request_features.columns_function = machine_request_feature_columns
