"""MLflow's scoring protocol (``POST /invocations``), wire-compatible with ``mlflow models serve``.

The request bodies, status codes and error bodies are those of MLflow 3.17's scoring server
(``mlflow.pyfunc.scoring_server``). Its public, module-level helpers are reused so the parsing,
schema coercion and serialization (and their error messages) are MLflow's own:
``infer_and_parse_data`` (dataframe_split/records, instances, inputs), ``parse_csv_input``,
``parse_parquet_input``, ``predictions_to_json``, ``unwrapped_predictions_to_json``, the protocol
constants, ``is_unified_llm_input`` and ``MlflowException.serialize_as_json`` /
``get_http_status_code`` for error bodies. What MLflow keeps inline in ``invocations()`` (which also
predicts, so cannot be split) or in private helpers (``_decode_json_input``, ``_parse_json_data``)
is mirrored here line for line, messages included.
"""

from __future__ import annotations

import inspect
import json
import logging
import traceback
from dataclasses import dataclass, field
from io import BytesIO, StringIO
from typing import Any

import numpy as np
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import BAD_REQUEST
from mlflow.pyfunc.scoring_server import (
    CONTENT_TYPE_CSV,
    CONTENT_TYPE_JSON,
    CONTENT_TYPE_PARQUET,
    CONTENT_TYPES,
    INPUTS,
    REQUIRED_INPUT_FORMAT,
    SCORING_PROTOCOL_CHANGE_INFO,
    SERVING_PARAMS_KEY,
    SUPPORTED_FORMATS,
    infer_and_parse_data,
    parse_csv_input,
    parse_parquet_input,
    predictions_to_json,
    unwrapped_predictions_to_json,
)
from mlflow.pyfunc.utils.serving_data_parser import is_unified_llm_input
from mlflow.utils.proto_json_utils import MlflowInvalidInputException

_logger = logging.getLogger(__name__)

JSON = "application/json"
TEXT = "text/plain"
ECHO_BYTES = 256  # of the input quoted back in an error message
MESSAGE_CHARS = 4000  # of any text in an error body
LOGGED_MESSAGE_CHARS = 500  # of an error message in the inference table


class ScoringError(Exception):
    """An answer other than 200, exactly as MLflow's scoring server gives it.

    ``error_code`` is None for MLflow's plain-text answers (415 on content type or charset);
    ``extra`` carries the other fields MLflow serializes (``sqlstate``, ``error_class``,
    ``stack_trace``), in MLflow's order.
    """

    def __init__(self, status: int, error_code: str | None, message: str,
                 extra: dict[str, Any] | None = None, own_wording: bool = False):
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.extra = dict(extra or {})
        self.own_wording = own_wording  # Lakegate's words (fields named, no values): logged as they are

    @classmethod
    def bad_request(cls, message: str, status: int = 400, code: str = "INVALID_PARAMETER_VALUE") -> ScoringError:
        """A refusal in Lakegate's own words, which name the field and never quote its value."""
        return cls(status, code, message, own_wording=True)

    @property
    def media_type(self) -> str:
        return TEXT if self.error_code is None else JSON

    @classmethod
    def from_mlflow(cls, exc: MlflowException) -> ScoringError:
        body = json.loads(exc.serialize_as_json())
        code, message = body.pop("error_code"), body.pop("message")
        return cls(exc.get_http_status_code(), code, message, body)

    @classmethod
    def unsupported_media(cls, message: str) -> ScoringError:
        return cls(415, None, message)


@dataclass
class ParsedRequest:
    data: Any  # usually a pandas.DataFrame; dict/ndarray/list for instances, inputs or LLM input
    params: dict | None = None
    unwrapped: bool = False  # unified LLM input (messages/prompt/input): answer without "predictions"
    content_type: str = field(default=CONTENT_TYPE_JSON)


def _mlflow_errors(fn):
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except MlflowException as e:
            raise ScoringError.from_mlflow(e) from e
    wrapper.__doc__, wrapper.__name__ = fn.__doc__, fn.__name__
    return wrapper


