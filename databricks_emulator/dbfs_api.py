"""DBFS: `/api/2.0/dbfs/...`, with base64 contents, read offsets and streaming handles as the SDK uses them."""

from __future__ import annotations

import base64
import binascii
import itertools
import shutil
import threading
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from databricks_emulator.errors import ApiError, invalid_parameter
from databricks_emulator.storage import WorkspaceStorage

MAX_BLOCK_BYTES = 1024 * 1024  # put contents and add-block data: 1 MB, as on Databricks
MAX_READ_BYTES = 1024 * 1024
DEFAULT_READ_BYTES = 512 * 1024


def _missing(path: str) -> ApiError:
    return ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"No file or directory exists on path {path}.")


def _exists(path: str) -> ApiError:
    return ApiError(400, "RESOURCE_ALREADY_EXISTS", f"A file or directory already exists at the input path {path}.")


def _decode(data: str) -> bytes:
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as error:
        raise invalid_parameter(f"Contents must be base64 encoded: {error}") from None
    if len(raw) > MAX_BLOCK_BYTES:
        raise ApiError(400, "MAX_BLOCK_SIZE_EXCEEDED", f"The block of data exceeds the {MAX_BLOCK_BYTES} byte limit.")
    return raw


def file_info(storage: WorkspaceStorage, local: Path) -> dict:
    stat = local.stat()
    info = {"path": storage.dbfs_name(local), "is_dir": local.is_dir(),
            "modification_time": int(stat.st_mtime * 1000)}
    if not local.is_dir():
        info["file_size"] = stat.st_size
    return info


class DbfsApi:
    def __init__(self, storage: WorkspaceStorage) -> None:
        self.storage = storage
        self._handles: dict[int, Path] = {}
        self._handle_ids = itertools.count(1)
        self._lock = threading.Lock()

    def routes(self) -> list[Route]:
        base = "/api/2.0/dbfs"
        return [
            Route(f"{base}/get-status", self.get_status, methods=["GET"]),
            Route(f"{base}/list", self.list, methods=["GET"]),
            Route(f"{base}/mkdirs", self.mkdirs, methods=["POST"]),
            Route(f"{base}/put", self.put, methods=["POST"]),
            Route(f"{base}/read", self.read, methods=["GET"]),
            Route(f"{base}/delete", self.delete, methods=["POST"]),
            Route(f"{base}/move", self.move, methods=["POST"]),
            Route(f"{base}/create", self.create, methods=["POST"]),
            Route(f"{base}/add-block", self.add_block, methods=["POST"]),
            Route(f"{base}/close", self.close, methods=["POST"]),
        ]

    def _existing(self, path: str) -> Path:
        local = self.storage.dbfs_path(path)
        if not local.exists():
            raise _missing(path)
        return local

    async def get_status(self, request: Request) -> JSONResponse:
        return JSONResponse(file_info(self.storage, self._existing(request.query_params.get("path", ""))))

    async def list(self, request: Request) -> JSONResponse:
        local = self._existing(request.query_params.get("path", ""))
        entries = sorted(local.iterdir()) if local.is_dir() else [local]
        return JSONResponse({"files": [file_info(self.storage, entry) for entry in entries]})

    async def mkdirs(self, request: Request) -> JSONResponse:
        path = (await request.json()).get("path", "")
        local = self.storage.dbfs_path(path)
        if any(parent.is_file() for parent in [local, *local.parents]):
            raise _exists(path)
        local.mkdir(parents=True, exist_ok=True)
        return JSONResponse({})

    async def put(self, request: Request) -> JSONResponse:
        body = await request.json()
        path = body.get("path", "")
        local = self._writable(path, bool(body.get("overwrite")))
        local.write_bytes(_decode(body.get("contents", "")))
        return JSONResponse({})

    def _writable(self, path: str, overwrite: bool) -> Path:
        local = self.storage.dbfs_path(path)
        if local.is_dir() or (local.exists() and not overwrite):
            raise _exists(path)
        local.parent.mkdir(parents=True, exist_ok=True)
        return local

    async def read(self, request: Request) -> JSONResponse:
        path = request.query_params.get("path", "")
        offset = int(request.query_params.get("offset", 0))
        length = int(request.query_params.get("length", DEFAULT_READ_BYTES))
        if offset < 0 or length < 0:
            raise invalid_parameter("offset and length must be non-negative.")
        if length > MAX_READ_BYTES:
            raise ApiError(400, "MAX_READ_SIZE_EXCEEDED", f"Cannot read more than {MAX_READ_BYTES} bytes at once.")
        local = self._existing(path)
        if local.is_dir():
            raise ApiError(400, "NOT_A_FILE", f"The path {path} is a directory, not a file.")
        with local.open("rb") as handle:
            handle.seek(offset)
            chunk = handle.read(length)
        return JSONResponse({"bytes_read": len(chunk), "data": base64.b64encode(chunk).decode()})

    async def delete(self, request: Request) -> JSONResponse:
        body = await request.json()
        local = self.storage.dbfs_path(body.get("path", ""))
        if local.is_dir():
            if any(local.iterdir()) and not body.get("recursive"):
                raise ApiError(400, "IO_ERROR", f"Directory {body['path']} is not empty; use recursive delete.")
            shutil.rmtree(local)
        elif local.exists():
            local.unlink()
        return JSONResponse({})  # deleting a missing path succeeds, as on DBFS

    async def move(self, request: Request) -> JSONResponse:
        body = await request.json()
        source = self._existing(body.get("source_path", ""))
        target = self.storage.dbfs_path(body.get("destination_path", ""))
        if target.exists():
            raise _exists(body["destination_path"])
        target.parent.mkdir(parents=True, exist_ok=True)
        source.rename(target)
        return JSONResponse({})

    async def create(self, request: Request) -> JSONResponse:
        body = await request.json()
        local = self._writable(body.get("path", ""), bool(body.get("overwrite")))
        local.write_bytes(b"")
        with self._lock:
            handle = next(self._handle_ids)
            self._handles[handle] = local
        return JSONResponse({"handle": handle})

    def _handle(self, body: dict) -> Path:
        with self._lock:
            local = self._handles.get(int(body.get("handle", -1)))
        if local is None:
            raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"The handle {body.get('handle')} does not exist.")
        return local

    async def add_block(self, request: Request) -> JSONResponse:
        body = await request.json()
        with self._handle(body).open("ab") as handle:
            handle.write(_decode(body.get("data", "")))
        return JSONResponse({})

    async def close(self, request: Request) -> JSONResponse:
        body = await request.json()
        self._handle(body)
        with self._lock:
            self._handles.pop(int(body["handle"]), None)
        return JSONResponse({})
