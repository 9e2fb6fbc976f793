"""Request-time claim features: used in training and at serving time.

They run inside the model's own pipeline (a scikit-learn FunctionTransformer), so the logged model
takes the raw claim fields a caller sends and computes these itself: the code that trained the
model is, by construction, the code that serves it.

The logic is a numpy core, `claim_request_feature_columns` (a mapping of column → 1-D array in, an
ordered dict of feature → array out), fast for one row and for a million. `claim_request_features`
is the pandas face the pipeline calls. The core travels with the wrapper as its attribute
`columns_function`: the model pickles this module by value, so a fast scorer can call the logged
model's own copy of the core without pandas (lakegate/serving/fast_scorer.py).

Inputs, per value: amounts as numbers or text (text is read as pandas.to_numeric reads it); dates as
datetime64 arrays, pandas Timestamps, datetime/date objects or ISO 8601 text, each read on its own
(pandas.to_datetime guessed one format per column, so a row's answer hung on its neighbours; other
text, such as 01/04/2024, is now missing), time zones converted to UTC; codes and channel as text
or numbers. Unreadable or missing values give missing features. No caches outlive a call:
functools caches pickle by reference, which would tie a logged model to this repository.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

REQUEST_COLUMNS = ("amount", "procedure_code", "diagnosis_code", "service_date", "submission_date", "channel")
REQUEST_FEATURES = ("amount", "log_amount", "procedure_group", "diagnosis_group", "days_to_submit", "channel")

# CPT-style ranges: the kind of service a procedure code is (the same ranges silver uses).
_PROCEDURE_RANGES = (
    (0, 9999, "anesthesia"),
    (10000, 69999, "surgery"),
    (70000, 79999, "radiology"),
    (80000, 89999, "laboratory"),
    (90000, 98999, "medicine"),
    (99000, 99999, "evaluation_management"),
)
_NAT = np.iinfo(np.int64).min  # datetime64's NaT as an integer; one above it is pandas' Timestamp.min
_EPOCH = dt.datetime(1970, 1, 1)


def _array(values: Any) -> np.ndarray:
    """A 1-D array holding values as a pandas column would: text as objects, not fixed-width strings."""
    array = values if isinstance(values, np.ndarray) else np.asarray(values)
    if array.dtype.kind in "US":
        array = np.asarray(values, dtype=object)
    if array.ndim != 1:
        raise ValueError(f"expected a 1-D column, got shape {array.shape}")
    return array


def _text(value: Any) -> str | None:
    """The value as pandas' astype("string") gives it; None when missing."""
    if isinstance(value, str):
        return value
    if value is None or value is pd.NA or value != value:  # value != value: NaN, NaT
        return None
    if isinstance(value, bytes):
        return value.decode()
    return str(value)


def _mapped(function: Callable[[Any], Any], values: Any) -> list:
    """function of each value, computed once per distinct (type, value): columns hold few distinct codes.
    The type is part of the key because 1, 1.0 and True are equal but read as different text."""
    memo: dict = {}
    out = []
    for value in _array(values).tolist():
        try:
            key = (value.__class__, value)
            result = memo.get(key)
            if result is None:
                result = memo[key] = function(value)
        except TypeError:  # unhashable
            result = function(value)
        out.append(result)
    return out


def _objects(items: list) -> np.ndarray:
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array


# one code at a time (the core maps these over distinct values)

def procedure_group_of(code: Any) -> str:
    """The kind of service a five-digit procedure code is, or 'unknown'."""
    text = _text(code)
    if text is not None:
        text = text.strip()
        if len(text) == 5 and text.isascii() and text.isdigit():
            number = int(text)
            for low, high, name in _PROCEDURE_RANGES:
                if low <= number <= high:
                    return name
    return "unknown"


def diagnosis_group_of(code: Any) -> str:
    """The ICD-10 chapter letter (upper case), or 'unknown'."""
    text = _text(code)
    if text is not None:
        text = text.strip().upper()
        if len(text) >= 2 and "A" <= text[0] <= "Z" and "0" <= text[1] <= "9":
            return text[0]
    return "unknown"


def channel_of(value: Any) -> str:
    """Trimmed, lower case; blank or missing is 'unknown'."""
    text = _text(value)
    return (text.strip().lower() if text is not None else "") or "unknown"


