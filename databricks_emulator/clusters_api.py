"""Clusters API, the part a job submitter reads: `GET /api/2.1/clusters/list-node-types` (the SDK's path; 2.0 too)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from databricks_emulator.node_types import NODE_TYPES


async def list_node_types(_request: Request) -> JSONResponse:
    return JSONResponse({"node_types": [node.as_api() for node in NODE_TYPES.values()]})


def clusters_routes() -> list[Route]:
    return [Route(f"/api/{version}/clusters/list-node-types", list_node_types, methods=["GET"]) for version in ("2.0", "2.1")]
