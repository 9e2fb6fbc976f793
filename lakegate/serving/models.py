"""A served model: one registered model version, loaded once per worker, and how it answers a request.

Two ways to answer, with the same request and response bodies:
- a model Lakegate trained for a use case: the caller sends keys and raw fields; an enricher adds the
  online features; the model's own sklearn pipeline is compiled into a fast scorer (verified
  against its predict_proba when loaded) so a single row costs well under a millisecond;
- any other MLflow model: MLflow's pyfunc predict, exactly as `mlflow models serve` runs it.
"""

from __future__ import annotations

import json
import logging
import math
import sys
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import orjson
import pandas as pd

from lakegate.registry import Registry, Tags
from lakegate.serving.batching import ScoreBatcher
from lakegate.serving.endpoints import ServedEntity
from lakegate.serving.inference_log import json_default
from lakegate.serving.protocol import (
    JSON,
    ParsedRequest,
    ScoringError,
    error_body,
    format_predictions,
    logged_error_body,
    parse_request,
    predict,
)

_logger = logging.getLogger(__name__)

# (use case name or None) -> request enricher or None; wired by the server (lakegate knows no asset).
EnricherFactory = Callable[[str | None], Any]


@dataclass
class Answer:
    """What a scoring call produced: the HTTP answer and what the inference table keeps."""

    status: int
    body: bytes
    media_type: str
    error_code: str | None = None
    n_rows: int = 0
    features: str | None = None  # model input as {"columns", "data"} JSON, no identifiers
    scores: list[float] | None = None
    record_keys: list[str] | None = None
    logged_body: str | None = None  # what the inference table keeps of the body when it is not the body

    @classmethod
    def refused(cls, err: ScoringError) -> Answer:
        return cls(err.status, error_body(err), err.media_type, error_code=err.error_code,
                   logged_body=logged_error_body(err))

    @classmethod
    def internal_error(cls) -> Answer:
        return cls.refused(ScoringError(500, "INTERNAL_ERROR", "the server failed to score this request; "
                                        "the error is in its log", own_wording=True))


@dataclass
class Scoring:
    """A request parsed and enriched that waits only for its scores from the compiled scorer."""

    request: dict[str, list]  # the columns as the caller sent them
    model_input: dict[str, Any]  # the request fields and the looked-up features


