"""The model: request-time features → categorical encoding → gradient boosting, with its threshold.

One scikit-learn object takes the raw model-input columns (a pandas DataFrame): the request
feature function runs inside it, so the code that trained the model is the code that serves it.
`predict_proba` gives the review probability; `predict` flags at the operating threshold chosen on
validation (sklearn's FixedThresholdClassifier around the fitted pipeline).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import FixedThresholdClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OrdinalEncoder

from ml_assets.features import request_functions
from ml_assets.spec import ModelSpec, UseCase

# HistGradientBoosting treats a categorical feature's codes as bins: at most max_bins (255) values.
MAX_CATEGORIES = 250


def request_feature_function(use_case: UseCase):
    """The use case's request-time feature function, by the name its spec gives."""
    try:
        return request_functions.request_feature_function(use_case.request_features)
    except ValueError as exc:
        raise ValueError(f"{use_case.name}: {exc}") from None


def categorical_columns(transformed: pd.DataFrame) -> list[str]:
    """Columns the request transform leaves as text: encoded as categories, the rest are numbers."""
    return [c for c in transformed.columns if not pd.api.types.is_numeric_dtype(transformed[c])]


def build_pipeline(use_case: UseCase, sample: pd.DataFrame) -> Pipeline:
    """The unfitted pipeline for `use_case`; `sample` (raw model input) fixes which columns are categorical."""
    features = request_feature_function(use_case)
    transformed = features(sample.head(50))
    categorical = categorical_columns(transformed)
    numeric = [c for c in transformed.columns if c not in categorical]
    encode = ColumnTransformer(
        [
            (
                "categorical",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value",
                    unknown_value=np.nan,
                    encoded_missing_value=np.nan,
                    max_categories=MAX_CATEGORIES,
                    dtype=np.float64,
                ),
                categorical,
            ),
            ("numeric", "passthrough", numeric),
        ],
        remainder="drop",
        verbose_feature_names_out=False,
    )
    return Pipeline(
        [
            ("request_features", FunctionTransformer(features)),
            ("encode", encode),
            ("classifier", classifier(use_case.model, n_categorical=len(categorical))),
        ]
    )


def classifier(spec: ModelSpec, n_categorical: int) -> HistGradientBoostingClassifier:
    if spec.estimator != "hist_gradient_boosting":
        raise ValueError(f"unsupported estimator {spec.estimator!r}")
    # Class imbalance is handled at the decision threshold (chosen on validation by the spec's
    # policy), not by reweighting, which would distort the probabilities the calibration gate judges.
    return HistGradientBoostingClassifier(
        categorical_features=list(range(n_categorical)) or None,
        random_state=spec.seed,
        **spec.params,
    )


def fit(use_case: UseCase, x_train: pd.DataFrame, y_train: pd.Series) -> Pipeline:
    pipeline = build_pipeline(use_case, x_train)
    return pipeline.fit(x_train, np.asarray(y_train))


def with_threshold(pipeline: Pipeline, threshold: float) -> FixedThresholdClassifier:
    """The served model: probabilities from the pipeline, flags at the chosen threshold."""
    return FixedThresholdClassifier(pipeline, threshold=threshold, response_method="predict_proba")


def scores(model, frame: pd.DataFrame) -> np.ndarray:
    """Probability of the positive class (needs review)."""
    return model.predict_proba(frame)[:, 1]


def synthetic_input_example(frame: pd.DataFrame, history_columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """Two made-up rows for the logged model's input example (no real claim leaves the lake):
    a typical claim (medians, most common values) and the same claim with no history features."""
    typical = {}
    for name in frame.columns:
        column = frame[name].dropna()
        if pd.api.types.is_datetime64_any_dtype(frame[name]):
            typical[name] = column.sort_values().iloc[len(column) // 2] if len(column) else pd.NaT
        elif pd.api.types.is_numeric_dtype(frame[name]):
            typical[name] = float(column.median()) if len(column) else np.nan
        else:
            typical[name] = column.value_counts().sort_index().idxmax() if len(column) else None
    no_history = {**typical, **{name: None for name in history_columns}}
    return pd.DataFrame([typical, no_history], columns=list(frame.columns)).astype(frame.dtypes.to_dict())
