"""`EndpointManager` on Databricks Model Serving, through databricks-sdk's `serving_endpoints`.

The same governed changes as locally (lakegate/serving/governed.py: guard, ledger record first),
applied as Databricks applies them: `POST /api/2.0/serving-endpoints` or `PUT .../{name}/config`
with `served_entities` and `traffic_config.routes`, then waiting until `state.config_update` is
NOT_UPDATING (the old config serves meanwhile). Databricks takes one config update at a time: a
change while another is in progress is refused (409 RESOURCE_CONFLICT) and surfaces as an
EndpointError, with a ledger record that it was not applied.

What the local control file keeps beside the config lives on the endpoint: the served entities
that held all traffic (what rollback returns to) in the tag `lakegate_stable_history`. Requests
and responses are captured by Databricks into the inference table
`<catalog>.<schema>.<endpoint>_payload` (`auto_capture_config`, sent with every config).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError, NotFound, OperationFailed, ResourceConflict
from databricks.sdk.service.serving import (
    AutoCaptureConfigInput,
    EndpointCoreConfigInput,
    EndpointTag,
    Route as DatabricksRoute,
    ServedEntityInput,
    ServingEndpointDetailed,
    TrafficConfig as DatabricksTraffic,
)

from lakegate.environment import DatabricksServingConfig
from lakegate.ledger import Ledger
from lakegate.serving.admin import endpoint_document
from lakegate.serving.endpoints import Endpoint, EndpointError, EndpointNotFound
from lakegate.serving.governed import ChangeOutcomeUnknown, DeploymentGuard, GovernedEndpoints, catalog_of

HISTORY_TAG = "lakegate_stable_history"
HISTORY_KEPT = 8  # rollback goes one step back; a few more names keep the tag readable and short


class DatabricksEndpoints(GovernedEndpoints):
    def __init__(self, workspace: WorkspaceClient, home: Path, compute: DatabricksServingConfig = DatabricksServingConfig(),
                 ledger: Ledger | None = None, registry=None, guard: DeploymentGuard | None = None):
        super().__init__(home, ledger=ledger, registry=registry, guard=guard)
        self.api = workspace.serving_endpoints
        self.compute = compute

    # reading

    def get(self, name: str) -> Endpoint:
        return endpoint_from(self._call(name, self.api.get, name))

    def list(self) -> list[Endpoint]:
        """The workspace's endpoints that serve registered models by Lakegate's names (others are not ours)."""
        found = []
        for summary in self._call("", lambda: list(self.api.list())):
            try:
                found.append(self.get(summary.name))
            except EndpointError:  # a foundation-model, external-model or half-created endpoint
                continue
        return sorted(found, key=lambda e: e.name)

    def document(self, name: str) -> dict:
        """The endpoint as `lakegate endpoint status` shows it: the workspace's state, Lakegate's view."""
        detailed = self._call(name, self.api.get, name)
        endpoint = endpoint_from(detailed)
        doc = endpoint_document(endpoint, workers=[])
        doc["state"] = {"ready": detailed.state.ready.value, "config_update": detailed.state.config_update.value}
        doc["databricks"] = {"id": detailed.id, "inference_table": self.inference_table(name, catalog_of(endpoint))}
        return doc

    def inference_table(self, name: str, catalog: str) -> str:
        """The table Databricks captures `name`'s requests and responses in."""
        return f"{catalog}.{self.compute.inference_table_schema}.{table_prefix(name)}_payload"

    # the platform's part of a governed change

    def _read(self, name: str) -> tuple[int, Endpoint | None]:
        try:
            current = self.get(name)
        except EndpointNotFound:
            return 0, None
        return current.generation, current

    def _write(self, name: str, before: Endpoint | None, after: Endpoint | None) -> Endpoint | None:
        if after is None:
            self._call(name, self.api.delete, name)
            return None
        core = self._core_config(after)
        if before is None:
            self._call(name, self.api.create, name, config=core, tags=[history_tag(after)])
        else:
            self._call(name, self.api.update_config, name, served_entities=core.served_entities,
                       traffic_config=core.traffic_config, auto_capture_config=core.auto_capture_config)
        live = self._call(name, self.api.wait_get_serving_endpoint_not_updating, name,
                          timeout=timedelta(seconds=self.compute.update_timeout_seconds))
        if before is not None and before.stable_history != after.stable_history:
            self._call(name, self.api.patch, name, add_tags=[history_tag(after)])
        return endpoint_from(live).model_copy(update={"stable_history": after.stable_history})

    def _core_config(self, endpoint: Endpoint) -> EndpointCoreConfigInput:
        entities = [ServedEntityInput(name=e.name, entity_name=e.entity_name, entity_version=e.entity_version,
                                      workload_size=self.compute.workload_size,
                                      scale_to_zero_enabled=self.compute.scale_to_zero_enabled)
                    for e in endpoint.config.served_entities]
        routes = [DatabricksRoute(served_model_name=r.served_entity_name, traffic_percentage=r.traffic_percentage)
                  for r in endpoint.config.traffic_config.routes]
        capture = AutoCaptureConfigInput(catalog_name=catalog_of(endpoint), schema_name=self.compute.inference_table_schema,
                                         table_name_prefix=table_prefix(endpoint.name), enabled=True)
        return EndpointCoreConfigInput(served_entities=entities, traffic_config=DatabricksTraffic(routes=routes),
                                       auto_capture_config=capture)

    def _call(self, name: str, method, *args, **kwargs):
        """One SDK call, its errors as EndpointErrors (the SDK's messages carry no credentials)."""
        try:
            return method(*args, **kwargs)
        except NotFound:
            raise EndpointNotFound(f"no serving endpoint {name!r} in the Databricks workspace") from None
        except ResourceConflict as exc:
            raise EndpointError(f"{name}: Databricks refused the change because another config update is in "
                                f"progress (one update at a time); try again when it finishes: {exc}") from None
        except OperationFailed as exc:
            raise EndpointError(f"{name}: the config update failed on Databricks ({exc}); the previous config "
                                "keeps serving; the served entities' build logs say why") from None
        except TimeoutError as exc:
            raise ChangeOutcomeUnknown(f"{name}: the config update did not finish within "
                                       f"{self.compute.update_timeout_seconds:g} s, and may still apply; see "
                                       f"`lakegate endpoint status {name}`: {exc}") from None
        except DatabricksError as exc:
            raise EndpointError(f"{name}: Databricks refused the request: {exc.error_code}: {exc}") from None