class ServedModel:
    def __init__(self, entity: ServedEntity, pyfunc, enricher=None, scorer=None, scorer_note: str = ""):
        self.entity = entity
        self.pyfunc = pyfunc
        self.enricher = enricher
        self.scorer = scorer
        self.batcher = ScoreBatcher(scorer.predict_proba, scorer.batch_rows) if scorer is not None else None
        self.scorer_note = scorer_note
        self.schema = pyfunc.metadata.get_input_schema()
        self.model_columns = self.schema.input_names() if self.schema is not None else None
        raw = _raw_model(pyfunc)
        self._proba = getattr(raw, "predict_proba", None)

    @property
    def version_label(self) -> str:
        return f"{self.entity.entity_name}/{self.entity.entity_version}"

    def answer(self, body: bytes, content_type: str | None, max_rows: int) -> Answer:
        """Always an Answer: a bad request is a 4xx naming the field, a failure of ours a logged 500."""
        prepared = self.prepare(body, content_type, max_rows)
        if not isinstance(prepared, Scoring):
            return prepared
        try:
            scores = self.scorer.predict_proba(prepared.model_input)
        except Exception:  # noqa: BLE001 - a bug of ours must still answer, and be logged
            return self.failed()
        return self.finish(prepared, scores)

    def prepare(self, body: bytes, content_type: str | None, max_rows: int) -> Answer | Scoring:
        """Everything before the compiled scorer: a Scoring when only its scores are missing (the
        server may score several at once, lakegate/serving/batching.py), else the Answer."""
        try:
            if self.enricher is not None:
                columns = plain_json_columns(body, content_type)
                if columns is not None:  # the common case, without building a pandas frame
                    _check_rows(len(next(iter(columns.values()))), max_rows)
                    return self._enriched(columns, None)
            # An enriched endpoint's callers send keys, not the model's columns: parse without its schema.
            parsed = parse_request(body, content_type, None if self.enricher else self.schema,
                                   metadata=self.pyfunc.metadata)
            _check_frame(parsed.data, max_rows)
            if self.enricher is not None and isinstance(parsed.data, pd.DataFrame):
                return self._enriched(frame_columns(parsed.data), parsed.params)
            predictions = predict(self.pyfunc, parsed)
            return Answer(200, format_predictions(predictions, unwrapped=parsed.unwrapped), JSON,
                          n_rows=_rows(parsed.data), scores=self._scores(parsed.data))
        except ScoringError as err:
            return Answer.refused(err)
        except Exception:  # noqa: BLE001 - a bug of ours must still answer, and be logged
            return self.failed()

    def finish(self, scoring: Scoring, scores: np.ndarray) -> Answer:
        """The answer of a request the compiled scorer gave `scores` (one per row)."""
        try:
            flags = self.scorer.flags(scores)
            return Answer(200, format_predictions(flags), JSON, n_rows=_rows(flags),
                          features=_features_json(scoring.model_input), scores=scores.tolist(),
                          record_keys=self.enricher.record_keys(scoring.request))
        except Exception:  # noqa: BLE001
            return self.failed()

    def failed(self) -> Answer:
        _logger.exception("scoring failed for %s", self.version_label)
        return Answer.internal_error()

    def _enriched(self, request: dict[str, list], params: dict | None) -> Answer | Scoring:
        try:
            columns = self.enricher.model_input(request)
        except ValueError as exc:  # the enricher's RequestError: fields named, values never quoted
            raise ScoringError.bad_request(str(exc)) from None
        if self.scorer is not None:
            return Scoring(request, columns)
        model_frame = pd.DataFrame({c: columns[c] for c in self.model_columns})
        flags = predict(self.pyfunc, ParsedRequest(model_frame, params))
        scores = self._scores(model_frame)
        return Answer(200, format_predictions(flags), JSON, n_rows=_rows(flags), features=_features_json(columns),
                      scores=scores, record_keys=self.enricher.record_keys(request))

    def _scores(self, data) -> list[float] | None:
        """Positive-class probabilities for the inference table, when the model has them."""
        if self._proba is None or not isinstance(data, pd.DataFrame):
            return None
        try:
            return [float(p) for p in np.asarray(self._proba(data))[:, 1]]
        except Exception:  # noqa: BLE001 - monitoring data only; the answer has been given
            return None


def load_served_model(entity: ServedEntity, registry: Registry, enricher_factory: EnricherFactory | None = None) -> ServedModel:
    """Load a registered version, find its use case (a version tag), compile its fast scorer if it can."""
    import mlflow.pyfunc

    uri = f"models:/{entity.entity_name}/{entity.entity_version}"
    with registry.activate():
        pyfunc = mlflow.pyfunc.load_model(uri, suppress_warnings=True)  # checked below, cheaper
        _warn_of_environment_mismatches(uri, pyfunc)
    version = registry.model_version(entity.entity_name, entity.entity_version)
    use_case = (version.tags or {}).get(Tags.USE_CASE)
    enricher = enricher_factory(use_case) if enricher_factory else None
    scorer, note = None, "pyfunc"
    if enricher is not None:
        scorer, note = _compile(pyfunc)
    _logger.info("loaded %s/%s (use case %s, scorer: %s)", entity.entity_name, entity.entity_version, use_case, note)
    return ServedModel(entity, pyfunc, enricher=enricher, scorer=scorer, scorer_note=note)


def _warn_of_environment_mismatches(uri: str, pyfunc) -> None:
    """MLflow's load-time warnings about the model's environment (model_requirements.py says why not MLflow's)."""
    import mlflow.artifacts
    from mlflow.exceptions import MlflowException

    from lakegate.serving.model_requirements import other_python, unmet_requirements

    try:
        lines = open(mlflow.artifacts.download_artifacts(f"{uri}/requirements.txt")).read().splitlines()
    except (MlflowException, OSError):  # a model logged without one: nothing to compare
        lines = []
    unmet = unmet_requirements(lines)
    if unmet:
        _logger.warning("%s was logged with requirements this environment does not meet:\n - %s", uri,
                        "\n - ".join(unmet))
    logged_python = other_python(pyfunc.metadata.flavors.get("python_function", {}).get("python_version"))
    if logged_python:
        _logger.warning("%s was logged with Python %s; this is Python %s", uri, logged_python, sys.version.split()[0])


