"""The small pieces of HTTP the serving app and its admin API share: a reply, a JSON error, ASGI headers and bodies."""

from __future__ import annotations

import json
from dataclasses import dataclass

from lakegate.serving.protocol import JSON


@dataclass
class Reply:
    status: int
    body: bytes
    media_type: str = JSON
    headers: tuple[tuple[bytes, bytes], ...] = ()


def error_reply(status: int, code: str, message: str, *headers: tuple[bytes, bytes]) -> Reply:
    """A Databricks/MLflow-style error: `{"error_code", "message"}`."""
    return Reply(status, json.dumps({"error_code": code, "message": message}).encode(), JSON, tuple(headers))


def header(scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


class BodyTooLarge(Exception):
    def __init__(self, limit: int, declared: int | None = None):
        said = f" (Content-Length {declared:,})" if declared is not None else ""
        super().__init__(f"the request body{said} is larger than this server accepts: at most {limit:,} bytes "
                         "(serving.max_body_bytes); send fewer rows per request")


def declared_length(scope) -> int | None:
    value = header(scope, b"content-length")
    return int(value) if value is not None and value.isdigit() else None


async def read_body(receive, limit: int) -> bytes:
    """The whole body, or BodyTooLarge as soon as it passes `limit` (the rest is never buffered;
    uvicorn discards it, so the caller still reads the answer on the same connection)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def too_large_reply(exc: BodyTooLarge) -> Reply:
    return error_reply(413, "REQUEST_LIMIT_EXCEEDED", str(exc))
