"""The drift heatmap's click-through: one feature's distribution in one window against the model
version's reference profile, over the reference's own bins (the same counts the drift metrics were
computed from: the window's state in `<endpoint>_monitor_state`, the reference logged with the run)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds

from lakegate.dashboard.reads import Snapshot, latest
from lakegate.lake import Lake
from lakegate.monitoring.profile import NumericProfile, Profile
from lakegate.monitoring.reference import stored_reference_profile
from lakegate.registry import Registry, RegistryError

_TS = pa.timestamp("us", tz="UTC")


def reference_of(registry: Registry, model: str, version: str) -> Profile | None:
    """The version's reference profile (None for a version trained before the monitor existed)."""
    try:
        run_id = registry.model_version(model, version).run_id
    except RegistryError:
        return None
    return stored_reference_profile(registry, run_id)


def window_profile(lake: Lake, state_table: str, reference: Profile, granularity: str, start: dt.datetime,
                   model_id: str) -> tuple[Snapshot, Profile | None]:
    """The whole-population state of one window (the highest refresh sequence wins, as the monitor reads it)."""
    where = ((ds.field("granularity") == granularity) & (ds.field("model_id") == model_id)
             & ds.field("slice_key").is_null() & (ds.field("window_start") == pa.scalar(start, _TS)))
    snapshot = latest(lake, state_table, ["profile", "refresh_seq"], where)
    if snapshot.rows is None or snapshot.rows.num_rows == 0:
        return snapshot, None
    rows = sorted(snapshot.rows.to_pylist(), key=lambda r: r["refresh_seq"])
    return snapshot, Profile.from_json(rows[-1]["profile"], like=reference)


def compare(reference: Profile, current: Profile, feature: str) -> dict:
    """Shares per bin, reference against current: numeric bins at their centres, categories by name."""
    ref, cur = reference.columns[feature], current.columns[feature]
    if isinstance(ref, NumericProfile):
        labels = [round(float(c), 6) for c in ref.centres(cur)]
        kind = "numeric"
    else:
        labels = [*ref.categories, "(other)"]
        kind = "categorical"
    rows = [{"bin": label, "side": side, "share": share}
            for side, counts in (("reference", ref.counts), ("current", cur.counts))
            for label, share in zip(labels, _shares(counts))]
    return {"kind": kind, "rows": rows, "reference_count": int(ref.count), "current_count": int(cur.count)}


def _shares(counts) -> list[float]:
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    return (counts / total if total else counts).tolist()