def _compile(pyfunc):
    from lakegate.serving.fast_scorer import UnsupportedModel, compile_scorer

    try:
        probe = pyfunc.input_example if isinstance(getattr(pyfunc, "input_example", None), pd.DataFrame) else None
        return compile_scorer(_raw_model(pyfunc), probe=probe), "compiled"
    except UnsupportedModel as exc:
        return None, f"pyfunc ({exc})"


def _raw_model(pyfunc):
    try:
        return pyfunc.get_raw_model()
    except Exception:  # noqa: BLE001 - not every flavor has one
        return None


def _rows(data) -> int:
    if isinstance(data, np.ndarray) and data.ndim == 0:
        return 1
    return len(data) if hasattr(data, "__len__") else 1


def _check_rows(rows: int, max_rows: int) -> None:
    if rows > max_rows:
        raise ScoringError.bad_request(f"the request has {rows:,} rows; this server scores at most {max_rows:,} "
                                       "per request (serving.max_rows): split it")


def _check_frame(data, max_rows: int) -> None:
    if isinstance(data, pd.DataFrame):
        _check_unique([str(c) for c in data.columns])
    _check_rows(_rows(data), max_rows)


def _check_unique(columns: list[str]) -> None:
    if len(set(columns)) != len(columns):
        repeated = len(columns) - len(set(columns))  # the names are the caller's: not quoted back
        raise ScoringError.bad_request(f"dataframe_split.columns names a column more than once ({repeated} repeated); "
                                       "each column may appear once")


def frame_columns(frame: pd.DataFrame) -> dict[str, list]:
    """A request frame MLflow's parser built, as columns of values (what the enricher takes)."""
    return {str(c): frame[c].tolist() for c in frame.columns}


def plain_json_columns(body: bytes, content_type: str | None) -> dict[str, list] | None:
    """Columns of a plain `dataframe_records` or `dataframe_split` JSON body, parsed without pandas.
    Anything else (other formats, params, ragged rows, a charset, bad JSON) gives None, and MLflow's
    own parser then answers it, errors and all, so the wire protocol stays exactly MLflow's."""
    if content_type is None or content_type.strip() != JSON:
        return None
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(doc, dict) or len(doc) != 1:
        return None
    if isinstance(records := doc.get("dataframe_records"), list) and records and isinstance(records[0], dict):
        names = list(records[0])
        if names and all(isinstance(r, dict) and list(r) == names for r in records):
            return {n: [r[n] for r in records] for n in names}
    split = doc.get("dataframe_split")
    if isinstance(split, dict) and set(split) == {"columns", "data"} and isinstance(split["columns"], list) \
            and isinstance(split["data"], list) and split["data"]:
        _check_unique([str(c) for c in split["columns"]])
        width = len(split["columns"])
        if width and all(isinstance(row, list) and len(row) == width for row in split["data"]):
            return {str(n): [row[j] for row in split["data"]] for j, n in enumerate(split["columns"])}
    return None


def _features_json(columns: dict) -> str:
    """{"columns", "data"} as JSON; NaN is null (orjson's rule), other odd values their text, as before."""
    names = list(columns)
    doc = {"columns": names, "data": list(zip(*(c.tolist() if isinstance(c, np.ndarray) else c
                                                 for c in (columns[n] for n in names))))}
    try:
        return orjson.dumps(doc, default=json_default, option=orjson.OPT_PASSTHROUGH_DATETIME).decode()
    except orjson.JSONEncodeError:  # text orjson refuses (a lone surrogate): json escapes it
        rows = [[None if isinstance(v, float) and math.isnan(v) else v for v in row] for row in doc["data"]]
        return json.dumps({"columns": names, "data": rows}, default=json_default)

