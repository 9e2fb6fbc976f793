"""Score a triage model without pandas: the same probabilities, in tens of microseconds.

MLflow's pyfunc predict costs about 20 ms a row for this model (pandas feature code, the
ColumnTransformer, input validation); serving must answer in 5 ms at p99. `compile_scorer` reads the
fitted model's parts once and scores plain columns with nothing but the model's own code and state:

- request features: the model's own pickled numpy core (its feature function's `columns_function`);
- encoding: the fitted OrdinalEncoder's categories_, as dict lookups (NaN for unknown or missing);
- trees: the fitted HistGradientBoosting nodes, walked by scikit-learn's own compiled traversal.

It reads private scikit-learn attributes (_predictors, _bin_mapper, _baseline_prediction, _loss,
_predict_from_raw_data): scikit-learn is pinned, and every compile checks the scorer against
model.predict_proba and model.predict on a probe, so a changed internal disables the fast path
instead of serving a different answer. Any other model shape raises UnsupportedModel: the server
then uses MLflow's pyfunc predict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd
from sklearn._loss.link import LogitLink
from sklearn._loss.loss import HalfBinomialLoss
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.ensemble._hist_gradient_boosting._predictor import _predict_from_raw_data
from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE
from sklearn.model_selection import FixedThresholdClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OrdinalEncoder

# Rows at or below this go through all trees in one compiled call (a router tree in front of them);
# larger batches call each tree's predictor on all rows, which keeps one tree in cache at a time.
ROUTED_MAX_ROWS = 64
TOLERANCE = 1e-9


class UnsupportedModel(Exception):
    """The model is not the shape this scorer reproduces exactly; use the model itself."""


@dataclass(frozen=True, eq=False)
class _Forest:
    """A binary HistGradientBoosting model's trees, summed in sklearn's order (bit-for-bit)."""

    predictors: tuple  # sklearn TreePredictor, one per iteration
    baseline: float
    known_cat_bitsets: np.ndarray
    f_idx_map: np.ndarray
    routed_nodes: np.ndarray  # router + every tree's nodes, for one compiled call per batch
    routed_bitsets: np.ndarray
    tree_ids: np.ndarray

    def raw(self, x: np.ndarray, routed: bool | None = None) -> np.ndarray:
        rows, features = x.shape
        if not (rows <= ROUTED_MAX_ROWS if routed is None else routed):
            raw = np.zeros(rows) + self.baseline  # as HistGradientBoosting._raw_predict: 0 + baseline, then tree by tree
            for predictor in self.predictors:
                raw += predictor.predict(x, self.known_cat_bitsets, self.f_idx_map, 1)
            return raw
        trees = len(self.tree_ids)
        # Row (tree t, input row i) is input row i plus a last column t, which the router sends to tree t.
        repeated = np.empty((trees, rows, features + 1))
        repeated[:, :, :features] = x
        repeated[:, :, features] = self.tree_ids[:, None]
        leaves = np.empty(trees * rows)
        _predict_from_raw_data(self.routed_nodes, repeated.reshape(trees * rows, features + 1), self.routed_bitsets,
                               self.known_cat_bitsets, self.f_idx_map, 1, leaves)
        terms = np.empty((trees + 1, rows))
        terms[0] = 0.0 + self.baseline
        terms[1:] = leaves.reshape(trees, rows)
        return np.add.accumulate(terms, axis=0)[-1]  # sequential sum, the order sklearn adds trees in


def _forest(hgb) -> _Forest:
    if hgb.n_trees_per_iteration_ != 1 or any(len(trees) != 1 for trees in hgb._predictors):
        raise UnsupportedModel("not a binary classifier (one tree per iteration)")
    predictors = tuple(trees[0] for trees in hgb._predictors)
    features = hgb.n_features_in_
    known_cat_bitsets, f_idx_map = hgb._bin_mapper.make_known_categories_bitsets()
    # One node array: a balanced router on column `features` (the tree's number) whose leaves are
    # the trees' roots, then each tree's nodes with child and bitset indices shifted to match.
    routers = len(predictors) - 1
    router = np.zeros(routers, dtype=PREDICTOR_RECORD_DTYPE)
    roots, parts, bitsets, node_offset, bitset_offset = [], [], [], routers, 0
    for predictor in predictors:
        nodes = predictor.nodes.copy()
        split = nodes["is_leaf"] == 0
        nodes["left"][split] += node_offset
        nodes["right"][split] += node_offset
        nodes["bitset_idx"][split & (nodes["is_categorical"] == 1)] += bitset_offset
        roots.append(node_offset)
        parts.append(nodes)
        bitsets.append(predictor.raw_left_cat_bitsets)
        node_offset += len(nodes)
        bitset_offset += len(predictor.raw_left_cat_bitsets)
    next_router = iter(range(routers))

    def route(low: int, high: int) -> int:  # the node choosing among trees low..high-1
        if high - low == 1:
            return roots[low]
        index, middle = next(next_router), (low + high) // 2
        router[index]["feature_idx"] = features
        router[index]["num_threshold"] = middle - 0.5
        router[index]["left"] = route(low, middle)
        router[index]["right"] = route(middle, high)
        return index

    if route(0, len(predictors)) != 0:
        raise UnsupportedModel("the router's root must be node 0")
    return _Forest(
        predictors=predictors,
        baseline=float(np.asarray(hgb._baseline_prediction).reshape(-1)[0]),
        known_cat_bitsets=known_cat_bitsets,
        f_idx_map=f_idx_map,
        routed_nodes=np.concatenate([router, *parts]),
        routed_bitsets=np.ascontiguousarray(np.concatenate(bitsets)) if bitset_offset else np.zeros((0, 8), np.uint32),
        tree_ids=np.arange(len(predictors), dtype=np.float64),
    )


def _codes(categories: np.ndarray) -> dict:
    """Category → code, as the fitted OrdinalEncoder maps it. A trailing NaN category is the
    encoder's 'missing' (encoded NaN, so left out); None, if it was seen in training, is a
    category of its own. Everything not here (unknown, NaN) encodes as NaN."""
    table = {}
    for code, category in enumerate(categories.tolist()):
        if isinstance(category, float) and math.isnan(category) and code == len(categories) - 1:
            continue
        if category is not None and not isinstance(category, str):
            raise UnsupportedModel(f"categories must be text, got {category!r}")
        table[category] = float(code)
    return table


def _encode(values: np.ndarray, table: dict, name: str) -> np.ndarray:
    if values.dtype.kind in "fiuc":
        if values.dtype.kind == "f" and np.isnan(values).all():
            return np.full(len(values), np.nan)  # a missing text value that arrived as a float NaN
        # The fitted encoder raises on numbers against text categories; so does this.
        raise TypeError(f"{name}: categorical column holds numbers ({values.dtype})")
    get, nan = table.get, math.nan
    return np.array([get(value, nan) for value in values.tolist()], dtype=np.float64)


@dataclass(frozen=True, eq=False)
class FastScorer:
    """predict_proba and predict of one compiled model, on a mapping of column → 1-D array or list."""

    input_columns: tuple[str, ...]  # what the pipeline consumes, in its order; other keys are ignored
    threshold: float
    classes: np.ndarray
    features: Callable[[Mapping[str, Any]], dict[str, np.ndarray]]  # the model's own feature core
    categorical: tuple[tuple[str, dict], ...]  # encoded columns, in the ColumnTransformer's order
    numeric: tuple[str, ...]  # passed-through columns, after the encoded ones
    forest: _Forest
    inverse_link: Callable[[np.ndarray], np.ndarray]
    batch_rows: int = ROUTED_MAX_ROWS  # the most rows worth joining into one call (the routed walk)

    def matrix(self, columns: Mapping[str, Any]) -> np.ndarray:
        """The classifier's input rows, as the pipeline's first two steps make them."""
        features = self.features({name: columns[name] for name in self.input_columns})
        rows = len(next(iter(features.values()))) if features else 0
        x = np.empty((rows, len(self.categorical) + len(self.numeric)))
        for j, (name, table) in enumerate(self.categorical):
            x[:, j] = _encode(features[name], table, name)
        if self.numeric:  # one conversion for all, as check_array converts (None → NaN, "3" → 3.0)
            x[:, len(self.categorical):] = np.array([features[name] for name in self.numeric], dtype=np.float64).T
        return x

    def predict_proba(self, columns: Mapping[str, Any]) -> np.ndarray:
        """Probability of the positive class (classes[1]) per row."""
        return self.inverse_link(self.forest.raw(self.matrix(columns)))

    def predict(self, columns: Mapping[str, Any]) -> np.ndarray:
        """The class per row, as FixedThresholdClassifier.predict: positive when probability >= threshold."""
        return self.flags(self.predict_proba(columns))

    def flags(self, probabilities: np.ndarray) -> np.ndarray:
        """The classes predict gives for probabilities already computed (no second scoring)."""
        return self.classes[(probabilities >= self.threshold).astype(int)]


def compile_scorer(model, probe: pd.DataFrame | None = None) -> FastScorer:
    """The fast scorer for `model` (a loaded sklearn FixedThresholdClassifier), checked against the
    model on `probe` (give the model's input example) plus rows derived from it: unknown and
    missing categories, missing values, negative numbers, bad dates. Raises UnsupportedModel."""
    try:
        scorer = _compile(model)
    except UnsupportedModel:
        raise
    except (AttributeError, KeyError, TypeError, ValueError, IndexError) as err:
        raise UnsupportedModel(f"unexpected model internals: {type(err).__name__}: {err}") from err
    try:
        frames = _probe_frames(scorer, probe)
    except (KeyError, TypeError, ValueError) as err:
        raise UnsupportedModel(f"unusable probe: {type(err).__name__}: {err}") from err
    _verify(model, scorer, frames)
    return scorer


def _compile(model) -> FastScorer:
    def require(condition: bool, reason: str) -> None:
        if not condition:
            raise UnsupportedModel(reason)

    require(type(model) is FixedThresholdClassifier, f"not a FixedThresholdClassifier: {type(model).__name__}")
    require(model.response_method == "predict_proba", f"response_method {model.response_method!r}")
    threshold = model.threshold
    require(isinstance(threshold, (int, float)) and not isinstance(threshold, bool), f"threshold {threshold!r}")
    pipeline = getattr(model, "estimator_", model.estimator)
    require(type(pipeline) is Pipeline and len(pipeline.steps) == 3, "not a three-step Pipeline")
    function, encode, hgb = (step for _, step in pipeline.steps)
    require(type(function) is FunctionTransformer and type(encode) is ColumnTransformer
            and type(hgb) is HistGradientBoostingClassifier, "steps are not features → ColumnTransformer → HistGradientBoosting")

    require(not function.validate and not function.kw_args, "the FunctionTransformer validates or takes kw_args")
    core = getattr(function.func, "columns_function", None)
    require(callable(core), "the model's feature function has no columns_function (a model older than the fast path)")
    require(hasattr(function, "feature_names_in_"), "the pipeline was not fitted on named columns")
    input_columns = tuple(str(c) for c in function.feature_names_in_)

    require(encode.remainder == "drop" and encode.transformer_weights is None and not encode.sparse_output_,
            "the ColumnTransformer keeps a remainder, weights or sparse output")
    declared = {name: transformer for name, transformer, _ in encode.transformers}
    categorical: list[tuple[str, dict]] = []
    numeric: list[str] = []
    for name, fitted, columns in encode.transformers_:
        if name == "remainder":
            require(isinstance(fitted, str) and fitted == "drop", "remainder is not dropped")
            continue
        require(isinstance(columns, list) and all(isinstance(c, str) for c in columns), f"{name}: columns not named")
        if isinstance(declared[name], str) and declared[name] == "passthrough":
            numeric.extend(columns)
        elif type(fitted) is OrdinalEncoder:
            require(not numeric, "encoded columns after passed-through ones")
            _check_encoder(fitted)
            categorical.extend(zip(columns, (_codes(c) for c in fitted.categories_)))
        else:
            raise UnsupportedModel(f"{name}: not an OrdinalEncoder or passthrough")

    require(isinstance(hgb._loss, HalfBinomialLoss) and type(hgb._loss.link) is LogitLink, "not a binary log-loss model")
    require(hgb.n_features_in_ == len(categorical) + len(numeric), "feature count differs from the encoding")
    inner = _inner_codes(hgb, len(categorical))
    if inner is not None:  # codes as the classifier's own encoder renumbers them
        categorical = [(name, {c: inner[j].get(code, math.nan) for c, code in table.items()})
                       for j, (name, table) in enumerate(categorical)]
    classes = np.asarray(model.classes_)
    require(len(classes) == 2 and np.array_equal(classes, hgb.classes_), "not two classes")
    require(model.pos_label is None or model.pos_label == classes[1], f"pos_label {model.pos_label!r}")
    return FastScorer(
        input_columns=input_columns,
        threshold=float(threshold),
        classes=classes,
        features=core,
        categorical=tuple(categorical),
        numeric=tuple(numeric),
        forest=_forest(hgb),
        inverse_link=hgb._loss.link.inverse,  # expit: what HalfBinomialLoss.predict_proba applies
    )


def _inner_codes(hgb, encoded: int) -> list[dict[float, float]] | None:
    """HistGradientBoosting with categorical features ordinal-encodes them again inside predict
    (its _preprocessor: the codes it saw in fit, sorted); None when it has no categorical features."""
    mask = hgb.is_categorical_
    if hgb._preprocessor is None:
        if mask is not None and mask.any():
            raise UnsupportedModel("categorical features without HistGradientBoosting's own encoder")
        return None
    if not np.array_equal(mask, np.arange(hgb.n_features_in_) < encoded):
        raise UnsupportedModel("HistGradientBoosting's categorical features are not exactly the encoded columns")
    encoder = hgb._preprocessor.named_transformers_["encoder"]
    if type(encoder) is not OrdinalEncoder:
        raise UnsupportedModel("HistGradientBoosting's own encoder is not an OrdinalEncoder")
    _check_encoder(encoder)
    inner = []
    for categories in encoder.categories_:
        if categories.dtype.kind != "f":
            raise UnsupportedModel("HistGradientBoosting's own categories are not numbers")
        inner.append({value: float(code) for code, value in enumerate(categories.tolist()) if not math.isnan(value)})
    return inner


def _check_encoder(encoder) -> None:
    nan = lambda v: isinstance(v, float) and math.isnan(v)  # noqa: E731
    if encoder.handle_unknown != "use_encoded_value" or not nan(encoder.unknown_value) or not nan(encoder.encoded_missing_value):
        raise UnsupportedModel("OrdinalEncoder must encode unknown and missing values as NaN")
    if np.dtype(encoder.dtype) != np.float64:
        raise UnsupportedModel(f"OrdinalEncoder dtype {encoder.dtype}")
    if getattr(encoder, "_infrequent_enabled", False) and any(c is not None for c in encoder.infrequent_categories_):
        raise UnsupportedModel("the OrdinalEncoder groups infrequent categories")


# verification

def _probe_frames(scorer: FastScorer, probe: pd.DataFrame | None) -> list[pd.DataFrame]:
    """Frames to check the scorer on: the probe rows, then each column of its first row varied (typed
    values in one frame, text and odd values in another, so column dtypes stay realistic)."""
    columns = list(scorer.input_columns)
    categories = dict(scorer.categorical)
    if probe is not None and len(probe):
        base = probe[columns].reset_index(drop=True)
    else:  # without a probe: known categories where the model takes them as they are, else missing
        base = pd.DataFrame([{c: next(iter(categories[c]), None) if c in categories else None for c in columns}])
    typed, textual = [], []
    first = base.iloc[0].to_dict()
    for name in columns:
        value = first[name]
        for known in categories.get(name, {}):
            typed.append({**first, name: known})
        typed.append({**first, name: None})
        if isinstance(value, str):  # NaN beside text: missing, but not the None a fitted category may be
            textual.extend({**first, name: v} for v in (math.nan, "", "  ", "not seen in training", f" {value.upper()} ",
                                                        "2024-13-45", "2024-01-31T23:59:59+05:00"))
        elif isinstance(value, (int, float, np.number)) and not pd.isna(value):
            typed.extend({**first, name: v} for v in (-abs(float(value)) - 5.0, 0.0, abs(float(value)) * 1000 + 1e6))
            textual.append({**first, name: str(value)})
        elif isinstance(value, (pd.Timestamp, np.datetime64)) and not pd.isna(value):
            stamp = pd.Timestamp(value)
            typed.extend({**first, name: stamp + pd.Timedelta(days=d)} for d in (-400, -1, 1, 400))
            textual.extend({**first, name: v} for v in (stamp.date().isoformat(), stamp.isoformat(), "2024-13-45", "not a date", ""))
    frames = [base]
    for rows in (typed, textual):
        if rows:
            frames.append(pd.DataFrame(rows, columns=columns))
    return frames


def _verify(model, scorer: FastScorer, frames: list[pd.DataFrame]) -> None:
    for number, frame in enumerate(frames):
        try:
            expected_proba = model.predict_proba(frame)[:, 1]
            expected_flags = model.predict(frame)
        except Exception as err:  # noqa: BLE001 — any failure means we cannot vouch for the fast path
            raise UnsupportedModel(f"the model itself failed on probe frame {number}: {type(err).__name__}: {err}") from err
        arrays = {name: frame[name].to_numpy() for name in scorer.input_columns}
        # All rows at once, then row by row, as arrays and, for the probe's own rows, as the lists
        # a JSON request gives.
        batches = [arrays] + [{name: values[i:i + 1] for name, values in arrays.items()} for i in range(len(frame))]
        if number == 0:  # (pandas' tolist: numpy's would turn datetime64[ns] into integers)
            batches += [{name: frame[name].iloc[i:i + 1].tolist() for name in scorer.input_columns} for i in range(len(frame))]
        got_proba, got_flags = [], []
        try:
            for batch in batches:
                got_proba.append(scorer.predict_proba(batch))
                got_flags.append(scorer.predict(batch))
            x = scorer.matrix(arrays)  # and both ways through the trees, whatever the frame's size
            routed = [scorer.forest.raw(x[i:i + ROUTED_MAX_ROWS], routed=True) for i in range(0, len(x), ROUTED_MAX_ROWS)]
            got_proba += [scorer.inverse_link(raw) for raw in (np.concatenate(routed or [np.empty(0)]), scorer.forest.raw(x, routed=False))]
            got_flags += [scorer.classes[(p >= scorer.threshold).astype(int)] for p in got_proba[-2:]]
        except Exception as err:  # noqa: BLE001
            raise UnsupportedModel(f"the fast scorer failed on probe frame {number}: {type(err).__name__}: {err}") from err
        rows = len(frame)
        for got, flags in zip(_chunks(got_proba, rows), _chunks(got_flags, rows)):
            worst = float(np.max(np.abs(got - expected_proba), initial=0.0))
            if not (worst <= TOLERANCE) or not np.array_equal(flags, expected_flags):
                raise UnsupportedModel(f"probe frame {number}: fast scorer differs from the model (max |Δp| {worst:.3g})")


def _chunks(results: list[np.ndarray], rows: int) -> list[np.ndarray]:
    """Per-batch results regrouped as whole-frame answers (the whole batch, `rows` one-row batches, ...)."""
    joined = np.concatenate(results)
    return [joined[i:i + rows] for i in range(0, len(joined), rows)]
