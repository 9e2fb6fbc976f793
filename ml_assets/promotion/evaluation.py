"""The evidence the automated gates judge, gathered from the lake and the registry for a use case.

The held-out set is the test part (newest events) of the training-set version the candidate was
trained on, so candidate and champion are compared on exactly the same rows. The slices the bias
gate judges (the spec's `slices`) come with it: from the training set, or looked up in silver.
"""

from __future__ import annotations

import pandas as pd

from gates.candidate import EvaluationSet
from lakegate.lake import Lake
from lakegate.registry import Registry, RegistryError, Tags
from ml_assets.spec import UseCase
from ml_assets.training.columns import event_times, labels, to_model_input
from ml_assets.training.run import read_training_set
from ml_assets.training.split import time_split


def load_sklearn(registry: Registry, name: str, version: str):
    import mlflow

    with registry.activate():
        return mlflow.sklearn.load_model(f"models:/{name}/{version}")


def slice_columns(lake: Lake, catalog: str, use_case: UseCase, rows: pd.DataFrame) -> pd.DataFrame:
    """One column per slice of the spec, aligned with `rows` (the held-out training-set rows);
    values the lookup cannot find are "unknown"."""
    out = pd.DataFrame(index=range(len(rows)))
    for s in use_case.slices:
        if s.table is None:
            values = rows[s.column]
        else:
            table = lake.read_arrow(f"{catalog}.{s.table}", columns=[s.key, s.column]).to_pandas()
            values = pd.DataFrame({s.key: rows[s.key].to_numpy()}).merge(table.drop_duplicates(s.key), on=s.key,
                                                                          how="left")[s.column]
        out[s.name] = pd.Series(values.to_numpy()).fillna("unknown").astype(str).to_numpy()
    return out


def quarantine_shares(lake: Lake, catalog: str, tables: list[str]) -> dict[str, float]:
    """Per silver table ("silver.claims"): the share of its bronze rows that silver quarantined."""
    shares = {}
    for table in tables:
        name = table.split(".", 1)[1]
        bronze = lake.read_arrow(f"{catalog}.bronze.{name}", columns=["_row_number"]).num_rows
        quarantined = lake.read_arrow(f"{catalog}.quarantine.{name}", columns=["_row_number"]).num_rows
        shares[table] = quarantined / bronze if bronze else 0.0
    return shares


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
    needed = {s.key or s.column for s in use_case.slices}
    evaluation = EvaluationSet(
        model=name,
        version=str(mv.version),
        training_set=(ref.table, ref.version),
        y_true=labels(test).to_numpy(),
        candidate_scores=candidate_scores,
        candidate_flags=(candidate_scores >= threshold).astype(int),
        threshold=threshold,
        event_times=event_times(test),
        sensitive=slice_columns(lake, catalog, use_case, test.select(sorted(needed)).to_pandas()),
    )
    if champion_name is not None:
        try:
            champion = registry.model_version(champion_name, "champion")
        except RegistryError:
            return evaluation  # no champion yet: the performance gate judges the absolute threshold only
        evaluation.champion = f"{champion_name} v{champion.version}"
        evaluation.champion_scores = load_sklearn(registry, champion_name, champion.version).predict_proba(x)[:, 1]
    return evaluation
