"""The monitor's own state under the lake: window profiles, scored records, and how far it read.

- `<catalog>.monitoring.<endpoint>_monitor_state`: per window, granularity, model_id and slice,
  the window's profile counts (bins are the model version's reference profile's) and its SLA
  sketch. A refresh appends its new states and the watermark (the inference table's Delta version
  read up to, the latest label arrival seen, the refresh's sequence number) in one commit, the last
  it makes: a refresh that dies before it is redone whole by the next one, and one commit can only
  land whole. A key's state is its row of the highest sequence; older rows are pruned afterwards.
- `<catalog>.monitoring.<endpoint>_monitor_records`: one narrow row per scored record (time,
  model_id, key, score, prediction, slice values), so late labels find their windows and the
  windows' quality is recomputed without rereading the inference table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from lakegate.lake import Lake
from lakegate.monitoring.profile import Profile
from lakegate.monitoring.quality import SlaProfile
from lakegate.monitoring.windows import window_bounds

WATERMARK_KEY = "lakegate.monitor"
_TS = pa.timestamp("us", tz="UTC")
STATE_SCHEMA = pa.schema([
    pa.field("granularity", pa.string(), nullable=False),
    pa.field("window_start", _TS, nullable=False),
    pa.field("model_id", pa.string(), nullable=False),
    pa.field("slice_key", pa.string()),
    pa.field("slice_value", pa.string()),
    pa.field("profile", pa.string(), nullable=False),  # Profile.to_json(bins=False)
    pa.field("sla", pa.string()),  # SlaProfile as JSON, on the whole-population rows only
    pa.field("refresh_seq", pa.int64(), nullable=False),  # the refresh that wrote it: the highest wins
])
_HISTORY = 100  # commits searched back for the watermark (prunes, which carry none, sit in between)
WindowKey = tuple  # (granularity, window start in µs, model_id, slice_key, slice_value)
Triple = tuple  # (granularity, window start in µs, model_id): the unit a refresh rewrites


@dataclass(frozen=True)
class WindowState:
    profile: Profile
    sla: SlaProfile | None = None

    def merge(self, other: "WindowState") -> "WindowState":
        sla = other.sla if self.sla is None else self.sla if other.sla is None else self.sla.merge(other.sla)
        return WindowState(self.profile.merge(other.profile), sla)


def watermark(lake: Lake, state_table: str) -> dict:
    """{"inference_version", "labels_seen_until", "refresh_seq"} of the last refresh that completed."""
    mark = {"inference_version": None, "labels_seen_until": None, "refresh_seq": 0}
    if not lake.exists(state_table):
        return mark
    for commit in lake.table(state_table).history(limit=_HISTORY):
        try:
            found = json.loads(commit.get("userMetadata") or "{}").get(WATERMARK_KEY)
        except (ValueError, AttributeError):
            found = None
        if found:
            return {**mark, **found}
    raise RuntimeError(f"{state_table} has no monitor watermark in its last {_HISTORY} commits; rebuild the monitor")


def key_predicate(triples: Iterable[Triple], window_start: str) -> str:
    """A delta-rs SQL predicate matching the rows of these (granularity, window, model_id) triples."""
    grouped: dict[tuple, list[int]] = {}
    for granularity, start, model_id in sorted(set(triples)):
        grouped.setdefault((granularity, model_id), []).append(int(start))
    parts = [f"(granularity = {_quote(g)} AND model_id = {_quote(m)} AND "
             f"arrow_cast({window_start}, 'Int64') IN ({', '.join(map(str, starts))}))"
             for (g, m), starts in grouped.items()]
    return " OR ".join(parts) if parts else "false"


def _quote(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _dataset_filter(triples: Iterable[Triple], window_start: ds.Expression) -> ds.Expression | None:
    expression = None
    for granularity, start, model_id in set(triples):
        one = ((ds.field("granularity") == granularity) & (ds.field("model_id") == model_id)
               & (window_start == pa.scalar(window_bounds(start, granularity)[0], _TS)))
        expression = one if expression is None else expression | one
    return expression


def load_states(lake: Lake, state_table: str, triples: set[Triple], references: dict[str, Profile]) -> dict:
    """The stored states of every slice of these triples (none for a window never seen)."""
    if not triples or not lake.exists(state_table):
        return {}
    table = lake.table(state_table).to_pyarrow_dataset().to_table(
        filter=_dataset_filter(triples, ds.field("window_start")))
    starts = pc.cast(table["window_start"], pa.int64()).to_pylist()
    states = {}
    for row, start in sorted(zip(table.to_pylist(), starts), key=lambda rs: rs[0]["refresh_seq"]):
        reference = references[row["model_id"]]
        sla = SlaProfile.from_dict(json.loads(row["sla"])) if row["sla"] else None
        key = (row["granularity"], start, row["model_id"], row["slice_key"], row["slice_value"])
        states[key] = WindowState(Profile.from_json(row["profile"], like=reference), sla)  # later seq wins
    return states


def save_states(lake: Lake, state_table: str, states: dict, mark: dict) -> int:
    """Append the states and the watermark in one commit, then prune the rows they supersede."""
    seq = int(mark["refresh_seq"])
    rows = [{"granularity": k[0], "window_start": window_bounds(k[1], k[0])[0], "model_id": k[2],
             "slice_key": k[3], "slice_value": k[4], "profile": s.profile.to_json(bins=False),
             "sla": json.dumps(s.sla.to_dict(), sort_keys=True) if s.sla is not None else None, "refresh_seq": seq}
            for k, s in sorted(states.items(), key=lambda kv: tuple("" if v is None else str(v) for v in kv[0]))]
    meta = {"userMetadata": json.dumps({WATERMARK_KEY: mark}, sort_keys=True)}
    version = lake.write_arrow(state_table, pa.Table.from_pylist(rows, schema=STATE_SCHEMA), commit_metadata=meta)
    if states:  # a prune that dies leaves superseded rows, which load_states passes over
        lake.table(state_table).delete(f"({key_predicate({k[:3] for k in states}, 'window_start')}) "
                                       f"AND refresh_seq < {seq}")
        version = lake.version(state_table)
    return version
