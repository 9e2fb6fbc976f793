"""Scoring one day's prediction points with a served model, as the endpoint would answer them.

The rows go through the serving path itself (lakegate.serving.models.ServedModel): the use case's
request rules, then the online store's features by the same enricher, then the model's compiled
scorer and its threshold. Features are defined once, so a batch score is the score the endpoint
gives the same row at the same time. A row that breaks a request rule is kept, refused with the
rule it broke (the endpoint's 400), never scored and never dropped silently.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakegate.monitoring.inference_rows import RECORD_KEY
from ml_assets.features.request_rules import row_problem
from ml_assets.spec import UseCase

if TYPE_CHECKING:  # the serving path loads MLflow: with a scoring run, not with the graph
    from lakegate.serving.models import ServedModel

SCORING_DATE = "scoring_date"  # the event day the row belongs to: one day is one replaced slice of the table
SCHEMA = pa.schema([
    (RECORD_KEY, pa.string()), ("event_timestamp", pa.timestamp("us", tz="UTC")), (SCORING_DATE, pa.date32()),
    ("prediction", pa.int32()), ("score", pa.float64()), ("refused", pa.string()),
    ("model_name", pa.string()), ("model_version", pa.string()), ("scored_at", pa.timestamp("us", tz="UTC")),
])


class BatchScoringError(RuntimeError):
    """The champion cannot be scored in batch as it is served (no compiled scorer, no enricher)."""


def event_day(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Each row's event day in UTC, from a date or a timestamp column."""
    if pa.types.is_timestamp(column.type) and column.type.tz is None:
        column = column.cast(pa.timestamp(column.type.unit, tz="UTC"))
    return column.cast(pa.date32())


def day_rows(rows: pa.Table, use_case: UseCase, day: dt.date) -> pa.Table:
    """The prediction points whose event (submission, planning time) falls on `day`."""
    return rows.filter(pc.equal(event_day(rows[use_case.entity_rows.event_timestamp]), pa.scalar(day, pa.date32())))


def score_day(rows: pa.Table, use_case: UseCase, model: ServedModel, day: dt.date, scored_at: dt.datetime) -> pa.Table:
    """One output row per prediction point of `rows` (already one day's): the champion's score and
    flag, or the request rule it broke, with the model name and version that scored it."""
    if model.enricher is None or model.scorer is None:
        raise BatchScoringError(f"{model.version_label} has no compiled scorer for {use_case.name} "
                                f"({model.scorer_note}): it cannot be scored as the endpoint serves it")
    spec = model.enricher
    records = rows.select([c for c in (*spec.identifiers, *use_case.entity_rows.request_columns) if c in rows.column_names])
    refused = [row_problem(r, use_case.entity_rows.request_fields, spec.identifiers) for r in records.to_pylist()]
    accepted = np.array([r is None for r in refused], dtype=bool)
    scores = np.full(rows.num_rows, np.nan)
    flags = np.zeros(rows.num_rows, dtype=np.int32)
    if accepted.any():
        kept = records.filter(pa.array(accepted))
        model_input = spec.model_input({c: kept[c].to_pylist() for c in kept.column_names})
        scores[accepted] = model.scorer.predict_proba(model_input)
        flags[accepted] = np.asarray(model.scorer.flags(scores[accepted]), dtype=np.int32)
    n = rows.num_rows
    events = rows[use_case.entity_rows.event_timestamp]
    return pa.table({
        RECORD_KEY: rows[use_case.entity_rows.key].cast(pa.string()),
        "event_timestamp": events.cast(pa.timestamp("us", tz="UTC")) if pa.types.is_timestamp(events.type)
        else events.cast(pa.timestamp("us")).cast(pa.timestamp("us", tz="UTC")),
        SCORING_DATE: pa.array([day] * n, pa.date32()),
        "prediction": pa.array(flags, pa.int32(), mask=~accepted),
        "score": pa.array(scores, pa.float64(), mask=~accepted),
        "refused": pa.array(refused, pa.string()),
        "model_name": pa.array([model.entity.entity_name] * n, pa.string()),
        "model_version": pa.array([model.entity.entity_version] * n, pa.string()),
        "scored_at": pa.array([scored_at] * n, pa.timestamp("us", tz="UTC")),
    }, schema=SCHEMA)
