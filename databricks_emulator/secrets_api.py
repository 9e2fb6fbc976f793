"""Secrets: `/api/2.0/secrets/scopes/create|list`, `/api/2.0/secrets/put|list` (values are never returned)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from databricks_emulator.secrets import SecretStore, secret_bytes


class SecretsApi:
    def __init__(self, store: SecretStore) -> None:
        self.store = store

    def routes(self) -> list[Route]:
        base = "/api/2.0/secrets"
        return [Route(f"{base}/scopes/create", self.create_scope, methods=["POST"]),
                Route(f"{base}/scopes/list", self.list_scopes, methods=["GET"]),
                Route(f"{base}/put", self.put, methods=["POST"]),
                Route(f"{base}/list", self.list_secrets, methods=["GET"])]

    async def create_scope(self, request: Request) -> JSONResponse:
        self.store.create_scope((await request.json()).get("scope", ""))
        return JSONResponse({})

    async def list_scopes(self, _request: Request) -> JSONResponse:
        return JSONResponse({"scopes": [{"name": name, "backend_type": "DATABRICKS"} for name in self.store.scopes()]})

    async def put(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.store.put(body.get("scope", ""), body.get("key", ""), secret_bytes(body))
        return JSONResponse({})

    async def list_secrets(self, request: Request) -> JSONResponse:
        return JSONResponse({"secrets": self.store.keys(request.query_params.get("scope", ""))})
