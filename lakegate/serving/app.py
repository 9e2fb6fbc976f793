"""A minimal scoring app with the routes and answers of MLflow's scoring server (no auth, no traffic split)."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI, Request
from fastapi.responses import Response

from lakegate.serving.protocol import (
    JSON,
    ScoringError,
    error_body,
    format_predictions,
    parse_request,
    predict,
)


def _invoke(model, body: bytes, content_type: str | None) -> tuple[int, bytes, str]:
    try:
        parsed = parse_request(body, content_type, model.metadata.get_input_schema(), metadata=model.metadata)
        return 200, format_predictions(predict(model, parsed), unwrapped=parsed.unwrapped), JSON
    except ScoringError as err:
        return err.status, error_body(err), err.media_type


def scoring_app(model) -> FastAPI:
    """``POST /invocations``, ``GET /ping``, ``GET /health``, ``GET /version`` for a pyfunc model (or its URI)."""
    import mlflow.pyfunc
    from mlflow.environment_variables import MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT
    from mlflow.version import VERSION

    if isinstance(model, str):
        model = mlflow.pyfunc.load_model(model)
    timeout = MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT.get()
    app = FastAPI()

    @app.middleware("http")
    async def timeout_middleware(request: Request, call_next):
        try:
            return await asyncio.wait_for(call_next(request), timeout=timeout)
        except (asyncio.TimeoutError, TimeoutError):
            return Response(content="Request processing time exceeded limit", status_code=504, media_type=JSON)

    async def ping():
        return Response(content="\n", status_code=200 if model is not None else 404, media_type=JSON)

    app.get("/ping")(ping)
    app.get("/health")(ping)

    @app.get("/version")
    async def version():
        return Response(content=VERSION, status_code=200, media_type=JSON)

    @app.post("/invocations")
    async def invocations(request: Request):
        body = await request.body()
        status, content, media_type = await asyncio.to_thread(
            _invoke, model, body, request.headers.get("content-type")
        )
        return Response(content=content, status_code=status, media_type=media_type)

    return app
