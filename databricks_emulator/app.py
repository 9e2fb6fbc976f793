"""The emulator's ASGI app: bearer-token auth, Databricks' error bodies and every API's routes."""

from __future__ import annotations

import contextlib
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from databricks_emulator.errors import ApiError, api_error_handler, error_response

WORKSPACE_ID = "1000000000000001"
OPEN_PATHS = ("/.well-known/databricks-config",)


class BearerTokenAuth:
    """Every request but host discovery needs `Authorization: Bearer <token>`; 401 otherwise."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in OPEN_PATHS:
            sent = dict(scope["headers"]).get(b"authorization", b"")
            if not hmac.compare_digest(sent, self.expected):
                message = "Invalid access token." if sent else "Credential was not sent or was of an unsupported type."
                await error_response(401, "UNAUTHENTICATED", message)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _discovery(host_url: str):
    async def databricks_config(_request: Request) -> JSONResponse:
        return JSONResponse({"workspace_id": WORKSPACE_ID, "oidc_endpoint": f"{host_url}/oidc", "cloud": "emulator"})
    return databricks_config


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error_response(404, "ENDPOINT_NOT_FOUND", f"No API found for '{request.method} {request.url.path}'")
    return error_response(exc.status_code, "BAD_REQUEST", str(exc.detail))


async def _malformed(_request: Request, exc: Exception) -> JSONResponse:
    return error_response(400, "MALFORMED_REQUEST", f"Could not parse the request body as JSON: {exc}")


def build_app(host_url: str, token: str, route_groups: list[list[Route]],
              on_shutdown: Callable[[], Awaitable[None]]) -> ASGIApp:
    routes = [Route("/.well-known/databricks-config", _discovery(host_url), methods=["GET"])]
    for group in route_groups:
        routes += group

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await on_shutdown()

    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={
        ApiError: api_error_handler, HTTPException: _http_error, json.JSONDecodeError: _malformed})
    return BearerTokenAuth(app, token)
