"""The serving worker: a plain ASGI app (no framework on the hot path) run by uvicorn.

Routes (every one needs a bearer token; `invoke` for scoring and health, `admin` for management):
- `POST /serving-endpoints/<name>/invocations` (Databricks) and `POST /invocations` (MLflow; the
  server's default endpoint): MLflow's scoring protocol, bodies and errors as `mlflow models serve`.
- `GET /ping`, `/health`, `/version`, `/metrics` (Prometheus text).
- `/api/2.0/serving-endpoints[...]`: the admin API, in Databricks' shapes (lakegate/serving/admin.py).
Scoring answers name the served entity and model version in headers; each is logged to the
inference table off the request path.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Awaitable, Callable

from lakegate.serving.auth import Tokens
from lakegate.serving.http import (
    BodyTooLarge,
    Reply,
    declared_length,
    error_reply,
    header,
    read_body,
    too_large_reply,
)
from lakegate.serving.inference_log import InferenceRecord
from lakegate.serving.metrics import ServingMetrics
from lakegate.serving.models import Answer, Scoring
from lakegate.serving.routing import RoutingTable

_logger = logging.getLogger(__name__)

SERVED_ENTITY_HEADER = b"x-lakegate-served-entity"
MODEL_VERSION_HEADER = b"x-lakegate-model-version"
REQUEST_ID_HEADER = b"x-request-id"
INVOCATIONS_PREFIX = "/serving-endpoints/"
ADMIN_PREFIX = "/api/2.0/serving-endpoints"

Send = Callable[[dict], Awaitable[None]]


@dataclass(frozen=True)
class RequestLimits:
    """Bounds on one request (environment `serving` section; docs/decisions/0014)."""

    max_body_bytes: int
    max_rows: int
    offload_bytes: int  # bodies this large are scored in a thread, one at a time per worker


class ServingApp:
    def __init__(self, routing: RoutingTable, tokens: Tokens, metrics: ServingMetrics, inference_log, admin,
                 default_endpoint: str | None, mlflow_version: str, limits: RequestLimits,
                 on_shutdown: Callable[[], None] | None = None):
        self.routing = routing
        self.tokens = tokens
        self.metrics = metrics
        self.inference_log = inference_log
        self.admin = admin
        self.default_endpoint = default_endpoint
        self.mlflow_version = mlflow_version.encode()
        self.limits = limits
        self.on_shutdown = on_shutdown
        self._watcher: asyncio.Task | None = None
        self._large = asyncio.Semaphore(1)  # large requests queue here, not in the event loop

    async def __call__(self, scope, receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return await self._lifespan(receive, send)
        if scope["type"] != "http":
            return
        reply = await self._handle(scope, receive)
        headers = [(b"content-type", reply.media_type.encode()), (b"content-length", str(len(reply.body)).encode()),
                   *reply.headers]
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        await send({"type": "http.response.body", "body": reply.body})

    async def _lifespan(self, receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._watcher = asyncio.get_running_loop().create_task(self.routing.watch())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._watcher:
                    self._watcher.cancel()
                if self.on_shutdown:
                    self.on_shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _handle(self, scope, receive) -> Reply:
        path, method = scope["path"], scope["method"]
        scopes = self.tokens.scopes(header(scope, b"authorization"))
        if path.startswith(ADMIN_PREFIX):
            if "admin" not in scopes:
                return self._refused("admin", scopes)
            try:
                body = await self._body(scope, receive)
            except BodyTooLarge as exc:
                return too_large_reply(exc)
            return await asyncio.to_thread(self.admin.handle, method, path[len(ADMIN_PREFIX):], body, scope)
        if path == "/invocations" or (path.startswith(INVOCATIONS_PREFIX) and path.endswith("/invocations")):
            name = self.default_endpoint if path == "/invocations" else path[len(INVOCATIONS_PREFIX):-len("/invocations")]
            return await self._invoke(name, scope, receive, scopes)
        if "invoke" not in scopes:
            return self._refused("invoke", scopes)
        if method == "GET" and path in ("/ping", "/health"):
            return Reply(200 if self.routing.routes else 404, b"\n")
        if method == "GET" and path == "/version":
            return Reply(200, self.mlflow_version)
        if method == "GET" and path == "/metrics":
            return Reply(200, await asyncio.to_thread(self.metrics.exposition), "text/plain; version=0.0.4; charset=utf-8")
        return Reply(404, b'{"detail":"Not Found"}')  # what MLflow's scoring server (FastAPI) answers

    async def _body(self, scope, receive) -> bytes:
        declared = declared_length(scope)
        if declared is not None and declared > self.limits.max_body_bytes:
            raise BodyTooLarge(self.limits.max_body_bytes, declared)  # answered before a byte is read
        return await read_body(receive, self.limits.max_body_bytes)

    def _refused(self, needed: str, granted: frozenset[str]) -> Reply:
        self.metrics.auth_failures.labels(needed).inc()
        if granted:
            return error_reply(403, "PERMISSION_DENIED", f"this token does not grant the {needed} scope")
        return error_reply(401, "UNAUTHENTICATED", f"a bearer token with the {needed} scope is required "
                                              "(Authorization: Bearer <token>)", (b"www-authenticate", b"Bearer"))

    async def _invoke(self, name: str | None, scope, receive, scopes: frozenset[str]) -> Reply:
        """Every answer for an endpoint this server serves is logged, refusals and failures too.
        Requests for an unknown endpoint are not: it has no table, and its name is the caller's."""
        routes = self.routing.routes.get(name) if name else None
        if routes is None:
            if "invoke" not in scopes:
                return self._refused("invoke", scopes)
            return error_reply(404, "RESOURCE_DOES_NOT_EXIST", self._no_endpoint_message(name))
        started = time.perf_counter()
        request_time = dt.datetime.now(dt.timezone.utc)
        model, answer = None, None
        if "invoke" not in scopes:
            refusal = self._refused("invoke", scopes)
        elif scope["method"] != "POST":
            refusal = error_reply(405, "BAD_REQUEST", f"{scope['method']} is not allowed on {scope['path']}; use POST")
        else:
            try:
                body, refusal = await self._body(scope, receive), None
            except BodyTooLarge as exc:
                refusal = too_large_reply(exc)
        if refusal is not None:
            answer = Answer(refusal.status, refusal.body, refusal.media_type,
                            error_code=json.loads(refusal.body)["error_code"])
        else:
            model = routes.pick()
            answer = await self._answer(model, body, header(scope, b"content-type"))
        latency = time.perf_counter() - started
        request_id = uuid.uuid4().hex
        entity = model.entity.name if model else None
        self.metrics.observe(name, entity or "", answer.status, latency, answer.n_rows)
        self._log(request_id, request_time, name, model, answer, latency)  # durable before the answer leaves
        headers = [(REQUEST_ID_HEADER, request_id.encode())]
        if model is not None:
            headers += [(SERVED_ENTITY_HEADER, entity.encode()), (MODEL_VERSION_HEADER, model.version_label.encode())]
        return Reply(answer.status, answer.body, answer.media_type, (*headers, *(refusal.headers if refusal else ())))

    async def _answer(self, model, body: bytes, content_type: bytes | None) -> Answer:
        content_type = content_type and content_type.decode("latin-1")
        max_rows = self.limits.max_rows
        if len(body) >= self.limits.offload_bytes:  # one large request must not stall the small ones
            async with self._large:
                return await asyncio.to_thread(model.answer, body, content_type, max_rows)
        if model.scorer is None:  # MLflow's pyfunc path can take tens of ms: keep the loop free
            return await asyncio.to_thread(model.answer, body, content_type, max_rows)
        prepared = model.prepare(body, content_type, max_rows)
        if not isinstance(prepared, Scoring):
            return prepared
        try:  # scored with the other requests of this loop turn (lakegate/serving/batching.py)
            scores = await model.batcher.score(prepared.model_input)
        except Exception:  # noqa: BLE001 - a bug of ours must still answer, and be logged
            return model.failed()
        return model.finish(prepared, scores)

    def _no_endpoint_message(self, name: str | None) -> str:
        known = ", ".join(sorted(self.routing.routes)) or "none"
        if name is None:
            return ("POST /invocations needs a default endpoint: this server serves several (or none); start it with "
                    f"--endpoint NAME or call /serving-endpoints/<name>/invocations. Endpoints: {known}")
        return f"no serving endpoint {name!r} is ready on this server; endpoints: {known}"

    def _log(self, request_id: str, when: dt.datetime, endpoint: str, model, answer: Answer, latency: float) -> None:
        entity = model.entity if model is not None else None
        self.inference_log.log(InferenceRecord(
            request_id=request_id, timestamp=when, endpoint=endpoint, served_entity=entity and entity.name,
            model_name=entity and entity.entity_name, model_version=entity and entity.entity_version,
            status_code=answer.status, error_code=answer.error_code, latency_ms=latency * 1000.0,
            n_rows=answer.n_rows, features=answer.features,
            response=answer.logged_body if answer.logged_body is not None else answer.body.decode("utf-8", "replace"),
            scores=answer.scores, record_keys=answer.record_keys,
        ))
