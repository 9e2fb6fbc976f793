"""Train one use case's model on a training-set table: split, fit, threshold, evaluate. No MLflow here.

Deterministic: rows are put in a fixed order (event time, then key) before anything else, and every
random choice is seeded from the use case's ModelSpec.seed, so the same data gives the same model
and the same metrics.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
from sklearn.model_selection import FixedThresholdClassifier
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from lakegate.monitoring.profile import Profile
from ml_assets.spec import UseCase
from ml_assets.training import columns as cols
from ml_assets.training.evaluation import ThresholdChoice, choose_threshold, evaluate, require_both_classes
from ml_assets.training.model import fit, scores, synthetic_input_example, with_threshold
from ml_assets.training.plots import feature_importance
from ml_assets.training.reference import held_out_reference
from ml_assets.training.split import PARTS, SplitIndex, time_split

EVALUATED = ("validation", "test")


@dataclass
class TrainedModel:
    use_case: UseCase
    model: FixedThresholdClassifier  # what gets logged: predict_proba, and predict at the threshold
    pipeline: Pipeline
    threshold: ThresholdChoice
    metrics: dict[str, dict[str, float]]  # validation/test → metrics
    split: SplitIndex
    importance: pd.DataFrame
    curves: dict[str, tuple[np.ndarray, np.ndarray]]  # validation/test → (labels, scores)
    input_kinds: dict[str, str]  # model-input column → double | string | datetime
    input_example: pd.DataFrame
    train_base_rate: float
    reference: Profile  # the held-out rows as the monitor sees them served (reference.py)
    seconds: dict[str, float]

    @property
    def input_columns(self) -> tuple[str, ...]:
        return tuple(self.input_kinds)

    def row_counts(self) -> dict[str, int]:
        return self.split.sizes()


def train(table: pa.Table, use_case: UseCase, threads: int = 1) -> TrainedModel:
    """Fit, choose the threshold on validation, evaluate on validation and test.

    `threads` caps OpenMP threads (HistGradientBoosting): measured on a shared 2-core machine, two
    spinning OpenMP threads made fitting 10 to 18 times slower than one. Results do not depend on it.
    """
    with threadpool_limits(limits=threads, user_api="openmp"):
        return _train(table, use_case)


def _train(table: pa.Table, use_case: UseCase) -> TrainedModel:
    started = time.perf_counter()
    cols.check_schema(table.schema, use_case)
    table = table.sort_by([(cols.EVENT_TIMESTAMP, "ascending"), (use_case.entity_rows.key, "ascending")])
    x = cols.to_model_input(table, use_case)
    y = cols.labels(table).to_numpy()
    index = time_split(cols.event_times(table), use_case.split)
    parts = {name: (x.iloc[index.part(name)].reset_index(drop=True), y[index.part(name)]) for name in PARTS}
    for name in PARTS:
        require_both_classes(parts[name][1], name)
    prepared = time.perf_counter()

    pipeline = fit(use_case, *parts["train"])
    fitted = time.perf_counter()

    curves = {name: (parts[name][1], scores(pipeline, parts[name][0])) for name in EVALUATED}
    choice = choose_threshold(*curves["validation"], use_case.threshold)
    metrics = {name: evaluate(labels_, s, choice.threshold) for name, (labels_, s) in curves.items()}
    evaluated = time.perf_counter()

    importance = feature_importance(pipeline, *parts["validation"], seed=use_case.model.seed)
    history = cols.feature_columns(use_case)
    return TrainedModel(
        use_case=use_case,
        model=with_threshold(pipeline, choice.threshold),
        pipeline=pipeline,
        threshold=choice,
        metrics=metrics,
        split=index,
        importance=importance,
        curves=curves,
        input_kinds=cols.input_kinds(table.schema, use_case),
        input_example=synthetic_input_example(parts["train"][0], history),
        train_base_rate=float(parts["train"][1].mean()),
        reference=held_out_reference(parts["test"][0], cols.input_kinds(table.schema, use_case), curves["test"][1]),
        seconds={
            "prepare": prepared - started,
            "fit": fitted - prepared,
            "evaluate": evaluated - fitted,
            "importance": time.perf_counter() - evaluated,
        },
    )
