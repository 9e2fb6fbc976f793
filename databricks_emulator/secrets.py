"""Secret scopes under `<root>/secrets/<scope>/<key>` (files readable by the emulator's user only),
and the `{{secrets/<scope>/<key>}}` references a job cluster's `spark_env_vars` may hold, which a
workspace resolves when the cluster starts: the task sees the value, the run's spec only the reference.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

from databricks_emulator.errors import already_exists, invalid_parameter, not_found

NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,128}$")  # Databricks' scope and key names
REFERENCE = re.compile(r"^\{\{secrets/([^/{}]+)/([^/{}]+)\}\}$")


class SecretStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _scope(self, scope: str) -> Path:
        if not NAME.match(scope or ""):
            raise invalid_parameter(f"Scope name {scope!r} is invalid: use letters, digits, '_', '-' and '.'.")
        return self.root / scope

    def create_scope(self, scope: str) -> None:
        folder = self._scope(scope)
        if folder.exists():
            raise already_exists(f"Scope {scope} already exists!")
        folder.mkdir(parents=True, mode=0o700)

    def scopes(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir()) if self.root.is_dir() else []

    def put(self, scope: str, key: str, value: bytes) -> None:
        folder = self._existing(scope)
        if not NAME.match(key or ""):
            raise invalid_parameter(f"Secret key {key!r} is invalid: use letters, digits, '_', '-' and '.'.")
        path = folder / key
        path.touch(mode=0o600)
        path.write_bytes(value)

    def keys(self, scope: str) -> list[dict]:
        return [{"key": p.name, "last_updated_timestamp": int(p.stat().st_mtime * 1000)}
                for p in sorted(self._existing(scope).iterdir())]

    def value(self, scope: str, key: str) -> bytes:
        path = self._existing(scope) / key
        if not NAME.match(key) or not path.is_file():
            raise not_found(f"Secret does not exist with scope: {scope} and key: {key}")
        return path.read_bytes()

    def resolve(self, value: str) -> str:
        """A spark_env_vars value with its secret reference (a whole-value `{{secrets/s/k}}`) resolved."""
        match = REFERENCE.match(value)
        return self.value(*match.groups()).decode() if match else value

    def _existing(self, scope: str) -> Path:
        folder = self._scope(scope)
        if not folder.is_dir():
            raise not_found(f"Scope {scope} does not exist!")
        return folder


def secret_bytes(body: dict) -> bytes:
    """A put request's value: `string_value`, or `bytes_value` (base64), exactly one of them."""
    if ("string_value" in body) == ("bytes_value" in body):
        raise invalid_parameter("Exactly one of string_value and bytes_value must be specified.")
    if "string_value" in body:
        return str(body["string_value"]).encode()
    return base64.b64decode(body["bytes_value"])