def _content_type(content_type: str | None) -> str:
    """Mirror of the header checks at the top of MLflow's ``invocations()``; returns the MIME type."""
    if content_type is None:
        # Deliberate difference: MLflow calls ``None.split`` and answers 500 "Internal Server Error".
        raise ScoringError.unsupported_media(
            f"This predictor only supports the following content types: Types: {CONTENT_TYPES}."
            f" Got '{content_type}'."
        )
    type_parts = list(map(str.strip, content_type.split(";")))
    mime_type = type_parts[0]
    parameter_values = {
        key: value for pair in type_parts[1:] for key, _, value in [pair.partition("=")]
    }
    if parameter_values.get("charset", "utf-8").lower() != "utf-8":
        raise ScoringError.unsupported_media("The scoring server only supports UTF-8")
    if unexpected := set(parameter_values.keys()).difference({"charset"}):
        raise ScoringError.unsupported_media(
            f"Unrecognized content type parameters: {', '.join(unexpected)}. "
            f"{SCORING_PROTOCOL_CHANGE_INFO}"
        )
    if mime_type not in CONTENT_TYPES:
        raise ScoringError.unsupported_media(
            f"This predictor only supports the following content types: Types: {CONTENT_TYPES}."
            f" Got '{content_type}'."
        )
    return mime_type


def _decode_json(body: bytes | str) -> dict:
    """Mirror of ``mlflow.pyfunc.scoring_server._decode_json_input`` (private there), except that the
    input it quotes back is cut to ECHO_BYTES and JSON nested too deeply for the parser is a 400."""
    try:
        decoded = json.loads(body)
    except (json.decoder.JSONDecodeError, UnicodeDecodeError) as ex:
        raise MlflowInvalidInputException(
            "Ensure that input is a valid JSON formatted string. "
            f"Error: '{_short_repr(ex)}'\nInput: \n{echo(body)}\n"
        ) from ex
    except RecursionError:  # MLflow answers 500 here
        raise MlflowInvalidInputException(
            "Ensure that input is a valid JSON formatted string. Error: 'the JSON is nested too deeply'"
        ) from None
    if isinstance(decoded, dict):
        return decoded
    if isinstance(decoded, list):
        raise MlflowInvalidInputException(f"{REQUIRED_INPUT_FORMAT}. Received a list.")
    raise MlflowInvalidInputException(
        f"{REQUIRED_INPUT_FORMAT}. Received unexpected input type '{type(decoded)}."
    )


def _parse_json(body: bytes, input_schema, metadata) -> ParsedRequest:
    """Mirror of ``mlflow.pyfunc.scoring_server._parse_json_data`` (private there)."""
    json_input = _decode_json(body)
    if is_unified_llm_input(json_input):
        params_schema = metadata.get_params_schema() if hasattr(metadata, "get_params_schema") else None
        names = {p.name for p in params_schema.params} if params_schema else set()
        data = {k: v for k, v in json_input.items() if k not in names}
        params = {k: v for k, v in json_input.items() if k in names}
        return ParsedRequest(data, params, unwrapped=True)
    data = {k: v for k, v in json_input.items() if k in SUPPORTED_FORMATS}
    params = json_input.get(SERVING_PARAMS_KEY)
    from_type_hint = (
        metadata._is_signature_from_type_hint()
        if hasattr(metadata, "_is_signature_from_type_hint") else False
    )
    if not from_type_hint:
        return ParsedRequest(infer_and_parse_data(data, input_schema), params)
    if INPUTS not in data:
        raise MlflowException.invalid_parameter_value(
            "Request payload must be a dictionary with 'inputs' key when "
            f"the model contains a valid type hint. Found keys in payload: {data.keys()}."
        )
    return ParsedRequest(data[INPUTS], params)


@_mlflow_errors
def parse_request(body: bytes, content_type: str | None, input_schema=None, *,
                  metadata=None) -> ParsedRequest:
    """Parse an ``/invocations`` body as MLflow does; raise ``ScoringError`` with MLflow's answer.

    ``input_schema`` is the model signature's input schema (``model.metadata.get_input_schema()``);
    ``metadata`` (the pyfunc ``Model``) is only needed for LLM params and type-hint signatures.
    """
    mime_type = _content_type(content_type)
    if mime_type == CONTENT_TYPE_CSV:
        try:
            text = body.decode("utf-8") if isinstance(body, bytes) else body
        except UnicodeDecodeError as ex:
            raise MlflowInvalidInputException(
                f"Ensure that input is a valid UTF-8 encoded string. Error: '{_short_repr(ex)}'"
            ) from ex
        return ParsedRequest(parse_csv_input(StringIO(text), schema=input_schema), None,
                             content_type=mime_type)
    if mime_type == CONTENT_TYPE_PARQUET:
        return ParsedRequest(parse_parquet_input(BytesIO(body)), None, content_type=mime_type)
    return _parse_json(body, input_schema, metadata)


