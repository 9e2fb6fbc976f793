"""Serving endpoints and their state machine: `state.ready` READY|NOT_READY and
`state.config_update` NOT_UPDATING|IN_PROGRESS|UPDATE_FAILED, one config update at a time.

An update loads every served entity's model version from MLflow on a thread of its own; only when
all load does the new config replace the old one (the old one keeps serving meanwhile).
"""

from __future__ import annotations

import copy
import logging
import random
import re
import threading
import time
import uuid

from databricks_emulator.errors import already_exists, conflict, invalid_parameter, not_found
from databricks_emulator.served_models import ModelCache

CREATOR = "emulator@localhost"
LOG = logging.getLogger("databricks_emulator.serving")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")


def now_ms() -> int:
    return int(time.time() * 1000)


def _served_entities(config: dict) -> list[dict]:
    entities = []
    for raw in config.get("served_entities") or config.get("served_models") or []:
        name = raw.get("entity_name") or raw.get("model_name")
        version = raw.get("entity_version") or raw.get("model_version")
        if not name or not version:
            raise invalid_parameter("Each served entity needs entity_name and entity_version.")
        entity = {**raw, "entity_name": name, "entity_version": str(version),
                  "name": raw.get("name") or f"{name.replace('.', '_')}-{version}",
                  "creator": CREATOR, "creation_timestamp": now_ms()}
        entity.pop("model_name", None)
        entity.pop("model_version", None)
        entities.append(entity)
    if not entities:
        raise invalid_parameter("The config must have at least one served entity.")
    return entities


def _traffic(config: dict, entities: list[dict]) -> dict:
    names = [entity["name"] for entity in entities]
    if len(set(names)) != len(names):
        raise invalid_parameter("Served entity names must be unique.")
    routes = (config.get("traffic_config") or {}).get("routes")
    if not routes:
        if len(entities) > 1:
            raise invalid_parameter("traffic_config.routes is required with more than one served entity.")
        return {"routes": [{"served_model_name": names[0], "traffic_percentage": 100}]}
    for route in routes:
        target = route.get("served_model_name") or route.get("served_entity_name")
        if target not in names:
            raise invalid_parameter(f"Route to {target!r} names no served entity of the config ({names}).")
        route["served_model_name"] = target
    total = sum(int(route.get("traffic_percentage", 0)) for route in routes)
    if total != 100:
        raise invalid_parameter(f"Traffic percentages of the routes must add up to 100 (they add up to {total}).")
    return {"routes": routes}


