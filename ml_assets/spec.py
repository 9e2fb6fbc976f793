"""A use case, declared once: label, entities, features, model, split and threshold policy.

A second use case is a new `UseCase` value, not new plumbing: the feature store, the training-set
builder, training and registration read everything they need from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class LabelSpec:
    table: str  # schema.table in the environment's catalog, e.g. "silver.claim_outcomes"
    key: str  # joins to the entity rows' key
    column: str
    available_at: str  # when the label became known (it must not be used before that)


@dataclass(frozen=True)
class RequestField:
    """A raw field the caller sends at request time and the values the use case accepts in it. A value
    outside these rules is refused with a 400 that names the field (never its value), not scored."""

    name: str
    kind: Literal["number", "text", "date"]  # number: JSON number or numeric text, never a boolean
    required: bool = True  # a missing value (absent, null) is refused
    minimum: float | None = None  # inclusive
    below: float | None = None  # exclusive upper bound
    known_values: tuple[str, ...] = ()  # if set, text must be one of these (trimmed, lower-cased)


@dataclass(frozen=True)
class EntityRows:
    """The rows to predict for: one per event, with the time the prediction would have been made."""

    table: str
    key: str
    event_timestamp: str  # a column (date or timestamp) of `table`
    entity_columns: tuple[str, ...]  # keys that feature views join on
    request_fields: tuple[RequestField, ...]  # raw fields the caller sends at request time, with their rules
    # Entity columns that are pseudonyms: (entity column, raw identifier a caller sends instead).
    # At serving time the runtime pseudonymizes the raw identifier with the same keyed HMAC as silver.
    pseudonymized_keys: tuple[tuple[str, str], ...] = ()

    @property
    def request_columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.request_fields)


@dataclass(frozen=True)
class ModelSpec:
    registry_schema: str  # the model is registered as <catalog>.<registry_schema>.<name>
    name: str
    estimator: Literal["hist_gradient_boosting"] = "hist_gradient_boosting"
    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 42


@dataclass(frozen=True)
class TimeSplit:
    """Train on the oldest events, choose the threshold on the next, test on the newest."""

    validation_fraction: float = 0.15
    test_fraction: float = 0.15


@dataclass(frozen=True)
class ThresholdPolicy:
    """Choose the operating threshold on validation: the highest threshold whose recall is at least
    `min_recall` (clinical review must not miss claims), else the F1-maximizing threshold."""

    min_recall: float = 0.8


@dataclass(frozen=True)
class Slice:
    """A column the gates and monitors slice by (bias groups, per-slice quality): taken from the
    training set, or looked up in a silver table by a training-set key."""

    name: str  # e.g. "region"
    column: str  # the column in the training set, or in `table`
    table: str | None = None  # schema.table to look it up in
    key: str | None = None  # the training-set column that joins to the same-named column of `table`


@dataclass(frozen=True)
class UseCase:
    name: str
    description: str
    owner: str
    entity_rows: EntityRows
    label: LabelSpec
    feature_views: tuple[str, ...]  # names of feature views in ml_assets.features.definitions
    request_features: str  # name of the request-time feature function (ml_assets.features.request_functions)
    model: ModelSpec
    split: TimeSplit = TimeSplit()
    threshold: ThresholdPolicy = ThresholdPolicy()
    slices: tuple[Slice, ...] = ()  # the bias gate's protected attributes (the policy says which it judges)

    def training_set_table(self, catalog: str) -> str:
        return f"{catalog}.ml.{self.name}_training_set"

    def batch_predictions_table(self, catalog: str) -> str:
        return f"{catalog}.scoring.{self.name}_batch_predictions"

    def registered_model_name(self, catalog: str) -> str:
        return f"{catalog}.{self.model.registry_schema}.{self.model.name}"