@_mlflow_errors
def predict(model, request: ParsedRequest):
    """Call ``model.predict`` and translate failures as MLflow's ``invocations()`` does."""
    data, params = request.data, request.params
    try:
        if "params" in inspect.signature(model.predict).parameters:
            return model.predict(data, params=params)
        if params:
            _logger.warning("The model does not accept params; ignoring %s", params)
        return model.predict(data)
    except MlflowException as e:
        e.message = f"Failed to predict data '{data}'. \nError: {e.message}"
        raise
    except Exception as e:
        # Same body as MLflow's except for the stack_trace's outermost frame (this file, not theirs).
        raise MlflowException(
            message=(
                "Encountered an unexpected error while evaluating the model. Verify"
                " that the serialized input Dataframe is compatible with the model for"
                " inference."
            ),
            error_code=BAD_REQUEST,
            stack_trace=traceback.format_exc(),
        ) from e


@_mlflow_errors
def format_predictions(predictions, unwrapped: bool = False) -> bytes:
    """``{"predictions": ...}`` exactly as MLflow writes it (bare JSON for unified LLM input)."""
    if not unwrapped and isinstance(predictions, np.ndarray) and predictions.ndim == 1 and predictions.dtype.kind in "iu":
        # Integer classes, the compiled scorer's answer: the bytes MLflow's json.dump writes, without its encoder.
        return b'{"predictions": [' + ", ".join(map(str, predictions.tolist())).encode() + b"]}"
    out = StringIO()
    (unwrapped_predictions_to_json if unwrapped else predictions_to_json)(predictions, out)
    return out.getvalue().encode("utf-8")


def error_body(err: ScoringError) -> bytes:
    """The body MLflow sends with ``err.status``: JSON with ``error_code`` and ``message``, or text.
    Every text in it is cut to MESSAGE_CHARS, so an error body stays small whatever the input."""
    if err.error_code is None:
        return bounded(err.message).encode("utf-8")
    fields = {"error_code": err.error_code, "message": err.message, **err.extra}
    return json.dumps({k: bounded(v) if isinstance(v, str) else v for k, v in fields.items()}).encode("utf-8")


def logged_error_body(err: ScoringError) -> str:
    """What the inference table keeps of an error: its code and its message without the caller's data."""
    message = bounded(err.message, LOGGED_MESSAGE_CHARS) if err.own_wording else without_caller_data(err.message)
    return json.dumps({"error_code": err.error_code, "message": message})


def bounded(text: str, limit: int = MESSAGE_CHARS) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit:,} more characters not shown)"


def echo(body: bytes | str) -> str:
    """The input as MLflow quotes it back in an error, cut to ECHO_BYTES (MLflow quotes all of it)."""
    if len(body) <= ECHO_BYTES:
        return f"{body}"
    return f"{body[:ECHO_BYTES]}... ({len(body):,} bytes in all)"


def _short_repr(ex: Exception) -> str:
    """repr(ex), but a UnicodeDecodeError's repr holds the whole input: name its size instead when large."""
    if isinstance(ex, UnicodeDecodeError) and len(ex.object) > ECHO_BYTES:
        return f"UnicodeDecodeError({ex.encoding!r}, <{len(ex.object):,} bytes>, {ex.start}, {ex.end}, {ex.reason!r})"
    return repr(ex)


def without_caller_data(message: str) -> str:
    """An MLflow-worded error message up to where it starts quoting (MLflow quotes the input, the
    data it failed on and parser errors that hold both): its first line, cut at the first quote."""
    first = message.split("\n", 1)[0]
    quotes = [i for i in (first.find("'"), first.find('"')) if i >= 0]
    if quotes:
        first = first[:min(quotes)] + "..."
    return bounded(first, LOGGED_MESSAGE_CHARS)
