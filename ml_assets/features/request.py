"""Request-time claim features: one pandas function, used in training and at serving time.

It runs inside the model's own pipeline (a scikit-learn FunctionTransformer), so the logged model
takes the raw claim fields a caller sends and computes these itself: the code that trained the
model is, by construction, the code that serves it.
"""

from __future__ import annotations

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


def procedure_group(codes: pd.Series) -> pd.Series:
    text = codes.astype("string").str.strip()
    numeric = pd.to_numeric(text.where(text.str.fullmatch(r"\d{5}", na=False)), errors="coerce")
    groups = pd.Series("unknown", index=codes.index, dtype="object")
    for low, high, name in _PROCEDURE_RANGES:
        groups[(numeric >= low) & (numeric <= high)] = name
    return groups


def diagnosis_group(codes: pd.Series) -> pd.Series:
    """The ICD-10 chapter letter, or 'unknown'."""
    text = codes.astype("string").str.strip().str.upper()
    letter = text.str[0]
    valid = text.str.match(r"^[A-Z][0-9]", na=False)
    return letter.where(valid, "unknown").astype("object")


def claim_request_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Raw claim fields → model features; other columns (looked-up features) pass through."""
    out = frame.drop(columns=[c for c in REQUEST_COLUMNS if c in frame.columns])
    amount = pd.to_numeric(frame["amount"], errors="coerce").astype("float64")
    service = pd.to_datetime(frame["service_date"], errors="coerce")
    submission = pd.to_datetime(frame["submission_date"], errors="coerce")
    out["amount"] = amount
    out["log_amount"] = np.log1p(amount.clip(lower=0))
    out["procedure_group"] = procedure_group(frame["procedure_code"])
    out["diagnosis_group"] = diagnosis_group(frame["diagnosis_code"])
    out["days_to_submit"] = (submission - service).dt.days.astype("float64")
    channel = frame["channel"].astype("string").str.strip().str.lower()
    out["channel"] = channel.mask(channel == "").fillna("unknown").astype("object")  # blank = missing
    return out
