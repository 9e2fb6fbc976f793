"""Model serving: MLflow's scoring protocol (``POST /invocations``), wire-compatible with ``mlflow models serve``."""

from lakegate.serving.protocol import (
    ParsedRequest,
    ScoringError,
    error_body,
    format_predictions,
    parse_request,
    predict,
)

__all__ = ["ParsedRequest", "ScoringError", "error_body", "format_predictions", "parse_request", "predict"]
