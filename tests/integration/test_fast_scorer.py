"""The fast scorer (lakegate/serving/fast_scorer.py) against the model it compiles: a real model,
trained with the project's code, logged to MLflow as training logs it and loaded back, so the
scorer runs the feature core pickled by value inside the model."""

from __future__ import annotations

import asyncio
import copy
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from lakegate.registry import Registry
from lakegate.serving.batching import ScoreBatcher
from lakegate.serving.fast_scorer import ROUTED_MAX_ROWS, UnsupportedModel, compile_scorer
from ml_assets.features import request
from ml_assets.training import tracking
from ml_assets.training.columns import to_model_input
from ml_assets.training.model import build_pipeline, with_threshold
from ml_assets.training.train import train
from ml_assets.usecases import CLAIMS_TRIAGE
from tests.integration.test_training_mlflow import synthetic_training_set

pytestmark = pytest.mark.integration


def with_missing_text(table: pa.Table, seed: int) -> pa.Table:
    """Nulls in two looked-up text features: None becomes a category of the fitted encoder."""
    rng = np.random.default_rng(seed)
    for name, rate in (("provider_specialty", 0.1), ("member_age_band", 0.05)):
        values = [None if r < rate else v for v, r in zip(table.column(name).to_pylist(), rng.random(len(table)))]
        table = table.set_column(table.schema.get_field_index(name), name, pa.array(values, pa.string()))
    return table


@pytest.fixture(scope="module")
def trained():
    return train(with_missing_text(synthetic_training_set(rows=2500, seed=11), seed=1), CLAIMS_TRIAGE)


@pytest.fixture(scope="module")
def logged(trained, tmp_path_factory):
    """Logged by tracking._log_model (the training run's own logging), loaded with mlflow.sklearn."""
    import mlflow

    home = tmp_path_factory.mktemp("fast-scorer")
    with pytest.MonkeyPatch.context() as mp:
        for name in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
            mp.delenv(name, raising=False)
        registry = Registry.from_env(home=home)
        with registry.activate():
            with mlflow.start_run(experiment_id=registry.experiment_id("fast-scorer")):
                info = tracking._log_model(trained)
            model = mlflow.sklearn.load_model(info.model_uri)
            example = mlflow.pyfunc.load_model(info.model_uri).input_example
    return {"model": model, "example": example}


@pytest.fixture(scope="module")
def scorer(logged):
    return compile_scorer(logged["model"], probe=logged["example"])


def varied_rows() -> pd.DataFrame:
    """2,000 fresh claims, then 600 edge cases: unknown and missing categories, missing numbers,
    negative, zero and huge amounts, missing dates and submissions before the service."""
    frame = to_model_input(with_missing_text(synthetic_training_set(rows=2000, seed=99), seed=2), CLAIMS_TRIAGE)
    rng = np.random.default_rng(5)
    edges = frame.sample(600, random_state=3).reset_index(drop=True)
    choose = lambda options: [options[i] for i in rng.integers(0, len(options), len(edges))]  # noqa: E731
    edges["procedure_code"] = choose(["99213", " 27447 ", "XX001", "1234", "", None, "00000", "99999"])
    edges["diagnosis_code"] = choose(["e11.9", "Q99", "9E1", "", None, " j45 ", "Z"])
    edges["channel"] = choose([" EDI ", "Portal", "", "  ", None, "carrier-pigeon", "fax"])
    edges["provider_specialty"] = choose(["cardiology", "oncology", "unseen-specialty", None, np.nan])
    edges["member_age_band"] = choose(["18-34", "65+", "100+", None])
    edges["amount"] = choose([-50.0, 0.0, 1e9, np.nan, 12.5, 250.0, -0.0])
    edges.loc[rng.random(len(edges)) < 0.2, "member_prior_review_rate"] = np.nan
    shift = pd.to_timedelta(rng.integers(-90, 90, len(edges)), unit="D")
    edges["service_date"] = (edges["submission_date"] + shift).where(rng.random(len(edges)) > 0.1)
    edges.loc[rng.random(len(edges)) < 0.1, "submission_date"] = pd.NaT
    return pd.concat([frame, edges], ignore_index=True)


