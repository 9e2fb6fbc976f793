"""The local control plane: endpoint state in one file that every serving worker watches.

`endpoints.json` under `$LAKEGATE_HOME/serving` holds all endpoints and a generation counter. A
change is authorized and recorded as every governed change is (lakegate/serving/governed.py), all
under one file lock, and then written as a new file renamed over the old one (a reader sees the
old state or the new). Workers notice the new file (its inode changes) within their poll interval
and switch traffic between models they have already loaded, so a traffic change or a rollback
takes effect without dropping a request.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from filelock import FileLock

from lakegate.atomic_file import write_text_atomically
from lakegate.ledger import Ledger
from lakegate.serving.endpoints import Endpoint, EndpointNotFound
from lakegate.serving.governed import (  # noqa: F401 - re-exported: the deployment gate and tests import them here
    GATED_CATALOGS,
    Authorization,
    DeploymentGuard,
    DeploymentRefused,
    GovernedEndpoints,
)

LOCK_TIMEOUT_SECONDS = 30


def serving_dir(home: Path) -> Path:
    return home / "serving"


class ControlStore:
    """Read and atomically replace the endpoints file."""

    def __init__(self, home: Path):
        self.dir = serving_dir(home)
        self.path = self.dir / "endpoints.json"
        self.lock = FileLock(str(self.dir / "endpoints.lock"), timeout=LOCK_TIMEOUT_SECONDS)

    def stamp(self) -> tuple[int, int] | None:
        """Changes whenever the file is replaced: cheap enough to check every few milliseconds."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_mtime_ns

    def read(self) -> tuple[int, dict[str, Endpoint]]:
        try:
            raw = json.loads(self.path.read_text())
        except FileNotFoundError:
            return 0, {}
        endpoints = {name: Endpoint.model_validate(doc) for name, doc in raw["endpoints"].items()}
        return int(raw["generation"]), endpoints

    def write(self, generation: int, endpoints: dict[str, Endpoint]) -> None:
        doc = {"generation": generation, "endpoints": {n: e.model_dump(mode="json") for n, e in sorted(endpoints.items())}}
        write_text_atomically(self.path, json.dumps(doc, indent=1), mode=0o644)


class LocalEndpoints(GovernedEndpoints):
    """`EndpointManager` for the embedded serving runtime: state in the control store, every change
    an audit-ledger record (actor, from → to, reason)."""

    def __init__(self, home: Path, ledger: Ledger | None = None, registry=None, guard: DeploymentGuard | None = None):
        super().__init__(home, ledger=ledger, registry=registry, guard=guard)
        self.store = ControlStore(home)

    def get(self, name: str) -> Endpoint:
        _, endpoints = self.store.read()
        if name not in endpoints:
            raise self._not_found(name, endpoints)
        return endpoints[name]

    def list(self) -> list[Endpoint]:
        return sorted(self.store.read()[1].values(), key=lambda e: e.name)

    def _locked(self, name: str) -> FileLock:
        return self.store.lock

    def _read(self, name: str) -> tuple[int, Endpoint | None]:
        generation, endpoints = self.store.read()
        return generation, endpoints.get(name)

    def _write(self, name: str, before: Endpoint | None, after: Endpoint | None) -> Endpoint | None:
        generation, endpoints = self.store.read()  # under the lock: what _read saw
        if after is None:
            endpoints.pop(name, None)
        else:
            endpoints[name] = after
        self.store.write(generation + 1, endpoints)
        return after

    def _not_found(self, name: str, endpoints: dict[str, Endpoint] | None = None) -> EndpointNotFound:
        endpoints = self.store.read()[1] if endpoints is None else endpoints
        known = f"; endpoints: {', '.join(sorted(endpoints))}" if endpoints else ""
        return EndpointNotFound(f"no serving endpoint {name!r}{known}")
