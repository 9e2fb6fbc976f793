"""The local control plane: endpoint state in one file that every serving worker watches.

`endpoints.json` under `$LAKEGATE_HOME/serving` holds all endpoints and a generation counter. A
change takes the lock, writes a new file and renames it over the old one (a reader sees the old
state or the new, never half of one), then appends an audit-ledger record. Workers notice the new
file (its inode changes) within their poll interval and switch traffic between models they have
already loaded, so a traffic change or a rollback takes effect without dropping a request.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from filelock import FileLock

from lakegate.ledger import Ledger
from lakegate.serving.endpoints import (
    Endpoint,
    EndpointConfig,
    EndpointError,
    EndpointNotFound,
    Route,
    TrafficConfig,
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
        self.dir.mkdir(parents=True, exist_ok=True)
        doc = {"generation": generation, "endpoints": {n: e.model_dump(mode="json") for n, e in sorted(endpoints.items())}}
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with open(tmp, "w") as f:
            json.dump(doc, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)


def _now_ms() -> int:
    return int(time.time() * 1000)


class LocalEndpoints:
    """`EndpointManager` for the embedded serving runtime: state in the control store, every change
    an audit-ledger record (actor, from → to, reason)."""

    def __init__(self, home: Path, ledger: Ledger | None = None, registry=None):
        self.store = ControlStore(home)
        self.ledger = ledger or Ledger(home / "audit" / "ledger.jsonl")
        self.registry = registry  # when given, served versions must exist before they are configured

    def _check_versions(self, config: EndpointConfig) -> None:
        if self.registry is None:
            return
        from lakegate.registry import RegistryError

        for entity in config.served_entities:
            try:
                self.registry.model_version(entity.entity_name, entity.entity_version)
            except RegistryError as exc:
                raise EndpointError(f"served entity {entity.name!r}: {exc}") from None

    # reading

    def get(self, name: str) -> Endpoint:
        _, endpoints = self.store.read()
        if name not in endpoints:
            raise EndpointNotFound(f"no serving endpoint {name!r}" + (f"; endpoints: {', '.join(sorted(endpoints))}" if endpoints else ""))
        return endpoints[name]

    def list(self) -> list[Endpoint]:
        return sorted(self.store.read()[1].values(), key=lambda e: e.name)

    # changing

    def create(self, name: str, config: EndpointConfig, *, actor: str, reason: str) -> Endpoint:
        self._check_versions(config)
        def change(endpoints: dict[str, Endpoint], generation: int) -> Endpoint:
            if name in endpoints:
                raise EndpointError(f"serving endpoint {name!r} already exists; use update_config or set-traffic")
            now = _now_ms()
            try:
                return Endpoint(name=name, config=config, generation=generation, creator=actor, creation_timestamp=now,
                                last_updated_timestamp=now, stable_history=_stable_after((), config))
            except ValueError as exc:
                raise EndpointError(str(exc)) from None

        endpoint = self._change(name, change, allow_missing=True)
        self._record("deployment", actor, endpoint, None, reason, action="create")
        return endpoint

    def update_config(self, name: str, config: EndpointConfig, *, actor: str, reason: str) -> Endpoint:
        before = self.get(name)
        self._check_versions(config)
        endpoint = self._change(name, lambda eps, gen: _updated(eps[name], config, gen))
        self._record("deployment", actor, endpoint, before, reason, action="update_config")
        return endpoint

    def set_traffic(self, name: str, shares: dict[str, int], *, actor: str, reason: str) -> Endpoint:
        before = self.get(name)

        def change(endpoints: dict[str, Endpoint], generation: int) -> Endpoint:
            current = endpoints[name]
            served = {e.name for e in current.config.served_entities}
            unknown = sorted(set(shares) - served)
            if unknown:
                raise EndpointError(f"{name}: no served entity {unknown}; served: {sorted(served)}")
            routes = tuple(Route(served_entity_name=n, traffic_percentage=int(shares.get(n, 0)))
                           for n in [e.name for e in current.config.served_entities])
            config = _config_or_error(current.config.served_entities, routes)
            return _updated(current, config, generation)

        endpoint = self._change(name, change)
        self._record("traffic_change", actor, endpoint, before, reason, action="set_traffic")
        return endpoint

    def rollback(self, name: str, *, actor: str, reason: str) -> Endpoint:
        before = self.get(name)

        def change(endpoints: dict[str, Endpoint], generation: int) -> Endpoint:
            current = endpoints[name]
            target = current.rollback_target()
            if target is None:
                raise EndpointError(f"{name}: nothing to roll back to (no earlier served entity held all traffic)")
            routes = tuple(Route(served_entity_name=e.name, traffic_percentage=100 if e.name == target else 0)
                           for e in current.config.served_entities)
            config = _config_or_error(current.config.served_entities, routes)
            # The rolled-back entity leaves the history, so a second rollback does not return to it.
            history = tuple(h for h in current.stable_history if h not in _rolled_back(current, target))
            return current.model_copy(update={"config": config, "generation": generation,
                                              "last_updated_timestamp": _now_ms(), "stable_history": history})

        endpoint = self._change(name, change)
        self._record("rollback", actor, endpoint, before, reason, action="rollback")
        return endpoint

    def delete(self, name: str, *, actor: str, reason: str) -> None:
        before = self.get(name)
        with self.store.lock:
            generation, endpoints = self.store.read()
            endpoints.pop(name, None)
            self.store.write(generation + 1, endpoints)
        self._record("deployment", actor, None, before, reason, action="delete", name=name)

    # internals

    def _change(self, name: str, change, allow_missing: bool = False) -> Endpoint:
        with self.store.lock:
            generation, endpoints = self.store.read()
            if name not in endpoints and not allow_missing:
                raise EndpointNotFound(f"no serving endpoint {name!r}")
            endpoint = change(endpoints, generation + 1)
            endpoints[name] = endpoint
            self.store.write(generation + 1, endpoints)
        return endpoint

    def _record(self, kind: str, actor: str, after: Endpoint | None, before: Endpoint | None, reason: str,
                action: str, name: str | None = None) -> None:
        self.ledger.append(
            kind, actor,
            subject={"endpoint": name or (after or before).name, "action": action},
            inputs={"from": _summary(before)},
            outcome={"to": _summary(after), "generation": after.generation if after else None},
            reason=reason,
        )


def _summary(endpoint: Endpoint | None) -> dict | None:
    if endpoint is None:
        return None
    return {
        "served_entities": {e.name: f"{e.entity_name}/{e.entity_version}" for e in endpoint.config.served_entities},
        "traffic": endpoint.config.traffic_config.shares(),
    }


def _config_or_error(entities, routes) -> EndpointConfig:
    try:
        return EndpointConfig(served_entities=tuple(entities), traffic_config=TrafficConfig(routes=routes))
    except ValueError as exc:
        raise EndpointError(str(exc)) from None


def _stable_after(history: tuple[str, ...], config: EndpointConfig) -> tuple[str, ...]:
    full = config.full_share_entity()
    if full is None or (history and history[-1] == full):
        return history
    return tuple(h for h in history if h != full) + (full,)


def _updated(current: Endpoint, config: EndpointConfig, generation: int) -> Endpoint:
    served = {e.name for e in config.served_entities}
    history = tuple(h for h in current.stable_history if h in served)
    return current.model_copy(update={"config": config, "generation": generation, "last_updated_timestamp": _now_ms(),
                                      "stable_history": _stable_after(history, config)})


def _rolled_back(current: Endpoint, target: str) -> set[str]:
    """Entities the rollback takes traffic from: everything after `target` in the history, and any canary."""
    history = list(current.stable_history)
    later = set(history[history.index(target) + 1:]) if target in history else set()
    return later | {n for n, share in current.config.traffic_config.shares().items() if share and n != target}
