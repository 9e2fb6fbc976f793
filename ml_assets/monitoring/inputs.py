"""What a use case's monitor reads besides its inference table: each served version's reference
profile (logged with its training run), the labels that have arrived, the columns to slice by, and
how to look up the slices a served record does not carry."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from lakegate.lake import Lake
from lakegate.monitoring import Profile
from lakegate.monitoring.refresh import SliceLookup
from lakegate.monitoring.inference_rows import LABEL, LABEL_AVAILABLE_AT, RECORD_KEY
from lakegate.monitoring.reference import stored_reference_profile
from lakegate.registry import Registry
from lakegate.serving.endpoints import Endpoint
from ml_assets.spec import Slice, UseCase
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
    found = {version: stored_reference_profile(registry, registry.model_version(model, version).run_id)
             for version in versions}
    return {version: profile for version, profile in found.items() if profile is not None}


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
    """The columns the monitor slices by: the spec's slices a served record carries (model inputs),
    then those looked up in another table (a member's region), named as the spec names them."""
    inputs = set(model_input_columns(use_case))
    return [s.column for s in use_case.slices if s.table is None and s.column in inputs] + \
        [s.name for s in _looked_up(use_case)]


def _looked_up(use_case: UseCase) -> list[Slice]:
    return [s for s in use_case.slices if s.table is not None and s.key is not None]


def slice_lookup(lake: Lake, catalog: str, use_case: UseCase) -> SliceLookup | None:
    """Record keys → each looked-up slice's value: the record's entity row (a claim) names the key (its
    member), whose row in the slice's table has the value. A record not (yet) in the entity table, or
    whose key the slice's table lacks, gets NULL: a slice of its own."""
    looked_up, rows = _looked_up(use_case), use_case.entity_rows
    if not looked_up:
        return None

    def lookup(record_keys: pa.ChunkedArray) -> pa.Table:
        wanted = pc.unique(record_keys.drop_null().combine_chunks().cast(pa.string()))
        entity = f"{catalog}.{rows.table}"
        columns = sorted({rows.key, *(s.key for s in looked_up)})
        events = lake.table(entity).to_pyarrow_dataset().to_table(columns=columns, filter=ds.field(rows.key).isin(wanted)) \
            if lake.exists(entity) else pa.table({c: pa.array([], pa.string()) for c in columns})
        out = {RECORD_KEY: events[rows.key].cast(pa.string())}
        for s in looked_up:
            name = f"{catalog}.{s.table}"
            source = lake.read_arrow(name, columns=[s.key, s.column]) if lake.exists(name) else None
            out[s.name] = pa.nulls(events.num_rows, pa.string()) if source is None else \
                source[s.column].take(pc.index_in(events[s.key], value_set=source[s.key].combine_chunks())).cast(pa.string())
        return pa.table(out)

    return lookup


def model_age_start(registry: Registry, model: str, version: str | None) -> dt.datetime | None:
    """When the champion was trained (its run's start): a copy to prod does not make a model younger."""
    if version is None:
        return None
    run = registry.run(registry.model_version(model, version).run_id)
    return dt.datetime.fromtimestamp(run.info.start_time / 1000, dt.timezone.utc)
