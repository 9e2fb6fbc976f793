"""The monitor's computation core: drift, live quality and SLA of a served model, from its inference table.

Plain functions over Arrow tables; nothing here knows an asset, a gate or a use case. What an
asset calls:

- `reference_profile(held_out, numeric=[...], categorical=[...])` once per model version, when it
  is promoted: a mergeable `Profile` (fixed bins, category counts). Store `profile.to_json()`
  beside the version and in its evidence bundle; read it back with `Profile.from_json(text)`.
- `refresh(lake, catalog, endpoint, references={model_id: Profile}, labels=..., slices=[...],
  granularities=("1 hour", "1 day"), min_rows=...)` on a schedule: reads only what the endpoint's
  inference table appended since the last refresh, rewrites only the touched windows' rows of
  `<catalog>.monitoring.<endpoint>_profile_metrics` and `_drift_metrics` (Lakehouse Monitoring's
  column names) and returns a `RefreshResult` (windows touched, rows read, Delta versions).
- `MonitorTables.for_endpoint(catalog, endpoint)`: the names of the tables a refresh reads and writes.

The pieces, for checks and tests: `metrics` (the seven drift metrics over bin counts),
`column_drift` (the drift table's fields for one column), `quality_metrics` and `SlaProfile`
(live quality and SLA figures), `explode_records`/`join_labels` (inference rows to scored
records with their labels). Decisions: docs/decisions/0022-monitor-drift-metrics.md and
0023-monitor-incremental-refresh.md.
"""

from lakegate.monitoring.drift import DRIFT_FIELDS, column_drift
from lakegate.monitoring.inference_rows import explode_records, join_labels
from lakegate.monitoring.profile import Profile, reference_profile
from lakegate.monitoring.quality import QUALITY_FIELDS, SLA_FIELDS, SlaProfile, quality_metrics
from lakegate.monitoring.refresh import MonitorTables, RefreshResult, refresh
from lakegate.monitoring.tables import (BASELINE, CONSECUTIVE, DRIFT_METRICS_SCHEMA, PROFILE_METRICS_SCHEMA,
                                        TABLE_COLUMN, metric_table_names)

__all__ = ["BASELINE", "CONSECUTIVE", "DRIFT_FIELDS", "DRIFT_METRICS_SCHEMA", "MonitorTables", "PROFILE_METRICS_SCHEMA",
           "Profile", "QUALITY_FIELDS", "RefreshResult", "SLA_FIELDS", "SlaProfile", "TABLE_COLUMN", "column_drift",
           "explode_records", "join_labels", "metric_table_names", "quality_metrics", "reference_profile", "refresh"]