def instant_ns(value: Any) -> int:
    """A moment as nanoseconds since 1970 (naive UTC), or NaT's integer when missing, unreadable or
    outside pandas' nanosecond range (as pandas.to_datetime(errors="coerce") would give)."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return _NAT
    if value is pd.NaT:  # a datetime subclass: test it first
        return _NAT
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        stamp = pd.Timestamp(value)
        if stamp is pd.NaT:
            return _NAT
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert(None)
        try:
            return stamp.as_unit("ns")._value
        except (OverflowError, ValueError):  # OutOfBoundsDatetime is a ValueError
            return _NAT
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        delta = value - _EPOCH
        ns = (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000
        return ns if _NAT < ns <= -(_NAT + 1) else _NAT
    if isinstance(value, dt.date):
        return instant_ns(dt.datetime(value.year, value.month, value.day))
    return _NAT  # None, NaN, numbers: not dates


def _instants(values: Any) -> np.ndarray:
    array = _array(values)
    if array.dtype.kind == "M":
        # Years, months and weeks are not whole days; seconds hold any date numpy can (as pandas would).
        return array.astype("datetime64[s]") if np.datetime_data(array.dtype)[0] in ("Y", "M", "W", "generic") else array
    return np.array(_mapped(instant_ns, array), dtype=np.int64).view("datetime64[ns]")


def _days_between(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Whole days from start to end, floored (as pandas' Timedelta.days); NaN when either is missing."""
    delta = end - start
    per_day = int(np.timedelta64(1, "D").astype(delta.dtype).astype(np.int64))
    days = (delta.view(np.int64) // per_day).astype(np.float64)  # integer floor division: no NaT warning
    days[np.isnat(delta)] = np.nan
    return days


def _amounts(values: Any) -> np.ndarray:
    array = _array(values)
    if array.dtype.kind in "fiub":
        return array.astype(np.float64)
    # Text and mixed objects: pandas' own parser, so "1e3", " 12.5 " and "1,000" read as before.
    return np.asarray(pd.to_numeric(array, errors="coerce"), dtype=np.float64)


def claim_request_feature_columns(columns: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Raw claim columns → model feature columns, as 1-D numpy arrays.

    Other columns (looked-up features) pass through first, in their order, then the features in
    REQUEST_FEATURES order: the column order claim_request_features gives.
    """
    missing = [name for name in REQUEST_COLUMNS if name not in columns]
    if missing:
        raise KeyError(f"missing request column(s): {', '.join(missing)}")
    out = {name: _array(values) for name, values in columns.items() if name not in REQUEST_COLUMNS}
    amount = _amounts(columns["amount"])
    out["amount"] = amount
    out["log_amount"] = np.log1p(np.where(amount < 0, 0.0, amount))  # negative amounts kept, their log floored at 0
    out["procedure_group"] = _objects(_mapped(procedure_group_of, columns["procedure_code"]))
    out["diagnosis_group"] = _objects(_mapped(diagnosis_group_of, columns["diagnosis_code"]))
    out["days_to_submit"] = _days_between(_instants(columns["service_date"]), _instants(columns["submission_date"]))
    out["channel"] = _objects(_mapped(channel_of, columns["channel"]))
    lengths = {len(values) for values in out.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns differ in length: {sorted(lengths)}")
    return out


def claim_request_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Raw claim fields → model features; other columns (looked-up features) pass through unchanged."""
    features = claim_request_feature_columns({name: frame[name].to_numpy() for name in REQUEST_COLUMNS})
    out = frame.drop(columns=list(REQUEST_COLUMNS))
    for name, values in features.items():
        out[name] = values
    return out


# Pickled with the function (cloudpickle keeps a function's __dict__), so a logged model carries its core.
claim_request_features.columns_function = claim_request_feature_columns


def procedure_group(codes: pd.Series) -> pd.Series:
    return pd.Series(_objects(_mapped(procedure_group_of, codes.to_numpy())), index=codes.index, dtype="object")


def diagnosis_group(codes: pd.Series) -> pd.Series:
    """The ICD-10 chapter letter, or 'unknown'."""
    return pd.Series(_objects(_mapped(diagnosis_group_of, codes.to_numpy())), index=codes.index, dtype="object")
