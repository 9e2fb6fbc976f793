"""Jobs API 2.2 one-time runs: `/api/2.2/jobs/runs/submit|get|cancel|get-output` (2.1 paths too)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from databricks_emulator.errors import invalid_parameter
from databricks_emulator.runs import RunService


def _run_id(raw: object) -> int:
    try:
        return int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise invalid_parameter(f"Invalid run_id: {raw!r}.") from None


class JobsApi:
    def __init__(self, runs: RunService) -> None:
        self.runs = runs

    def routes(self) -> list[Route]:
        routes = []
        for version in ("2.1", "2.2"):
            base = f"/api/{version}/jobs/runs"
            routes += [Route(f"{base}/submit", self.submit, methods=["POST"]),
                       Route(f"{base}/get", self.get, methods=["GET"]),
                       Route(f"{base}/cancel", self.cancel, methods=["POST"]),
                       Route(f"{base}/get-output", self.get_output, methods=["GET"])]
        return routes

    async def submit(self, request: Request) -> JSONResponse:
        body = await request.json()
        return JSONResponse({"run_id": await run_in_threadpool(self.runs.submit, body)})

    async def get(self, request: Request) -> JSONResponse:
        return JSONResponse(self.runs.get(_run_id(request.query_params.get("run_id"))))

    async def cancel(self, request: Request) -> JSONResponse:
        self.runs.cancel(_run_id((await request.json()).get("run_id")))
        return JSONResponse({})

    async def get_output(self, request: Request) -> JSONResponse:
        return JSONResponse(self.runs.output(_run_id(request.query_params.get("run_id"))))