def table_prefix(endpoint: str) -> str:
    return endpoint.replace("-", "_")


def history_tag(endpoint: Endpoint) -> EndpointTag:
    return EndpointTag(key=HISTORY_TAG, value=",".join(endpoint.stable_history[-HISTORY_KEPT:]))


def endpoint_from(detailed: ServingEndpointDetailed) -> Endpoint:
    """The workspace's endpoint as Lakegate's Endpoint; EndpointError when it serves nothing Lakegate names."""
    if detailed.config is None or not detailed.config.served_entities:
        raise EndpointError(f"{detailed.name} has no served config on Databricks (config update "
                            f"{detailed.state.config_update.value})")
    tags = {tag.key: tag.value or "" for tag in detailed.tags or []}
    routes = detailed.config.traffic_config.routes if detailed.config.traffic_config else []
    try:
        return Endpoint.model_validate({
            "name": detailed.name,
            "config": {
                "served_entities": [{"name": e.name, "entity_name": e.entity_name, "entity_version": e.entity_version}
                                    for e in detailed.config.served_entities],
                "traffic_config": {"routes": [{"served_entity_name": r.served_entity_name or r.served_model_name,
                                               "traffic_percentage": r.traffic_percentage} for r in routes]},
            },
            "generation": detailed.config.config_version or 0,
            "creator": detailed.creator or "",
            "creation_timestamp": detailed.creation_timestamp or 0,
            "last_updated_timestamp": detailed.last_updated_timestamp or 0,
            "stable_history": tuple(n for n in tags.get(HISTORY_TAG, "").split(",") if n),
        })
    except ValueError as exc:
        raise EndpointError(f"{detailed.name} is not an endpoint Lakegate manages: {exc}") from None