class ServingEndpoints:
    def __init__(self, models: ModelCache, min_update_seconds: float) -> None:
        self.models = models
        self.min_update_seconds = min_update_seconds
        self._endpoints: dict[str, dict] = {}
        self._lock = threading.RLock()

    def create(self, body: dict) -> dict:
        name = body.get("name", "")
        if not NAME_PATTERN.match(name):
            raise invalid_parameter(f"Endpoint name {name!r} must be 1-63 letters, digits, '-' or '_'.")
        config = body.get("config")
        prepared = self._prepared(config) if config else None
        with self._lock:
            if name in self._endpoints:
                raise already_exists(f"Serving endpoint with name {name} already exists")
            endpoint = {"name": name, "id": uuid.uuid4().hex, "creator": CREATOR, "creation_timestamp": now_ms(),
                        "last_updated_timestamp": now_ms(), "permission_level": "CAN_MANAGE",
                        "route_optimized": bool(body.get("route_optimized")), "description": body.get("description", ""),
                        "tags": body.get("tags") or [],
                        "state": {"ready": "NOT_READY", "config_update": "NOT_UPDATING"}}
            if body.get("ai_gateway"):
                endpoint["ai_gateway"] = body["ai_gateway"]
            self._endpoints[name] = endpoint
            if prepared:
                self._begin_update(endpoint, prepared)
            return copy.deepcopy(endpoint)

    def _prepared(self, config: dict) -> dict:
        entities = _served_entities(config)
        prepared = {"served_entities": entities, "traffic_config": _traffic(copy.deepcopy(config), entities)}
        if config.get("auto_capture_config"):
            prepared["auto_capture_config"] = config["auto_capture_config"]
        return prepared

    def update_config(self, name: str, config: dict) -> dict:
        prepared = self._prepared(config)
        with self._lock:
            endpoint = self._endpoint(name)
            if endpoint["state"]["config_update"] == "IN_PROGRESS":
                raise conflict(f"Endpoint {name} is currently updating. Wait for the current update to finish "
                               "before updating its config again.")
            self._begin_update(endpoint, prepared)
            return copy.deepcopy(endpoint)

    def _begin_update(self, endpoint: dict, prepared: dict) -> None:
        version = endpoint.get("config", {}).get("config_version", 0) + 1
        for entity in prepared["served_entities"]:
            entity["state"] = {"deployment": "DEPLOYMENT_CREATING", "deployment_state_message": "Loading the model"}
        endpoint["pending_config"] = {**prepared, "config_version": version, "start_time": now_ms()}
        endpoint["state"]["config_update"] = "IN_PROGRESS"
        endpoint["last_updated_timestamp"] = now_ms()
        threading.Thread(target=self._apply, args=(endpoint["name"], endpoint["id"]), daemon=True).start()

    def _apply(self, name: str, endpoint_id: str) -> None:
        started = time.monotonic()
        with self._lock:
            pending = copy.deepcopy(self._endpoints[name]["pending_config"])
        failure = None
        for entity in pending["served_entities"]:
            try:
                self.models.load(entity["entity_name"], entity["entity_version"])
            except Exception as error:  # any load failure is the update's failure, reported in its state
                failure = f"Served entity {entity['name']} failed to load: {error}"
                break
        loaded_in = time.monotonic() - started
        time.sleep(max(0.0, self.min_update_seconds - loaded_in))
        LOG.info("endpoint %s config %s: %s after %.1f s", name, pending["config_version"],
                 "failed" if failure else "loaded", loaded_in)
        with self._lock:
            endpoint = self._endpoints.get(name)
            if endpoint is None or endpoint["id"] != endpoint_id:
                return  # deleted (or replaced) while updating
            endpoint.pop("pending_config", None)
            endpoint["last_updated_timestamp"] = now_ms()
            if failure:
                endpoint["state"]["config_update"] = "UPDATE_FAILED"
                endpoint["state_message"] = failure
                return
            for entity in pending["served_entities"]:
                entity["state"] = {"deployment": "DEPLOYMENT_READY", "deployment_state_message": ""}
            pending.pop("start_time", None)
            endpoint["config"] = pending
            endpoint["state"] = {"ready": "READY", "config_update": "NOT_UPDATING"}

    def _endpoint(self, name: str) -> dict:
        endpoint = self._endpoints.get(name)
        if endpoint is None:
            raise not_found(f"Serving endpoint with name {name} does not exist.")
        return endpoint

    def get(self, name: str) -> dict:
        with self._lock:
            return copy.deepcopy(self._endpoint(name))

    def list(self) -> list[dict]:
        with self._lock:
            return [{key: value for key, value in copy.deepcopy(endpoint).items() if key != "pending_config"}
                    for endpoint in self._endpoints.values()]

    def patch_tags(self, name: str, body: dict) -> dict:
        """`PATCH .../tags`: add (or overwrite) and delete tags by key; answers the endpoint's tags."""
        with self._lock:
            endpoint = self._endpoint(name)
            removed = set(body.get("delete_tags") or [])
            added = {tag["key"]: tag for tag in body.get("add_tags") or []}
            kept = [tag for tag in endpoint["tags"] if tag["key"] not in removed and tag["key"] not in added]
            endpoint["tags"] = kept + list(added.values())
            return {"tags": copy.deepcopy(endpoint["tags"])}

    def delete(self, name: str) -> None:
        with self._lock:
            self._endpoint(name)
            del self._endpoints[name]

    def route(self, name: str) -> tuple[dict, dict | None]:
        """The served entity a request goes to, drawn by the routes' traffic percentages, and the
        config's `auto_capture_config` (None: requests are not captured)."""
        with self._lock:
            endpoint = self._endpoint(name)
            if endpoint["state"]["ready"] != "READY":
                raise invalid_parameter(f"Endpoint {name} is not ready: it has no served config yet.")
            config = copy.deepcopy(endpoint["config"])
        routes = config["traffic_config"]["routes"]
        chosen = random.choices(routes, weights=[route["traffic_percentage"] for route in routes])[0]
        entity = next(entity for entity in config["served_entities"] if entity["name"] == chosen["served_model_name"])
        return entity, config.get("auto_capture_config")
