"""What one worker serves: per endpoint, its loaded models and traffic shares, swapped as a whole.

The watcher checks the control file every few milliseconds. On a change it loads any model version
it does not hold yet (in a thread, while the old routing keeps answering), then replaces the routing
table in one assignment: a request picks its model from one table, old or new, never a mixture, and
requests already running finish on the model they picked. Each worker writes its state to
`serving/workers/<pid>.json` so `endpoint status` can show which generation every worker serves.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from lakegate.atomic_file import write_text_atomically
from lakegate.serving.control import ControlStore
from lakegate.serving.endpoints import Endpoint, ServedEntity
from lakegate.serving.models import ServedModel
from lakegate.serving.worker_status import status_path

_logger = logging.getLogger(__name__)

POLL_SECONDS = 0.005


@dataclass(frozen=True)
class EndpointRoutes:
    name: str
    generation: int
    models: tuple[ServedModel, ...]  # served entities with a share above zero
    bounds: tuple[float, ...]  # cumulative shares, last = 100
    entity_names: tuple[str, ...] = ()  # every served entity, whatever its share

    def pick(self, draw: float | None = None) -> ServedModel:
        draw = random.random() * 100.0 if draw is None else draw
        for model, bound in zip(self.models, self.bounds):
            if draw < bound:
                return model
        return self.models[-1]

    def shares(self) -> dict[str, int]:
        previous, out = 0.0, {}
        for model, bound in zip(self.models, self.bounds):
            out[model.entity.name] = int(round(bound - previous))
            previous = bound
        return out

    def all_shares(self) -> dict[str, int]:
        """Every served entity's share, those at 0 % too (a gauge left at an old share would lie)."""
        return {**{name: 0 for name in self.entity_names}, **self.shares()}


def routes_for(endpoint: Endpoint, models: dict[tuple[str, str], ServedModel]) -> EndpointRoutes:
    chosen, bounds, total = [], [], 0
    for route in endpoint.config.traffic_config.routes:
        if route.traffic_percentage <= 0:
            continue
        entity = endpoint.config.entity(route.served_entity_name)
        total += route.traffic_percentage
        chosen.append(_named(models[_key(entity)], entity))
        bounds.append(float(total))
    names = tuple(e.name for e in endpoint.config.served_entities)
    return EndpointRoutes(endpoint.name, endpoint.generation, tuple(chosen), tuple(bounds), names)


def _key(entity: ServedEntity) -> tuple[str, str]:
    return entity.entity_name, entity.entity_version


def _named(model: ServedModel, entity: ServedEntity) -> ServedModel:
    """The same loaded model may be served under several entity names (one load per version)."""
    if model.entity == entity:
        return model
    clone = object.__new__(ServedModel)
    clone.__dict__.update(model.__dict__, entity=entity)
    return clone


class RoutingTable:
    def __init__(self, home: Path, loader: Callable[[ServedEntity], ServedModel], on_apply=None):
        self.store = ControlStore(home)
        self.loader = loader
        self.on_apply = on_apply
        self.routes: dict[str, EndpointRoutes] = {}
        self.generation = 0
        self.models: dict[tuple[str, str], ServedModel] = {}
        self.errors: dict[str, str] = {}
        self._stamp = None
        self.status_path = status_path(home, os.getpid())
        self.supervisor = os.getppid()  # a starting server stops workers whose supervisor has died

    def sync_load(self) -> None:
        """At start-up: load everything configured before the worker accepts a request."""
        self._stamp = self.store.stamp()
        generation, endpoints = self.store.read()
        self._load_missing(endpoints)
        self._swap(generation, endpoints)

    async def watch(self) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            stamp = self.store.stamp()
            if stamp == self._stamp:
                continue
            self._stamp = stamp
            try:
                generation, endpoints = self.store.read()
                if any(_key(e) not in self.models for ep in endpoints.values() for e in ep.config.served_entities):
                    await asyncio.to_thread(self._load_missing, endpoints)
                self._swap(generation, endpoints)
            except Exception as exc:  # noqa: BLE001 - keep serving the last good routing
                _logger.exception("could not apply the serving configuration")
                self.errors["config"] = str(exc)
                self._write_status()

    def _load_missing(self, endpoints: dict[str, Endpoint]) -> None:
        for endpoint in endpoints.values():
            for entity in endpoint.config.served_entities:
                if _key(entity) in self.models:
                    continue
                started = time.perf_counter()
                try:
                    self.models[_key(entity)] = self.loader(entity)
                    self.errors.pop(f"{endpoint.name}/{entity.name}", None)
                    _logger.info("loaded %s in %.1f s", entity.name, time.perf_counter() - started)
                except Exception as exc:  # noqa: BLE001 - reported in status; the endpoint keeps its last routing
                    self.errors[f"{endpoint.name}/{entity.name}"] = f"{type(exc).__name__}: {exc}"

    def _swap(self, generation: int, endpoints: dict[str, Endpoint]) -> None:
        routes = dict(self.routes)
        for name in list(routes):
            if name not in endpoints:
                del routes[name]
        for name, endpoint in endpoints.items():
            if all(_key(e) in self.models for e in endpoint.config.served_entities):
                routes[name] = routes_for(endpoint, self.models)
        self.routes = routes  # one assignment: requests see the old table or the new
        self.generation = generation
        self._drop_unused(endpoints)
        if self.on_apply:
            self.on_apply(self)
        self._write_status()

    def configured_shares(self) -> dict[str, dict[str, int]]:
        return {name: routes.all_shares() for name, routes in self.routes.items()}

    def _drop_unused(self, endpoints: dict[str, Endpoint]) -> None:
        used = {_key(e) for ep in endpoints.values() for e in ep.config.served_entities}
        for key in list(self.models):
            if key not in used:
                del self.models[key]

    def _write_status(self) -> None:
        doc = {
            "pid": os.getpid(),
            "supervisor": self.supervisor,
            "generation": self.generation,
            "applied_at": time.time(),
            "endpoints": {n: {"generation": r.generation, "traffic": r.shares(),
                              "scorers": {m.entity.name: m.scorer_note for m in r.models}}
                          for n, r in self.routes.items()},
            "errors": self.errors,
        }
        write_text_atomically(self.status_path, json.dumps(doc, indent=1), mode=0o644)

    def remove_status(self) -> None:
        self.status_path.unlink(missing_ok=True)
