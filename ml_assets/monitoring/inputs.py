"""What a use case's monitor reads besides its inference table: each served version's reference
profile (logged with its training run), the labels that have arrived, and the columns to slice by."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from lakegate.lake import Lake
from lakegate.monitoring import Profile
from lakegate.monitoring.inference_rows import LABEL, LABEL_AVAILABLE_AT, RECORD_KEY
from lakegate.registry import REFERENCE_PROFILE_ARTIFACT, Registry, RegistryError
from lakegate.serving.endpoints import Endpoint
from ml_assets.spec import UseCase
from ml_assets.training.columns import model_input_columns


def served_versions(endpoint: Endpoint | None) -> list[str]:
    return sorted({e.entity_version for e in endpoint.config.served_entities}, key=int) if endpoint else []


def full_share_version(endpoint: Endpoint | None) -> str | None:
    """The version holding all of the endpoint's traffic (None mid-rollout or without an endpoint)."""
    entity = endpoint.config.full_share_entity() if endpoint else None
    return endpoint.config.entity(entity).entity_version if entity else None


def reference_profiles(registry: Registry, model: str, versions: list[str]) -> dict[str, Profile]:
    """model_id (version) → its reference profile; a version without one (trained before the monitor
    existed) is left out, and the monitor reports it as not profiled."""
    found = {}
    for version in versions:
        run_id = registry.model_version(model, version).run_id
        try:
            found[version] = Profile.from_json(registry.run_artifact(run_id, REFERENCE_PROFILE_ARTIFACT).decode())
        except RegistryError:
            continue
    return found


def arrived_labels(lake: Lake, catalog: str, use_case: UseCase) -> pa.Table | None:
    """The use case's labels as the monitor joins them: record_key, label, label_available_at."""
    spec = use_case.label
    name = f"{catalog}.{spec.table}"
    if not lake.exists(name):
        return None
    table = lake.read_arrow(name, columns=[spec.key, spec.column, spec.available_at])
    return pa.table({RECORD_KEY: table[spec.key].cast(pa.string()), LABEL: table[spec.column].cast(pa.float64()),
                     LABEL_AVAILABLE_AT: table[spec.available_at].cast(pa.timestamp("us", tz="UTC"))})


def slice_columns(use_case: UseCase) -> list[str]:
    """The spec's slices that a served record carries (model inputs); a slice looked up in another
    table (a member's region) is judged by the bias gate at promotion, not sliced live."""
    inputs = set(model_input_columns(use_case))
    return [s.column for s in use_case.slices if s.table is None and s.column in inputs]


def model_age_start(registry: Registry, model: str, version: str | None) -> dt.datetime | None:
    """When the champion was trained (its run's start): a copy to prod does not make a model younger."""
    if version is None:
        return None
    run = registry.run(registry.model_version(model, version).run_id)
    return dt.datetime.fromtimestamp(run.info.start_time / 1000, dt.timezone.utc)
