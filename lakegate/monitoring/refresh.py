"""Incremental monitor refresh: read what the inference table appended, update only the windows it touched.

One call (the Dagster asset's body): read the inference rows appended since the Delta version the
last refresh read (increments.py), explode them into scored records, merge their profiles into
the stored states of the windows they fall in (state.py), recompute live quality for those
windows and for windows whose records got new labels, and rewrite those windows' rows of the
profile and drift metric tables (delete by window, then append). Windows nothing touched keep
their rows and their Delta files. See docs/decisions/0023-monitor-incremental-refresh.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from lakegate.lake import Lake
from lakegate.monitoring import state as st
from lakegate.monitoring.grouping import WHOLE, groups
from lakegate.monitoring.increments import read_appended
from lakegate.monitoring.inference_rows import LABEL, LABEL_AVAILABLE_AT, RECORD_KEY, explode_records, join_labels, \
    request_rows
from lakegate.monitoring.profile import Profile
from lakegate.monitoring.quality import SlaProfile, quality_metrics, unknown_quality
from lakegate.monitoring.tables import BASELINE, CONSECUTIVE, DRIFT_METRICS_SCHEMA, PROFILE_METRICS_SCHEMA, \
    drift_rows, metric_table_names, profile_rows, to_table
from lakegate.monitoring.windows import GRANULARITIES, next_start, previous_start, window_bounds
from lakegate.serving.inference_log import INFERENCE_LOG_SCHEMA, inference_table_name

_REQUEST_COLUMNS = INFERENCE_LOG_SCHEMA.names
_TS = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class MonitorTables:
    inference: str
    profile_metrics: str
    drift_metrics: str
    state: str
    records: str

    @classmethod
    def for_endpoint(cls, catalog: str, endpoint: str) -> "MonitorTables":
        profile, drift = metric_table_names(catalog, endpoint)
        base = profile.removesuffix("_profile_metrics")
        return cls(inference_table_name(catalog, endpoint), profile, drift, f"{base}_monitor_state",
                   f"{base}_monitor_records")


@dataclass(frozen=True)
class RefreshResult:
    windows_touched: tuple  # (granularity, window start, model_id) whose rows were rewritten
    rows_read: int  # inference rows (requests) read
    records_read: int  # scored records they held
    inference_version: int | None  # the inference table version read up to
    table_versions: dict  # Delta version of each table written (None: not written)
    models_without_reference: tuple  # model_ids seen with no reference profile: not profiled


SliceLookup = Callable[[pa.ChunkedArray], pa.Table]  # record keys → record_key and one column per looked-up slice


def refresh(lake: Lake, catalog: str, endpoint: str, references: dict[str, Profile], labels: pa.Table | None = None,
            slices: Sequence[str] = (), granularities: Sequence[str] = GRANULARITIES, min_rows: int = 100,
            lookup: SliceLookup | None = None) -> RefreshResult:
    """Bring the endpoint's monitor tables up to date with its inference table and the labels so far.

    `references` maps model_id (the model version) to its reference profile; `labels` has
    record_key, label (0/1) and label_available_at; `slices` are columns to slice by: features of the
    records, or columns `lookup` gives for the new records' keys (a member's region), looked up once,
    when the records are first read, and stored with them.
    Windows with fewer than `min_rows` records get profile rows but NULL drift, quality and SLA
    figures, so no check gives them a verdict.
    """
    tables = MonitorTables.for_endpoint(catalog, endpoint)
    mark = st.watermark(lake, tables.state)
    requests, version = read_appended(lake, tables.inference, mark["inference_version"], _REQUEST_COLUMNS)
    rows_read = requests.num_rows
    records = explode_records(requests) if requests.num_rows else None
    unknown = _unknown_models(requests, references)
    records = _known(records, references) if records is not None else None
    if lookup is not None and records is not None and records.num_rows:
        records = with_looked_up(records, lookup(records[RECORD_KEY]))
    requests = _known(request_rows(requests), references) if requests.num_rows else None

    new_states = _new_states(records, requests, references, slices, granularities)
    new_triples = {k[:3] for k in new_states}
    versions = {name: None for name in (tables.records, tables.profile_metrics, tables.drift_metrics, tables.state)}
    if records is not None and records.num_rows:
        versions[tables.records] = _append_records(lake, tables.records, records, slices, mark["inference_version"],
                                                   version)
    labels_until, labelled = _new_labels(lake, tables.records, labels, mark["labels_seen_until"], granularities,
                                         references)
    affected = new_triples | labelled
    following = {(g, next_start(s, g), m) for g, s, m in new_triples} - affected
    wanted = affected | following | {(g, previous_start(s, g), m) for g, s, m in affected | following}
    stored = st.load_states(lake, tables.state, wanted, references)
    states = dict(stored)
    for key, new in new_states.items():
        states[key] = stored[key].merge(new) if key in stored else new

    if affected:
        quality = _quality(lake, tables.records, affected, labels, slices, min_rows)
        profile = [row for key in _keys(states, affected)
                   for row in profile_rows(key, states[key].profile, _figures(key, states[key], quality, min_rows),
                                           version)]
        drift = [row for key in _keys(states, affected | following)
                 for row in _drift(key, states, references, min_rows, version)]
        versions[tables.profile_metrics] = _replace(lake, tables.profile_metrics, affected, profile,
                                                    PROFILE_METRICS_SCHEMA)
        versions[tables.drift_metrics] = _replace(lake, tables.drift_metrics, affected | following, drift,
                                                  DRIFT_METRICS_SCHEMA)
    if affected or version != mark["inference_version"] or labels_until != mark["labels_seen_until"]:
        new_mark = {"inference_version": version, "labels_seen_until": labels_until,
                    "refresh_seq": mark["refresh_seq"] + 1}
        versions[tables.state] = st.save_states(lake, tables.state, {k: states[k] for k in _keys(states, affected)},
                                                new_mark)
    return RefreshResult(tuple(sorted(affected)), rows_read, records.num_rows if records is not None else 0, version,
                         versions, unknown)


def with_looked_up(records: pa.Table, found: pa.Table) -> pa.Table:
    """`records` with each column of `found` beside it, matched by record key (NULL where not found)."""
    at = pc.index_in(records[RECORD_KEY], value_set=found[RECORD_KEY].combine_chunks())
    for name in found.column_names:
        if name != RECORD_KEY:
            records = records.append_column(name, pc.cast(found[name].take(at), pa.string()))
    return records


def _keys(states: dict, triples: set) -> list:
    return sorted((k for k in states if k[:3] in triples), key=lambda k: tuple("" if v is None else str(v) for v in k))


def _unknown_models(requests, references) -> tuple:
    seen = set(requests["model_version"].drop_null().to_pylist()) if requests.num_rows else set()
    return tuple(sorted(seen - set(references)))


def _known(table: pa.Table, references) -> pa.Table:
    return table.filter(pc.is_in(table["model_id"], value_set=pa.array(sorted(references), pa.string())))


def _new_states(records, requests, references, slices, granularities) -> dict:
    states: dict = {}
    for granularity in granularities:
        if records is not None:
            for key, rows in groups(records, granularity, slices):
                states[key] = st.WindowState(references[key[2]].empty().observe(rows))
        if requests is not None:
            for key, rows in groups(requests, granularity):
                sla = SlaProfile().observe(rows["latency_ms"].to_numpy(zero_copy_only=False),
                                           rows["status_code"].to_numpy(zero_copy_only=False))
                profile = states[key].profile if key in states else references[key[2]].empty()
                states[key] = st.WindowState(profile, sla)
    return states


def _append_records(lake, name, records, slices, after, version) -> int:
    """The narrow records, tagged with the inference version; rows of an unfinished earlier try are dropped."""
    narrow = records.select(["timestamp", "model_id", RECORD_KEY, "score", "prediction"])
    for column in slices:
        narrow = narrow.append_column(f"slice__{column}", pc.cast(records[column], pa.string()))
    narrow = narrow.append_column("inference_version", pa.array([version] * records.num_rows, pa.int64()))
    if lake.exists(name):
        lake.table(name).delete(f"inference_version > {int(after) if after is not None else -1}")
    return lake.write_arrow(name, narrow)


def _new_labels(lake, records_table, labels, seen_until, granularities, references) -> tuple:
    """(latest label arrival now seen, triples whose records got a label since the last refresh)."""
    if labels is None or labels.num_rows == 0 or not lake.exists(records_table):
        return seen_until, set()
    arrivals = pc.cast(labels[LABEL_AVAILABLE_AT], _TS)
    fresh = labels if seen_until is None else labels.filter(pc.greater(arrivals, pa.scalar(dt.datetime.fromisoformat(seen_until), _TS)))
    latest = pc.max(arrivals).as_py()
    if seen_until is not None:
        latest = max(latest, dt.datetime.fromisoformat(seen_until))  # a partial labels frame never moves it back
    if fresh.num_rows == 0:
        return latest.isoformat(), set()
    keys = pa.array(sorted(set(fresh[RECORD_KEY].cast(pa.string()).to_pylist())), pa.string())
    hits = lake.table(records_table).to_pyarrow_dataset().to_table(
        columns=["timestamp", "model_id", RECORD_KEY], filter=ds.field(RECORD_KEY).isin(keys))
    hits = _known(hits, references)
    triples = {key[:3] for g in granularities for key, _ in groups(hits, g)}
    return latest.isoformat(), triples


def _quality(lake, records_table, triples, labels, slices, min_rows) -> dict:
    """Quality per window and slice from the stored records of those windows and the labels so far
    (unknown until at least `min_rows` of a window's records are labelled)."""
    expression = None
    for granularity, start, model_id in triples:
        begin, end = window_bounds(start, granularity)
        one = ((ds.field("model_id") == model_id) & (ds.field("timestamp") >= pa.scalar(begin, _TS))
               & (ds.field("timestamp") < pa.scalar(end, _TS)))
        expression = one if expression is None else expression | one
    rows = lake.table(records_table).to_pyarrow_dataset().to_table(filter=expression) \
        if lake.exists(records_table) else None
    if rows is None or rows.num_rows == 0:
        return {}
    rows = rows.rename_columns([c.removeprefix("slice__") for c in rows.column_names])
    if labels is not None and labels.num_rows:
        rows = join_labels(rows, labels)
    else:
        rows = rows.append_column(LABEL, pa.nulls(rows.num_rows, pa.float64()))
    out = {}
    for granularity in {t[0] for t in triples}:
        for key, window in groups(rows, granularity, [s for s in slices if s in rows.column_names]):
            if key[:3] not in triples:
                continue
            labelled = len(window[LABEL]) - window[LABEL].null_count
            figures = quality_metrics(window[LABEL].to_numpy(zero_copy_only=False),
                                      window["prediction"].to_numpy(zero_copy_only=False),
                                      window["score"].to_numpy(zero_copy_only=False))
            # a verdict on a handful of labels is noise: below min_rows labelled records, unknown
            out[key] = figures if labelled >= min_rows else unknown_quality(figures["label_coverage"])
    return out


def _figures(key, state: st.WindowState, quality: dict, min_rows: int) -> dict:
    figures = quality.get(key, unknown_quality())
    sla = state.sla.figures() if state.sla is not None and key[3:] == WHOLE else {}
    if state.profile.num_rows < min_rows:  # too small for a verdict: facts stay, verdict fields go NULL
        figures = unknown_quality(figures["label_coverage"])
        sla = {"request_count": sla.get("request_count")} if sla else {}
    return {**figures, **sla}


def _drift(key, states, references, min_rows, version) -> list[dict]:
    profile = states[key].profile
    big_enough = profile.num_rows >= min_rows
    rows = drift_rows(key, profile, references[key[2]], BASELINE, None, big_enough, version)
    previous = (key[0], previous_start(key[1], key[0]), *key[2:])
    if previous in states:
        base = states[previous].profile
        rows += drift_rows(key, profile, base, CONSECUTIVE, previous[1], big_enough and base.num_rows >= min_rows,
                           version)
    return rows


def _replace(lake, name, triples, rows, schema) -> int:
    if lake.exists(name):
        lake.table(name).delete(st.key_predicate(triples, "window.start"))
    return lake.write_arrow(name, to_table(rows, schema))
