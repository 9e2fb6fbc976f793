"""Serving endpoints REST: `/api/2.0/serving-endpoints[...]` and `/serving-endpoints/{name}/invocations`."""

from __future__ import annotations

import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from databricks_emulator.payload_tables import Captured, PayloadTables
from databricks_emulator.serving import ServingEndpoints, now_ms
from databricks_emulator.served_models import score


class ServingApi:
    def __init__(self, endpoints: ServingEndpoints, payloads: PayloadTables) -> None:
        self.endpoints, self.payloads = endpoints, payloads

    def routes(self) -> list[Route]:
        base = "/api/2.0/serving-endpoints"
        return [
            Route(base, self.collection, methods=["GET", "POST"]),
            Route(f"{base}/{{name}}", self.item, methods=["GET", "DELETE"]),
            Route(f"{base}/{{name}}/config", self.update_config, methods=["PUT"]),
            Route(f"{base}/{{name}}/tags", self.patch_tags, methods=["PATCH"]),
            Route("/serving-endpoints/{name}/invocations", self.invoke, methods=["POST"]),
        ]

    async def collection(self, request: Request) -> JSONResponse:
        if request.method == "GET":
            return JSONResponse({"endpoints": self.endpoints.list()})
        return JSONResponse(self.endpoints.create(await request.json()))

    async def item(self, request: Request) -> JSONResponse:
        name = request.path_params["name"]
        if request.method == "DELETE":
            self.endpoints.delete(name)
            return JSONResponse({})
        return JSONResponse(self.endpoints.get(name))

    async def update_config(self, request: Request) -> JSONResponse:
        return JSONResponse(self.endpoints.update_config(request.path_params["name"], await request.json()))

    async def patch_tags(self, request: Request) -> JSONResponse:
        return JSONResponse(self.endpoints.patch_tags(request.path_params["name"], await request.json()))

    async def invoke(self, request: Request) -> Response:
        name, arrived = request.path_params["name"], now_ms()
        entity, capture = self.endpoints.route(name)
        body = await request.body()
        content_type = request.headers.get("content-type", "application/json")

        def load_and_score() -> tuple[bytes | str, int, str, int]:
            models, version = self.endpoints.models, (entity["entity_name"], entity["entity_version"])
            model = models.load(*version)
            with models.replica(*version):
                started = time.perf_counter()
                answer, status, mimetype = score(model, body, content_type)
                return answer, status, mimetype, round((time.perf_counter() - started) * 1000)

        answer, status, mimetype, execution_ms = await run_in_threadpool(load_and_score)
        if capture:
            self.payloads.record(Captured(capture, name, entity, body, answer, status, arrived, execution_ms))
        return Response(answer, status_code=status, media_type=mimetype,
                        headers={"served-model-name": entity["name"]})
