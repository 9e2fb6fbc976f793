"""The landing sensor: the outside world's only way in. New files launch bronze ingestion.

The sensor only notices files (path, size, modification time) and asks for a run of the bronze
assets of the sources that changed; exactly-once is the ingestion's job (content hashes), so a
sensor that fires twice ingests nothing twice. Silver and gold follow by declarative automation.
"""


import hashlib
import json

import dagster as dg

from lakegate.environment import current_environment
from lakegate.platform import Platform
from lakehouse_assets.bronze.assets import bronze_key
from lakehouse_assets.bronze.ingest import landing_files
from lakehouse_assets.sources import SOURCES

LANDING_SENSOR = "landing_files_sensor"


def landing_snapshot(platform: Platform) -> dict[str, dict[str, str]]:
    """{source: {path: "size:mtime_ns"}} for every file waiting in landing."""
    snapshot: dict[str, dict[str, str]] = {}
    for source in SOURCES:
        files = landing_files(platform.landing_root() / source)
        snapshot[source] = {str(p): f"{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files}
    return snapshot


def changed_sources(previous: dict[str, dict[str, str]], current: dict[str, dict[str, str]]) -> list[str]:
    return sorted(s for s, files in current.items() if any(previous.get(s, {}).get(p) != v for p, v in files.items()))


@dg.sensor(
    name=LANDING_SENSOR,
    minimum_interval_seconds=current_environment().landing_sensor_interval_seconds,
    default_status=dg.DefaultSensorStatus.STOPPED,
    asset_selection=dg.AssetSelection.groups("bronze"),
    description="Launches bronze ingestion for sources whose landing folder has new or changed files.",
)
def landing_files_sensor(context: dg.SensorEvaluationContext, platform: Platform):
    previous = json.loads(context.cursor) if context.cursor else {}
    current = landing_snapshot(platform)
    sources = changed_sources(previous, current)
    if not sources:
        return dg.SkipReason("no new files in landing")
    run_key = hashlib.sha256(json.dumps({s: current[s] for s in sources}, sort_keys=True).encode()).hexdigest()[:16]
    context.update_cursor(json.dumps(current))
    return dg.RunRequest(run_key=run_key, asset_selection=[bronze_key(s) for s in sources], tags={"lakegate/trigger": "landing"})
