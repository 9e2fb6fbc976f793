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


async def read_body(receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)
