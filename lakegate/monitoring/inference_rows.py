"""From the inference table (one row per request) to the monitor's rows (one per scored record).

A request row holds `features` as JSON {"columns": [...], "data": [[...], ...]}, `scores` and
`record_keys` as lists and `response` as {"predictions": [...]}. Exploding parses each request's
JSON once (the only per-request Python step) and builds every column with Arrow in one go.
Requests that failed (status_code >= 400) or hold no features give no record; they still count
for the SLA, which reads the request rows themselves (`request_rows`).
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

RECORD_KEY = "record_key"
LABEL = "label"
LABEL_AVAILABLE_AT = "label_available_at"
_BASE = ("timestamp", "model_id", "request_id", RECORD_KEY, "score", "prediction")


def explode_records(requests: pa.Table) -> pa.Table:
    """One row per scored record: timestamp, model_id, request_id, record_key, score, prediction, features."""
    ok = requests.filter(pc.and_(pc.less(requests["status_code"], 400), pc.is_valid(requests["features"])))
    parsed = [json.loads(text) for text in ok["features"].to_pylist()]
    sizes = np.fromiter((len(doc["data"]) for doc in parsed), dtype=np.int64, count=len(parsed))
    repeat = np.repeat(np.arange(len(parsed)), sizes)
    base = {
        "timestamp": ok["timestamp"].take(repeat),
        "model_id": ok["model_version"].take(repeat),
        "request_id": ok["request_id"].take(repeat),
        RECORD_KEY: _flatten(ok["record_keys"], sizes, pa.string()),
        "score": _flatten(ok["scores"], sizes, pa.float64()),
        "prediction": pa.array(_predictions(ok["response"].to_pylist(), sizes), pa.float64()),
    }
    return pa.table({**base, **_feature_columns(parsed, sizes)})


def _flatten(lists: pa.ChunkedArray, sizes: np.ndarray, type_: pa.DataType) -> pa.Array:
    """The list column flattened, a request whose list is missing or of another length giving nulls."""
    values = lists.to_pylist()
    out = itertools.chain.from_iterable(v if v is not None and len(v) == n else [None] * n
                                        for v, n in zip(values, sizes.tolist()))
    return pa.array(list(out), type_)


def _predictions(responses: list, sizes: np.ndarray) -> list:
    out = []
    for text, n in zip(responses, sizes.tolist()):
        try:
            values = json.loads(text)["predictions"] if text else None
        except (ValueError, TypeError, KeyError):
            values = None
        ok = isinstance(values, list) and len(values) == n and all(isinstance(v, (int, float)) for v in values)
        out.extend(values if ok else [None] * n)
    return out


def _feature_columns(parsed: list[dict], sizes: np.ndarray) -> dict[str, pa.Array]:
    """Columns by name, built per group of requests that send the same columns (zip transposes in C);
    a request without a column gives nulls for it."""
    groups: dict[tuple, list[int]] = {}
    for i, doc in enumerate(parsed):
        groups.setdefault(tuple(doc["columns"]), []).append(i)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    tables, positions = [], []
    for names, members in groups.items():
        rows = list(itertools.chain.from_iterable(parsed[i]["data"] for i in members))
        columns = list(zip(*rows)) if rows else [()] * len(names)
        tables.append(pa.table({n: pa.array(c) for n, c in zip(names, columns) if n not in _BASE}))
        positions.append(np.concatenate([np.arange(starts[i], starts[i + 1]) for i in members]))
    if not tables:
        return {}
    merged = pa.concat_tables(tables, promote_options="permissive")
    order = np.argsort(np.concatenate(positions), kind="stable")  # back to the records' order
    merged = merged.take(pa.array(order))
    return {name: merged[name].combine_chunks() for name in merged.column_names}


def request_rows(requests: pa.Table) -> pa.Table:
    """The columns the SLA reads: one row per request, errors included."""
    return requests.select(["timestamp", "model_version", "latency_ms", "status_code"]).rename_columns(
        ["timestamp", "model_id", "latency_ms", "status_code"])


def latest_labels(labels: pa.Table, as_of=None) -> pa.Table:
    """One label per record key: the last to arrive, among those available by `as_of` (all when None)."""
    missing = {RECORD_KEY, LABEL, LABEL_AVAILABLE_AT} - set(labels.column_names)
    if missing:
        raise ValueError(f"labels need the columns {sorted(missing)}")
    labels = labels.select([RECORD_KEY, LABEL, LABEL_AVAILABLE_AT]).cast(pa.schema([
        (RECORD_KEY, pa.string()), (LABEL, pa.float64()), (LABEL_AVAILABLE_AT, pa.timestamp("us", tz="UTC"))]))
    if as_of is not None:
        labels = labels.filter(pc.less_equal(labels[LABEL_AVAILABLE_AT], pa.scalar(as_of, labels[LABEL_AVAILABLE_AT].type)))
    ordered = labels.sort_by([(RECORD_KEY, "ascending"), (LABEL_AVAILABLE_AT, "descending")])
    keys = ordered[RECORD_KEY].to_numpy(zero_copy_only=False)
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    return ordered.filter(pa.array(first))


def join_labels(records: pa.Table, labels: pa.Table, as_of=None) -> pa.Table:
    """Records with `label` and `label_available_at` beside them (null until a label has come)."""
    joined = records.join(latest_labels(labels, as_of), keys=RECORD_KEY, join_type="left outer")
    return joined.select([*records.column_names, LABEL, LABEL_AVAILABLE_AT])