def arrays(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    return {name: frame[name].to_numpy() for name in frame.columns}


def json_columns(frame: pd.DataFrame) -> dict[str, list]:
    """Columns as a JSON request carries them: ISO date strings, null for missing."""
    records = json.loads(frame.to_json(orient="records", date_format="iso"))
    return {name: [record[name] for record in records] for name in frame.columns}


def assert_same(scorer, model, frame: pd.DataFrame, columns) -> None:
    got = scorer.predict_proba(columns)
    expected = model.predict_proba(frame)[:, 1]
    assert np.max(np.abs(got - expected)) <= 1e-9
    np.testing.assert_array_equal(scorer.predict(columns), model.predict(frame))


def test_the_loaded_model_carries_its_own_copy_of_the_feature_core(logged):
    func = logged["model"].estimator.named_steps["request_features"].func
    assert func is not request.claim_request_features and func.__globals__ is not vars(request)  # pickled by value
    assert func.columns_function.__globals__ is func.__globals__


def test_probabilities_and_flags_equal_the_model_on_varied_rows(scorer, logged):
    frame = varied_rows()
    assert len(frame) >= 2000
    assert None in dict(scorer.categorical)["provider_specialty"]  # None is a fitted category; NaN is unknown
    assert_same(scorer, logged["model"], frame, arrays(frame))


def test_small_batches_take_the_routed_path_and_agree(scorer, logged):
    frame = varied_rows().sample(400, random_state=8).reset_index(drop=True)
    expected = logged["model"].predict_proba(frame)[:, 1]
    columns = arrays(frame)
    one_by_one = np.concatenate([scorer.predict_proba({k: v[i:i + 1] for k, v in columns.items()}) for i in range(len(frame))])
    size = ROUTED_MAX_ROWS - 1
    batched = np.concatenate([scorer.predict_proba({k: v[i:i + size] for k, v in columns.items()})
                              for i in range(0, len(frame), size)])
    assert np.max(np.abs(one_by_one - expected)) <= 1e-9 and np.max(np.abs(batched - expected)) <= 1e-9


def test_requests_scored_together_get_the_bits_they_get_alone(scorer):
    """The serving worker joins the requests of one loop turn into one call (lakegate/serving/batching.py):
    each request's probabilities must be the very same floats as when it is scored by itself."""
    columns = json_columns(varied_rows().sample(300, random_state=6))
    requests = [{k: v[i:i + 1] for k, v in columns.items()} for i in range(300)]
    alone = [scorer.predict_proba(r) for r in requests]
    calls = []
    batcher = ScoreBatcher(lambda c: calls.append(len(c["amount"])) or scorer.predict_proba(c), scorer.batch_rows)

    async def together():
        return await asyncio.gather(*(batcher.score(r) for r in requests))

    joined = asyncio.run(together())
    assert [a.tobytes() for a in joined] == [a.tobytes() for a in alone]
    assert max(calls) > 1 and len(calls) < len(requests) / 4  # they were joined


def test_json_style_columns_agree_with_the_model_on_the_same_values(scorer, logged):
    columns = json_columns(varied_rows().sample(300, random_state=4))
    assert isinstance(columns["service_date"][0], str)
    assert_same(scorer, logged["model"], pd.DataFrame(columns), columns)


def test_a_single_json_row_scores_like_the_model(scorer, logged):
    columns = json_columns(varied_rows().head(1))
    assert_same(scorer, logged["model"], pd.DataFrame(columns), columns)
    assert scorer.predict_proba(columns).shape == (1,)


def test_flags_are_probability_at_or_above_the_threshold(scorer, logged):
    frame = varied_rows()
    p = scorer.predict_proba(arrays(frame))
    assert scorer.threshold == logged["model"].threshold
    np.testing.assert_array_equal(scorer.predict(arrays(frame)), (p >= scorer.threshold).astype(int))


def test_input_columns_are_what_the_pipeline_consumes(scorer, logged):
    assert scorer.input_columns == tuple(logged["model"].estimator.named_steps["request_features"].feature_names_in_)
    columns = arrays(varied_rows().head(3))
    del columns["amount"]
    with pytest.raises(KeyError, match="amount"):
        scorer.predict_proba(columns)


def test_the_pandas_wrapper_and_the_core_agree(logged):
    func = logged["model"].estimator.named_steps["request_features"].func
    frame = varied_rows()
    wrapped = func(frame)
    core = func.columns_function(arrays(frame))
    assert list(core) == list(wrapped.columns)
    for name, values in core.items():
        assert values.dtype == wrapped[name].to_numpy().dtype, name
        pd.testing.assert_series_equal(pd.Series(values, name=name), wrapped[name].reset_index(drop=True), check_exact=True)


def test_it_compiles_without_a_probe_and_refuses_a_probe_without_the_inputs(logged):
    frame = varied_rows().head(50)
    assert_same(compile_scorer(logged["model"]), logged["model"], frame, arrays(frame))
    with pytest.raises(UnsupportedModel, match="unusable probe"):
        compile_scorer(logged["model"], probe=frame[["amount"]])


# unsupported models

def test_a_plain_logistic_regression_pipeline_is_unsupported():
    frame = to_model_input(synthetic_training_set(rows=300, seed=3), CLAIMS_TRIAGE)[["amount", "member_claims_90d"]].fillna(0)
    model = make_pipeline(FunctionTransformer(), LogisticRegression()).fit(frame, np.arange(len(frame)) % 2)
    with pytest.raises(UnsupportedModel, match="FixedThresholdClassifier"):
        compile_scorer(model)


def older_features(frame: pd.DataFrame) -> pd.DataFrame:
    return request.claim_request_features(frame)  # a function without columns_function, as models before it


def test_a_model_whose_feature_function_has_no_core_is_unsupported(logged):
    model = copy.deepcopy(logged["model"])
    model.estimator.named_steps["request_features"].func = older_features
    with pytest.raises(UnsupportedModel, match="columns_function"):
        compile_scorer(model)


def test_a_core_that_disagrees_with_the_model_fails_verification(logged):
    def doubled_amounts(columns):
        out = request.claim_request_feature_columns(columns)
        out["amount"] = out["amount"] * 2
        return out

    def features(frame):
        return request.claim_request_features(frame)

    features.columns_function = doubled_amounts
    model = copy.deepcopy(logged["model"])
    model.estimator.named_steps["request_features"].func = features
    with pytest.raises(UnsupportedModel, match="differs from the model"):
        compile_scorer(model, probe=logged["example"])


def test_an_encoder_with_infrequent_categories_is_unsupported():
    frame = to_model_input(synthetic_training_set(rows=600, seed=4), CLAIMS_TRIAGE)
    pipeline = build_pipeline(CLAIMS_TRIAGE, frame)
    pipeline.set_params(encode__categorical__max_categories=3, classifier__max_iter=5)
    pipeline.fit(frame, (frame["amount"] > frame["amount"].median()).astype(int))
    with pytest.raises(UnsupportedModel, match="infrequent"):
        compile_scorer(with_threshold(pipeline, 0.5))
