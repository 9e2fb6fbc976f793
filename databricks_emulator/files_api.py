"""The Files API: `/api/2.0/fs/files/...` (raw bytes) and `/api/2.0/fs/directories/...` on volumes and workspace files."""

from __future__ import annotations

import shutil
from email.utils import formatdate
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from databricks_emulator.errors import ApiError
from databricks_emulator.storage import WorkspaceStorage

PAGE_SIZE = 1000


def _missing(path: str) -> ApiError:
    return ApiError(404, "NOT_FOUND", f"The path {path} does not exist.")


def _metadata_headers(local: Path) -> dict[str, str]:
    stat = local.stat()
    return {"content-length": str(stat.st_size), "content-type": "application/octet-stream",
            "last-modified": formatdate(stat.st_mtime, usegmt=True)}


class FilesApi:
    def __init__(self, storage: WorkspaceStorage) -> None:
        self.storage = storage

    def routes(self) -> list[Route]:
        return [
            Route("/api/2.0/fs/files{path:path}", self.file, methods=["GET", "HEAD", "PUT", "DELETE"]),
            Route("/api/2.0/fs/directories{path:path}", self.directory, methods=["GET", "HEAD", "PUT", "DELETE"]),
        ]

    async def file(self, request: Request) -> Response:
        path = request.path_params["path"]
        local = self.storage.files_api_path(path)
        if request.method == "PUT":
            overwrite = request.query_params.get("overwrite", "true").lower() != "false"
            if local.is_dir() or (local.exists() and not overwrite):
                raise ApiError(409, "ALREADY_EXISTS", f"The file {path} already exists.")
            local.parent.mkdir(parents=True, exist_ok=True)
            local.write_bytes(await request.body())
            return Response(status_code=204)
        if not local.is_file():
            raise _missing(path)
        if request.method == "DELETE":
            local.unlink()
            return Response(status_code=204)
        headers = _metadata_headers(local)
        if request.method == "HEAD":
            return Response(status_code=200, headers=headers)
        return Response(local.read_bytes(), status_code=200, headers=headers)

    async def directory(self, request: Request) -> Response:
        path = request.path_params["path"].rstrip("/") or "/"
        local = self.storage.files_api_path(path)
        if request.method == "PUT":
            if local.is_file():
                raise ApiError(409, "ALREADY_EXISTS", f"A file exists at {path}.")
            local.mkdir(parents=True, exist_ok=True)
            return Response(status_code=204)
        if not local.is_dir():
            raise _missing(path)
        if request.method == "DELETE":
            if any(local.iterdir()):
                raise ApiError(400, "DIRECTORY_NOT_EMPTY", f"The directory {path} is not empty.")
            shutil.rmtree(local)
            return Response(status_code=204)
        if request.method == "HEAD":
            return Response(status_code=200)
        return JSONResponse(self._listing(path, local, request))

    def _listing(self, path: str, local: Path, request: Request) -> dict:
        entries = sorted(local.iterdir())
        start = int(request.query_params.get("page_token") or 0)
        size = int(request.query_params.get("page_size") or PAGE_SIZE)
        page = entries[start:start + size]
        listing: dict = {"contents": [self._entry(path, entry) for entry in page]}
        if start + size < len(entries):
            listing["next_page_token"] = str(start + size)
        return listing

    @staticmethod
    def _entry(parent: str, local: Path) -> dict:
        entry = {"path": f"{parent.rstrip('/')}/{local.name}", "name": local.name, "is_directory": local.is_dir()}
        if local.is_file():
            stat = local.stat()
            entry |= {"file_size": stat.st_size, "last_modified": int(stat.st_mtime * 1000)}
        return entry
