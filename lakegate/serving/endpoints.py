"""Serving endpoints as Databricks Model Serving describes them, and the interface that manages them.

An endpoint has served entities (a registered model name and version each) and a traffic config
(integer percentages per served entity that sum to 100). The JSON shapes follow Databricks'
`serving-endpoints` API (`served_entities`, `traffic_config.routes[].served_entity_name`,
`traffic_percentage`), so the same documents drive the local runtime and, in a later issue, a
Databricks workspace through the same `EndpointManager` interface.
"""

from __future__ import annotations

import re
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lakegate.names import split_three_level

# Databricks: letters, digits, dashes and underscores; Lakegate also needs it as part of a table
# name (`<endpoint>_inference_log`), so lowercase only.
ENDPOINT_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")


class EndpointError(ValueError):
    """A bad endpoint request. Its message is meant for the user as it is."""


class EndpointNotFound(EndpointError):
    pass


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServedEntity(_Strict):
    name: str  # unique within the endpoint; traffic routes refer to it
    entity_name: str  # registered model, catalog.schema.model
    entity_version: str

    @field_validator("entity_name")
    @classmethod
    def _three_level(cls, value: str) -> str:
        split_three_level(value, "model")
        return value

    @field_validator("entity_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not value.isdigit():
            raise ValueError(f"model version must be a number, got {value!r}")
        return value

    @staticmethod
    def default_name(entity_name: str, entity_version: str) -> str:
        """Databricks' default served-entity name: `<model>-<version>`."""
        return f"{entity_name.rsplit('.', 1)[-1]}-{entity_version}"


class Route(_Strict):
    served_entity_name: str
    traffic_percentage: int = Field(ge=0, le=100)


class TrafficConfig(_Strict):
    routes: tuple[Route, ...]

    def shares(self) -> dict[str, int]:
        return {r.served_entity_name: r.traffic_percentage for r in self.routes}


class EndpointConfig(_Strict):
    served_entities: tuple[ServedEntity, ...]
    traffic_config: TrafficConfig

    @model_validator(mode="after")
    def _consistent(self) -> EndpointConfig:
        names = [e.name for e in self.served_entities]
        if not names:
            raise ValueError("an endpoint needs at least one served entity")
        if len(set(names)) != len(names):
            raise ValueError(f"served entity names must be unique, got {names}")
        routed = [r.served_entity_name for r in self.traffic_config.routes]
        if len(set(routed)) != len(routed):
            raise ValueError(f"each served entity may have one route, got {routed}")
        unknown = sorted(set(routed) - set(names))
        if unknown:
            raise ValueError(f"traffic routes name unknown served entities {unknown}; served: {names}")
        total = sum(r.traffic_percentage for r in self.traffic_config.routes)
        if total != 100:
            raise ValueError(f"traffic percentages must sum to 100, got {total}")
        return self

    def entity(self, name: str) -> ServedEntity:
        for entity in self.served_entities:
            if entity.name == name:
                return entity
        raise EndpointError(f"no served entity {name!r}; served: {[e.name for e in self.served_entities]}")

    def full_share_entity(self) -> str | None:
        """The served entity that takes all traffic, if one does."""
        return next((r.served_entity_name for r in self.traffic_config.routes if r.traffic_percentage == 100), None)


class Endpoint(_Strict):
    name: str
    config: EndpointConfig
    generation: int  # bumps on every change; workers report the generation they serve
    creator: str
    creation_timestamp: int  # ms since the epoch, as Databricks reports it
    last_updated_timestamp: int
    # Served entities that held all traffic, oldest first: rollback returns to the one before.
    stable_history: tuple[str, ...] = ()

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not ENDPOINT_NAME.match(value):
            raise ValueError(
                f"endpoint name {value!r} must start with a lowercase letter and use only lowercase letters, "
                "digits, '-' and '_' (at most 63 characters)"
            )
        return value

    def rollback_target(self) -> str | None:
        """The previous served entity: the last one that held all traffic, other than the one holding it now."""
        current = self.config.full_share_entity()
        for name in reversed(self.stable_history):
            if name != current and name in {e.name for e in self.config.served_entities}:
                return name
        return None


def parse_config(document: dict) -> EndpointConfig:
    """A Databricks-shaped config document → EndpointConfig, with one readable error on bad input."""
    if not isinstance(document, dict) or not isinstance(document.get("traffic_config") or {}, dict):
        raise EndpointError("the endpoint config and its traffic_config must be JSON objects")
    try:
        return EndpointConfig.model_validate(_accept_served_model_name(document))
    except ValidationError as exc:
        raise EndpointError(validation_message(exc)) from None


def _accept_served_model_name(document: dict) -> dict:
    # Databricks also accepts the older route key `served_model_name`.
    routes = (document.get("traffic_config") or {}).get("routes")
    if isinstance(routes, list):
        routes = [
            {("served_entity_name" if k == "served_model_name" else k): v for k, v in r.items()}
            if isinstance(r, dict) else r for r in routes
        ]
        document = {**document, "traffic_config": {**document["traffic_config"], "routes": routes}}
    return document


def validation_message(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'config'}: {err['msg'].removeprefix('Value error, ')}"
        for err in exc.errors()
    )


def single_version_config(model_name: str, version: str) -> EndpointConfig:
    name = ServedEntity.default_name(model_name, str(version))
    return parse_config({"served_entities": [{"name": name, "entity_name": model_name, "entity_version": str(version)}],
                         "traffic_config": {"routes": [{"served_entity_name": name, "traffic_percentage": 100}]}})


class EndpointManager(Protocol):
    """What deployment code needs from a serving platform. The local runtime implements it
    (`lakegate.serving.control.LocalEndpoints`, or over HTTP `lakegate.serving.client.EndpointClient`);
    a Databricks Model Serving implementation (databricks-sdk `serving_endpoints` with
    `traffic_config`) is meant to implement the same methods."""

    def create(self, name: str, config: EndpointConfig, *, actor: str, reason: str) -> Endpoint: ...

    def get(self, name: str) -> Endpoint: ...

    def list(self) -> list[Endpoint]: ...

    def update_config(self, name: str, config: EndpointConfig, *, actor: str, reason: str) -> Endpoint: ...

    def set_traffic(self, name: str, shares: dict[str, int], *, actor: str, reason: str) -> Endpoint: ...

    def rollback(self, name: str, *, actor: str, reason: str) -> Endpoint: ...

    def delete(self, name: str, *, actor: str, reason: str) -> None: ...
