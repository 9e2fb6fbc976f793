"""Asset-check evaluations read from Dagster's event storage, every check in the graph, in order.

Read per check from the `asset_check_executions` index (one row per execution, its id rising) with
the last id seen as the cursor. Each row holds the ASSET_CHECK_EVALUATION event itself, with its
outcome and severity, whatever the run did: a failed WARN check in a run that succeeded is read like
any other (dagster#29896). A global scan of ASSET_CHECK_EVALUATION events with a storage-id cursor
(`get_event_records`) fails on the run-sharded SQLite storage that `dagster dev` uses by default
(docs/decisions/0024-alert-sensor.md).
"""

from __future__ import annotations

from typing import Iterable, Iterator

import dagster as dg
from dagster._core.storage.asset_check_execution_record import (
    AssetCheckExecutionRecord,
    AssetCheckExecutionRecordStatus,
)

from lakegate.alerting.transitions import Observation

COMPLETED = {AssetCheckExecutionRecordStatus.SUCCEEDED, AssetCheckExecutionRecordStatus.FAILED}
PAGE = 100


def check_key_name(key: dg.AssetCheckKey) -> str:
    return f"{key.asset_key.to_user_string()}:{key.name}"


def new_evaluations(instance: dg.DagsterInstance, check_keys: Iterable[dg.AssetCheckKey],
                    seen: dict[str, int]) -> Iterator[tuple[str, int, Observation]]:
    """(check key, execution id, observation) for each evaluation after `seen[key]`, oldest first.

    One query finds each check's latest execution; only the checks with one newer than what was seen
    have their history read. A check not in `seen` yields only its latest evaluation: a new sensor
    (or a reset cursor) starts from the present, not from the whole history."""
    keys = sorted(check_keys, key=check_key_name)
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys) if keys else {}
    for key in keys:
        name = check_key_name(key)
        if key not in latest or latest[key].id <= seen.get(name, -1):
            continue  # never run, or nothing new since the last tick
        for record in _completed_after(instance, key, seen.get(name)):
            yield name, record.id, _observation(name, record)


def _completed_after(instance: dg.DagsterInstance, key: dg.AssetCheckKey, after: int | None) -> list[AssetCheckExecutionRecord]:
    storage = instance.event_log_storage
    if after is None:
        return list(storage.get_asset_check_execution_history(key, limit=1, status=COMPLETED))
    newer: list[AssetCheckExecutionRecord] = []
    cursor = None
    while True:  # newest first, page by page, back to the last one seen
        page = storage.get_asset_check_execution_history(key, limit=PAGE, cursor=cursor, status=COMPLETED)
        newer.extend(r for r in page if r.id > after)
        if len(page) < PAGE or page[-1].id <= after:
            return sorted(newer, key=lambda r: r.id)
        cursor = page[-1].id


def _observation(name: str, record: AssetCheckExecutionRecord) -> Observation:
    evaluation = record.evaluation
    timestamp = record.event.timestamp if record.event else record.create_timestamp
    passed = evaluation.passed if evaluation else record.status == AssetCheckExecutionRecordStatus.SUCCEEDED
    severity = evaluation.severity.value if evaluation else "ERROR"
    description = (evaluation.description if evaluation else None) or ""
    verdict = "passed" if passed else f"failed ({severity})"
    text = f"asset check {name} {verdict} in run {record.run_id}" + (f": {description}" if description else "")
    return Observation(key=name, passed=passed, severity=severity, at=timestamp, ref=f"execution {record.id}",
                       text=text, run_id=record.run_id)
