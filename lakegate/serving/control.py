"""The local control plane: endpoint state in one file that every serving worker watches.

`endpoints.json` under `$LAKEGATE_HOME/serving` holds all endpoints and a generation counter. A
change, all under one lock:
1. computes the new state;
2. asks the deployment guard (handed in by the composition layer: gates/deployment_gate.py) about
   every served version that would take traffic on an endpoint in a gated catalog (test, prod).
   Without a guard, or when the guard refuses, nothing changes (fail closed). A break-glass
   approval lets a version through, and that is recorded and alerted;
3. appends the audit-ledger record. If that fails (a secret in the reason, a broken ledger), nothing
   changes: no change is live without its record, and records are in the order changes applied;
4. writes a new file and renames it over the old one (a reader sees the old state or the new).
Workers notice the new file (its inode changes) within their poll interval and switch traffic
between models they have already loaded, so a traffic change or a rollback takes effect without
dropping a request.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from filelock import FileLock

from lakegate.alerts import raise_alert
from lakegate.atomic_file import write_text_atomically
from lakegate.ledger import Ledger
from lakegate.names import split_three_level
from lakegate.registry import RegistryError
from lakegate.serving.endpoints import (
    Endpoint,
    EndpointConfig,
    EndpointError,
    EndpointNotFound,
    Route,
    TrafficConfig,
)

LOCK_TIMEOUT_SECONDS = 30
GATED_CATALOGS = ("test", "prod")  # their versions serve only past the deployment gate


class DeploymentRefused(EndpointError):
    """A change that would serve a version that did not pass the deployment gate; nothing changed."""


@dataclass(frozen=True)
class Authorization:
    allowed: bool
    reason: str
    break_glass: bool = False
    evidence: dict = field(default_factory=dict)  # what the decision rested on, for the ledger


class DeploymentGuard(Protocol):
    def authorize(self, endpoint: str, model: str, version: str, emergency_only: bool = False) -> Authorization:
        """Whether `model` `version` may take traffic on `endpoint` now (emergency_only: only a
        break-glass approval counts, as for removing a production endpoint)."""


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


def _now_ms() -> int:
    return int(time.time() * 1000)


class LocalEndpoints:
    """`EndpointManager` for the embedded serving runtime: state in the control store, every change
    an audit-ledger record (actor, from → to, reason)."""

    def __init__(self, home: Path, ledger: Ledger | None = None, registry=None, guard: DeploymentGuard | None = None):
        self.home = Path(home)
        self.store = ControlStore(home)
        self.ledger = ledger or Ledger.for_home(home)
        self.registry = registry  # when given, served versions must exist before they are configured
        self.guard = guard  # without one, endpoints in a gated catalog cannot be changed

    def _check_versions(self, config: EndpointConfig) -> None:
        if self.registry is None:
            return
        for entity in config.served_entities:
            try:
                self.registry.model_version(entity.entity_name, entity.entity_version)
            except RegistryError as exc:
                raise EndpointError(f"served entity {entity.name!r}: {exc}") from None

    # reading

    def get(self, name: str) -> Endpoint:
        _, endpoints = self.store.read()
        if name not in endpoints:
            raise _not_found(name, endpoints)
        return endpoints[name]

    def list(self) -> list[Endpoint]:
        return sorted(self.store.read()[1].values(), key=lambda e: e.name)

    # changing

    def create(self, name: str, config: EndpointConfig, *, actor: str, reason: str) -> Endpoint:
        self._check_versions(config)

        def change(current: Endpoint | None, generation: int) -> Endpoint:
            if current is not None:
                raise EndpointError(f"serving endpoint {name!r} already exists; use update_config or set-traffic")
            now = _now_ms()
            try:
                return Endpoint(name=name, config=config, generation=generation, creator=actor, creation_timestamp=now,
                                last_updated_timestamp=now, stable_history=_stable_after((), config))
            except ValueError as exc:
                raise EndpointError(str(exc)) from None

        return self._change(name, change, "deployment", "create", actor, reason, allow_missing=True)

    def update_config(self, name: str, config: EndpointConfig, *, actor: str, reason: str) -> Endpoint:
        def change(current: Endpoint, generation: int) -> Endpoint:
            self._check_versions(config)
            return _updated(current, config, generation)

        return self._change(name, change, "deployment", "update_config", actor, reason)

    def set_traffic(self, name: str, shares: dict[str, int], *, actor: str, reason: str) -> Endpoint:
        def change(current: Endpoint, generation: int) -> Endpoint:
            served = {e.name for e in current.config.served_entities}
            unknown = sorted(set(shares) - served)
            if unknown:
                raise EndpointError(f"{name}: no served entity {unknown}; served: {sorted(served)}")
            routes = tuple(Route(served_entity_name=n, traffic_percentage=int(shares.get(n, 0)))
                           for n in [e.name for e in current.config.served_entities])
            config = _config_or_error(current.config.served_entities, routes)
            return _updated(current, config, generation)

        return self._change(name, change, "traffic_change", "set_traffic", actor, reason)

    def rollback(self, name: str, *, actor: str, reason: str) -> Endpoint:
        def change(current: Endpoint, generation: int) -> Endpoint:
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

        return self._change(name, change, "rollback", "rollback", actor, reason)

    def delete(self, name: str, *, actor: str, reason: str) -> None:
        self._change(name, lambda current, generation: None, "deployment", "delete", actor, reason)

    # internals

    def _change(self, name: str, change, kind: str, action: str, actor: str, reason: str,
                allow_missing: bool = False) -> Endpoint | None:
        """Apply `change(current, next generation)` (None deletes) under the lock: authorize it, record
        before → after in the ledger, then make it live. `before` is what the change replaced, read
        under the same lock, so the ledger's order is the order of the changes."""
        with self.store.lock:
            generation, endpoints = self.store.read()
            before = endpoints.get(name)
            if before is None and not allow_missing:
                raise _not_found(name, endpoints)
            after = change(before, generation + 1)
            authorized = self._authorize(name, before, after)
            for entity, grant in authorized:
                if grant.break_glass:
                    self._record_break_glass(name, entity, grant, actor, reason)
            self.ledger.append(
                kind, actor,
                subject={"endpoint": name, "action": action},
                inputs={"from": _summary(before),
                        "authorized": {entity: grant.evidence for entity, grant in authorized}},
                outcome={"to": _summary(after), "generation": after.generation if after else None},
                reason=reason,
            )
            if after is None:
                endpoints.pop(name, None)
            else:
                endpoints[name] = after
            self.store.write(generation + 1, endpoints)
        return after

    def _authorize(self, name: str, before: Endpoint | None, after: Endpoint | None) -> list[tuple[str, Authorization]]:
        """The guard's grant for every version that would take traffic in a gated catalog;
        DeploymentRefused (nothing changes) when one is refused or there is no guard to ask."""
        catalog = _catalog(after or before)
        if before is not None and after is not None and _catalog(before) != catalog:
            raise EndpointError(f"{name} serves the {_catalog(before)} catalog; an endpoint keeps its catalog "
                                f"(create another endpoint for {catalog})")
        if catalog not in GATED_CATALOGS:
            return []
        if after is None:  # removing a production endpoint: an emergency act
            shares = before.config.traffic_config.shares()
            serving = [max(before.config.served_entities, key=lambda e: shares.get(e.name, 0))]
        else:
            shares = after.config.traffic_config.shares()
            serving = [e for e in after.config.served_entities if shares.get(e.name, 0) > 0]
        if self.guard is None:
            raise DeploymentRefused(f"{name} serves the {catalog} catalog and this control plane has no deployment gate "
                                    "to ask, so nothing is changed")
        grants = []
        for entity in serving:
            grant = self.guard.authorize(name, entity.entity_name, entity.entity_version, emergency_only=after is None)
            if not grant.allowed:
                raise DeploymentRefused(f"{name}: {entity.name} ({entity.entity_name} v{entity.entity_version}) may not "
                                        f"serve {catalog} traffic, so nothing is changed: {grant.reason}")
            grants.append((entity.name, grant))
        return grants

    def _record_break_glass(self, name: str, entity: str, grant: Authorization, actor: str, reason: str) -> None:
        record = self.ledger.append("break_glass", actor, {"endpoint": name, "served_entity": entity},
                                    inputs={"evidence": grant.evidence}, outcome={"allowed": True}, reason=grant.reason)
        raise_alert(self.home, "ERROR", f"break-glass on {name}", f"{entity} serves past the deployment gate: "
                    f"{grant.reason} (change by {actor}: {reason})", source=f"ledger record {record.seq}")


def _catalog(endpoint: Endpoint) -> str:
    catalogs = {split_three_level(e.entity_name, "model")[0] for e in endpoint.config.served_entities}
    if len(catalogs) != 1:
        raise EndpointError(f"{endpoint.name}: served entities span the catalogs {sorted(catalogs)}; an endpoint serves one")
    return catalogs.pop()


def _not_found(name: str, endpoints: dict[str, Endpoint]) -> EndpointNotFound:
    known = f"; endpoints: {', '.join(sorted(endpoints))}" if endpoints else ""
    return EndpointNotFound(f"no serving endpoint {name!r}{known}")


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
