"""Unity Catalog REST: catalogs, schemas and tables (`/api/2.1/unity-catalog/...`), and model aliases.

Model aliases are kept by the MLflow server: `PUT|DELETE .../models/{full_name}/aliases/{alias}`
sets or deletes the alias of the registered model of that name there.
"""

from __future__ import annotations

import requests
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from databricks_emulator.errors import ApiError, invalid_parameter
from databricks_emulator.mlflow_backend import MlflowServer
from databricks_emulator.unity_catalog import UnityCatalog, split_name

BASE = "/api/2.1/unity-catalog"


class UnityCatalogApi:
    def __init__(self, catalog: UnityCatalog, mlflow: MlflowServer) -> None:
        self.uc = catalog
        self.mlflow = mlflow

    def routes(self) -> list[Route]:
        return [
            Route(f"{BASE}/catalogs", self.catalogs, methods=["GET", "POST"]),
            Route(f"{BASE}/catalogs/{{name}}", self.catalog, methods=["GET"]),
            Route(f"{BASE}/schemas", self.schemas, methods=["GET", "POST"]),
            Route(f"{BASE}/schemas/{{full_name}}", self.schema, methods=["GET"]),
            Route(f"{BASE}/tables", self.tables, methods=["GET"]),
            Route(f"{BASE}/tables/{{full_name}}", self.table, methods=["GET"]),
            Route(f"{BASE}/models/{{full_name}}/aliases/{{alias}}", self.alias, methods=["PUT", "DELETE"]),
        ]

    async def catalogs(self, request: Request) -> JSONResponse:
        if request.method == "POST":
            return JSONResponse(self.uc.create_catalog((await request.json()).get("name", "")))
        return JSONResponse({"catalogs": self.uc.catalogs()})

    async def catalog(self, request: Request) -> JSONResponse:
        return JSONResponse(self.uc.catalog(request.path_params["name"]))

    async def schemas(self, request: Request) -> JSONResponse:
        if request.method == "POST":
            body = await request.json()
            return JSONResponse(self.uc.create_schema(body.get("catalog_name", ""), body.get("name", "")))
        return JSONResponse({"schemas": self.uc.schemas(request.query_params.get("catalog_name", ""))})

    async def schema(self, request: Request) -> JSONResponse:
        return JSONResponse(self.uc.schema(request.path_params["full_name"]))

    async def tables(self, request: Request) -> JSONResponse:
        query = request.query_params
        tables = await run_in_threadpool(self.uc.tables, query.get("catalog_name", ""), query.get("schema_name", ""))
        return JSONResponse({"tables": tables})

    async def table(self, request: Request) -> JSONResponse:
        return JSONResponse(await run_in_threadpool(self.uc.table, request.path_params["full_name"]))

    async def alias(self, request: Request) -> JSONResponse:
        full_name, alias = request.path_params["full_name"], request.path_params["alias"]
        split_name(full_name, 3)
        url = f"{await run_in_threadpool(self.mlflow.ensure_running)}/api/2.0/mlflow/registered-models/alias"
        if request.method == "DELETE":
            await run_in_threadpool(self._mlflow, "DELETE", url, {"name": full_name, "alias": alias})
            return JSONResponse({})
        version = (await request.json()).get("version_num")
        if version is None:
            raise invalid_parameter("version_num must be provided.")
        await run_in_threadpool(self._mlflow, "POST", url, {"name": full_name, "alias": alias, "version": str(version)})
        return JSONResponse({"alias_name": alias, "version_num": int(version)})

    @staticmethod
    def _mlflow(method: str, url: str, body: dict) -> None:
        answer = requests.request(method, url, json=body, timeout=30)
        if answer.status_code >= 400:
            error = answer.json() if answer.headers.get("content-type", "").startswith("application/json") else {}
            raise ApiError(answer.status_code, error.get("error_code", "INTERNAL_ERROR"),
                           error.get("message", answer.text))
