"""Endpoint changes under governance, whatever platform holds the endpoints.

Every change (create, update_config, set_traffic, rollback, delete):
1. computes the new state from the current one (pure: the functions at the end of this module);
2. asks the deployment guard (handed in by the composition layer: gates/deployment_gate.py) about
   every served version that would take traffic on an endpoint in a gated catalog (test, prod).
   Without a guard, or when the guard refuses, nothing changes (fail closed). A break-glass
   approval lets a version through, and that is recorded and alerted;
3. appends the audit-ledger record. If that fails (a secret in the reason, a broken ledger), nothing
   changes: no change is live without its record, and records are in the order changes applied;
4. hands the new state to the platform (`_write`): the local control file
   (lakegate/serving/control.py) or a Databricks workspace (lakegate/serving/databricks_endpoints.py).
   If the platform refuses it after the record was written, a second record says it was not applied
   (or, when the platform took it but did not finish in time, that its outcome is unknown).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ContextManager, Protocol

from lakegate.alerts import raise_alert
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

GATED_CATALOGS = ("test", "prod")  # their versions serve only past the deployment gate


class DeploymentRefused(EndpointError):
    """A change that would serve a version that did not pass the deployment gate; nothing changed."""


class ChangeOutcomeUnknown(EndpointError):
    """The platform took the change but did not say in time whether it applied (it may still)."""


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


Change = Callable[[Endpoint | None, int], Endpoint | None]


class GovernedEndpoints:
    """`EndpointManager` whose every change is authorized and recorded before the platform applies it.

    A platform subclass provides `_locked` (changes to one endpoint exclude each other while it is
    held), `_read` (the current generation and endpoint, None when absent), `_write` (make the new
    state live, None deletes; returns what is live) and `get`/`list`."""

    def __init__(self, home: Path, ledger: Ledger | None = None, registry=None, guard: DeploymentGuard | None = None):
        self.home = Path(home)
        self.ledger = ledger or Ledger.for_home(home)
        self.registry = registry  # when given, served versions must exist before they are configured
        self.guard = guard  # without one, endpoints in a gated catalog cannot be changed

    # the platform's part

    def _locked(self, name: str) -> ContextManager:
        return contextlib.nullcontext()

    def _read(self, name: str) -> tuple[int, Endpoint | None]:
        raise NotImplementedError

    def _write(self, name: str, before: Endpoint | None, after: Endpoint | None) -> Endpoint | None:
        raise NotImplementedError

    def _not_found(self, name: str) -> EndpointNotFound:
        return EndpointNotFound(f"no serving endpoint {name!r}")

    # changing

    def create(self, name: str, config: EndpointConfig, *, actor: str, reason: str) -> Endpoint:
        self._check_versions(config)

        def change(current: Endpoint | None, generation: int) -> Endpoint:
            if current is not None:
                raise EndpointError(f"serving endpoint {name!r} already exists; use update_config or set-traffic")
            now = now_ms()
            try:
                return Endpoint(name=name, config=config, generation=generation, creator=actor, creation_timestamp=now,
                                last_updated_timestamp=now, stable_history=stable_after((), config))
            except ValueError as exc:
                raise EndpointError(str(exc)) from None

        return self._change(name, change, "deployment", "create", actor, reason, allow_missing=True)

    def update_config(self, name: str, config: EndpointConfig, *, actor: str, reason: str) -> Endpoint:
        def change(current: Endpoint, generation: int) -> Endpoint:
            self._check_versions(config)
            return updated(current, config, generation)

        return self._change(name, change, "deployment", "update_config", actor, reason)

    def set_traffic(self, name: str, shares: dict[str, int], *, actor: str, reason: str) -> Endpoint:
        def change(current: Endpoint, generation: int) -> Endpoint:
            served = {e.name for e in current.config.served_entities}
            unknown = sorted(set(shares) - served)
            if unknown:
                raise EndpointError(f"{name}: no served entity {unknown}; served: {sorted(served)}")
            routes = tuple(Route(served_entity_name=n, traffic_percentage=int(shares.get(n, 0)))
                           for n in [e.name for e in current.config.served_entities])
            config = config_or_error(current.config.served_entities, routes)
            return updated(current, config, generation)

        return self._change(name, change, "traffic_change", "set_traffic", actor, reason)

    def rollback(self, name: str, *, actor: str, reason: str) -> Endpoint:
        def change(current: Endpoint, generation: int) -> Endpoint:
            target = current.rollback_target()
            if target is None:
                raise EndpointError(f"{name}: nothing to roll back to (no earlier served entity held all traffic)")
            routes = tuple(Route(served_entity_name=e.name, traffic_percentage=100 if e.name == target else 0)
                           for e in current.config.served_entities)
            config = config_or_error(current.config.served_entities, routes)
            # The rolled-back entity leaves the history, so a second rollback does not return to it.
            history = tuple(h for h in current.stable_history if h not in rolled_back(current, target))
            return current.model_copy(update={"config": config, "generation": generation,
                                              "last_updated_timestamp": now_ms(), "stable_history": history})

        return self._change(name, change, "rollback", "rollback", actor, reason)

    def delete(self, name: str, *, actor: str, reason: str) -> None:
        self._change(name, lambda current, generation: None, "deployment", "delete", actor, reason)

    # internals

    def _check_versions(self, config: EndpointConfig) -> None:
        if self.registry is None:
            return
        for entity in config.served_entities:
            try:
                self.registry.model_version(entity.entity_name, entity.entity_version)
            except RegistryError as exc:
                raise EndpointError(f"served entity {entity.name!r}: {exc}") from None

    def _change(self, name: str, change: Change, kind: str, action: str, actor: str, reason: str,
                allow_missing: bool = False) -> Endpoint | None:
        """Apply `change(current, next generation)` (None deletes) under the platform's lock: authorize
        it, record before → after in the ledger, then make it live. `before` is what the change
        replaced, read under the same lock, so the ledger's order is the order of the changes."""
        with self._locked(name):
            generation, before = self._read(name)
            if before is None and not allow_missing:
                raise self._not_found(name)
            after = change(before, generation + 1)
            authorized = self._authorize(name, before, after)
            for entity, grant in authorized:
                if grant.break_glass:
                    self._record_break_glass(name, entity, grant, actor, reason)
            subject = {"endpoint": name, "action": action}
            record = self.ledger.append(
                kind, actor, subject=subject,
                inputs={"from": summary(before), "authorized": {entity: grant.evidence for entity, grant in authorized}},
                outcome={"to": summary(after), "generation": after.generation if after else None},
                reason=reason,
            )
            try:
                return self._write(name, before, after)
            except EndpointError as exc:
                unknown = isinstance(exc, ChangeOutcomeUnknown)
                self.ledger.append(kind, actor, subject=subject, inputs={"record": record.seq},
                                   outcome={"applied": None if unknown else False, "error": str(exc)},
                                   reason=(f"outcome unknown: the platform took the change of record {record.seq} but "
                                           "did not finish it in time" if unknown else
                                           f"not applied: the platform refused the change of record {record.seq}"))
                raise

    def _authorize(self, name: str, before: Endpoint | None, after: Endpoint | None) -> list[tuple[str, Authorization]]:
        """The guard's grant for every version that would take traffic in a gated catalog;
        DeploymentRefused (nothing changes) when one is refused or there is no guard to ask."""
        catalog = catalog_of(after or before)
        if before is not None and after is not None and catalog_of(before) != catalog:
            raise EndpointError(f"{name} serves the {catalog_of(before)} catalog; an endpoint keeps its catalog "
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


def now_ms() -> int:
    return int(time.time() * 1000)


def catalog_of(endpoint: Endpoint) -> str:
    catalogs = {split_three_level(e.entity_name, "model")[0] for e in endpoint.config.served_entities}
    if len(catalogs) != 1:
        raise EndpointError(f"{endpoint.name}: served entities span the catalogs {sorted(catalogs)}; an endpoint serves one")
    return catalogs.pop()


def summary(endpoint: Endpoint | None) -> dict | None:
    if endpoint is None:
        return None
    return {
        "served_entities": {e.name: f"{e.entity_name}/{e.entity_version}" for e in endpoint.config.served_entities},
        "traffic": endpoint.config.traffic_config.shares(),
    }


def config_or_error(entities, routes) -> EndpointConfig:
    try:
        return EndpointConfig(served_entities=tuple(entities), traffic_config=TrafficConfig(routes=routes))
    except ValueError as exc:
        raise EndpointError(str(exc)) from None


def stable_after(history: tuple[str, ...], config: EndpointConfig) -> tuple[str, ...]:
    full = config.full_share_entity()
    if full is None or (history and history[-1] == full):
        return history
    return tuple(h for h in history if h != full) + (full,)


def updated(current: Endpoint, config: EndpointConfig, generation: int) -> Endpoint:
    served = {e.name for e in config.served_entities}
    history = tuple(h for h in current.stable_history if h in served)
    return current.model_copy(update={"config": config, "generation": generation, "last_updated_timestamp": now_ms(),
                                      "stable_history": stable_after(history, config)})


def rolled_back(current: Endpoint, target: str) -> set[str]:
    """Entities the rollback takes traffic from: everything after `target` in the history, and any canary."""
    history = list(current.stable_history)
    later = set(history[history.index(target) + 1:]) if target in history else set()
    return later | {n for n, share in current.config.traffic_config.shares().items() if share and n != target}
