"""The held-out evaluation every automated gate judges: one set, scored by candidate and champion.

The set is the test part (newest events) of the training-set version the candidate was trained
on, so candidate and champion are compared on exactly the same rows. Protected attributes come
with it: the member's age band from the training set, sex and region from silver members.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from lakegate.lake import Lake
from lakegate.registry import Registry, RegistryError, Tags
from ml_assets.spec import UseCase
from ml_assets.training.columns import event_times, labels, to_model_input
from ml_assets.training.run import read_training_set
from ml_assets.training.split import time_split

PROTECTED = ("age_band", "sex", "region")


@dataclass
class EvaluationSet:
    model: str
    version: str
    training_set: tuple[str, int]
    y_true: np.ndarray
    candidate_scores: np.ndarray
    candidate_flags: np.ndarray
    threshold: float
    event_times: pd.Series
    sensitive: pd.DataFrame
    champion: str | None = None  # "<name>@champion v<n>", when there is one
    champion_scores: np.ndarray | None = None


def load_sklearn(registry: Registry, name: str, version: str):
    import mlflow

    with registry.activate():
        return mlflow.sklearn.load_model(f"models:/{name}/{version}")


def protected_attributes(lake: Lake, catalog: str, tokens: pd.Series, age_bands: pd.Series) -> pd.DataFrame:
    members = lake.read_arrow(f"{catalog}.silver.members", columns=["member_token", "sex", "region"]).to_pandas()
    joined = pd.DataFrame({"member_token": tokens.to_numpy()}).merge(members, on="member_token", how="left")
    return pd.DataFrame({
        "age_band": age_bands.fillna("unknown").to_numpy(),
        "sex": joined["sex"].fillna("unknown").to_numpy(),
        "region": joined["region"].fillna("unknown").to_numpy(),
    })


def build_evaluation(lake: Lake, registry: Registry, use_case: UseCase, catalog: str, version: str,
                     champion_name: str | None = None) -> EvaluationSet:
    name = use_case.registered_model_name(catalog)
    mv = registry.model_version(name, version)
    tags = mv.tags or {}
    if Tags.TRAINING_SET_VERSION not in tags:
        raise RegistryError(f"{name} v{mv.version} names no training set version: it cannot be evaluated")
    ref, data = read_training_set(lake, use_case, catalog, int(tags[Tags.TRAINING_SET_VERSION]))
    split = time_split(event_times(data), use_case.split)
    test = data.take(split.test)
    x = to_model_input(test, use_case)
    model = load_sklearn(registry, name, mv.version)
    candidate_scores = model.predict_proba(x)[:, 1]
    threshold = float(tags.get(Tags.THRESHOLD, getattr(model, "threshold", 0.5)))
    evaluation = EvaluationSet(
        model=name,
        version=str(mv.version),
        training_set=(ref.table, ref.version),
        y_true=labels(test).to_numpy(),
        candidate_scores=candidate_scores,
        candidate_flags=(candidate_scores >= threshold).astype(int),
        threshold=threshold,
        event_times=event_times(test),
        sensitive=protected_attributes(lake, catalog, pd.Series(test["member_token"].to_pylist()),
                                       pd.Series(test["member_age_band"].to_pylist())),
    )
    if champion_name is not None:
        try:
            champion = registry.model_version(champion_name, "champion")
        except RegistryError:
            return evaluation  # no champion yet: the performance gate judges the absolute threshold only
        evaluation.champion = f"{champion_name} v{champion.version}"
        evaluation.champion_scores = load_sklearn(registry, champion_name, champion.version).predict_proba(x)[:, 1]
    return evaluation
