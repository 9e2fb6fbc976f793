"""What a silver build records in its commit so that the next build can add only new bronze rows.

The silver commit's userMetadata (`STATE_KEY`) holds the build's fingerprint, the bronze version
and row count it covered, the latest `_ingested_at` among those rows, and its counts (rows kept,
failures per expectation). Decision 0042 says when the next build may trust it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import inspect
import json
import uuid
from dataclasses import asdict, dataclass, field

from lakegate.lake import Lake
from lakehouse_assets.silver.table import SilverTable

STATE_KEY = "lakegate.silver"

# Code whose change changes what a bronze row becomes in silver (with the table's conform module).
_RULE_MODULES = ("lakegate.pii", "lakehouse_assets.expectations", "lakehouse_assets.silver.conform",
                 "lakehouse_assets.silver.latest", "lakehouse_assets.silver.rows",
                 "lakehouse_assets.silver.increment")


@dataclass(frozen=True)
class SilverState:
    fingerprint: str
    bronze_version: int
    bronze_rows: int
    kept_rows: int
    max_ingested_micros: int | None  # None: no bronze row yet
    failed: dict[str, int] = field(default_factory=dict)  # expectation name -> failed rows

    def as_metadata(self) -> dict:
        return {STATE_KEY: asdict(self)}


def fingerprint(table: SilverTable, hmac_key: bytes, now: dt.datetime) -> str:
    """Everything a silver row depends on besides its bronze row: the table's declaration, the code
    that conforms and judges it, the pseudonymization key, and the UTC date (expectations and age
    bands read the current date, so a new day rebuilds from every bronze row)."""
    modules = [inspect.getmodule(table.conform), *(importlib.import_module(m) for m in _RULE_MODULES)]
    parts = [repr((table.source, table.expectations, table.key, table.columns, table.minimized)),
             table.conform.__qualname__, now.astimezone(dt.timezone.utc).date().isoformat(),
             *(_source(m) for m in modules)]
    digest = hashlib.sha256(hmac_key)
    for part in parts:
        digest.update(part.encode())
    return digest.hexdigest()


def _source(module) -> str:
    """The module's source; where it has none (bytecode only), a value no later build repeats, so
    every build is a full one rather than one that might trust changed code."""
    try:
        return inspect.getsource(module)
    except (OSError, TypeError):
        return uuid.uuid4().hex


def previous_state(lake: Lake, silver_name: str, bronze_name: str, bronze_version: int,
                   expected_fingerprint: str) -> SilverState | None:
    """The state the latest silver commit recorded, if this build may continue from it: same
    fingerprint, and every bronze commit since is a plain append (nothing rewritten or deleted)."""
    raw = lake.user_metadata(silver_name).get(STATE_KEY)
    try:
        state = SilverState(**raw) if raw else None
    except TypeError:  # recorded by another version of this module
        return None
    if state is None or state.fingerprint != expected_fingerprint or bronze_version < state.bronze_version:
        return None
    for commit in lake.history(bronze_name):
        if commit.get("version", -1) > state.bronze_version and not _is_append(commit):
            return None
    return state


def _is_append(commit: dict) -> bool:
    params = commit.get("operationParameters") or {}
    if isinstance(params, str):
        params = json.loads(params)
    return commit.get("operation") == "WRITE" and params.get("mode") == "Append"
