"""The document behind `lakegate monitor status`: read from the metric tables, the Dagster instance's
latest check evaluations and the audit ledger, never recomputed."""

from __future__ import annotations

import pyarrow.compute as pc

from gates.monitoring import FAMILIES, drifted
from gates.monitoring_policy import MonitoringPolicy, load_monitoring_policy
from gates.monitoring_records import ACTION_KIND
from gates.policy import policies_dir
from lakegate.cli.errors import UsageError
from lakegate.environment import current_environment, lakegate_home
from lakegate.lake import Lake
from lakegate.ledger import Ledger
from lakegate.monitoring import BASELINE, TABLE_COLUMN, MonitorTables
from lakegate.registry import Registry
from lakegate.run import persistent_instance
from ml_assets import keys
from ml_assets.monitoring.assets import stored_verdicts
from ml_assets.monitoring.figures import NOT_FEATURES, feature_drift, judged
from ml_assets.usecases import USE_CASES


def use_case_served_on(endpoint: str, what: str):
    """The use case whose endpoint this is; UsageError naming the known ones otherwise."""
    by_endpoint = {keys.endpoint_name(u): u for u in USE_CASES.values()}
    if endpoint not in by_endpoint:
        raise UsageError(f"no {what} {endpoint!r}; known: {', '.join(sorted(by_endpoint))}")
    return by_endpoint[endpoint]


def monitor_status(endpoint: str, granularity: str | None, shown: int) -> dict:
    use_case, env, home = use_case_served_on(endpoint, "monitored endpoint"), current_environment(), lakegate_home()
    policy = load_monitoring_policy(env.policy_set("monitoring"), policies_dir(use_case.name))
    granularity = granularity or policy.judged_granularity
    model = use_case.registered_model_name("prod")
    tables, lake = MonitorTables.for_endpoint(env.catalog, endpoint), Lake(home / "lake")
    champion = Registry.from_env(home=home).alias_version(model, "champion")
    return {
        "endpoint": endpoint, "model": model, "champion": champion, "granularity": granularity,
        "profile_table": tables.profile_metrics,
        "profile_version": lake.version(tables.profile_metrics) if lake.exists(tables.profile_metrics) else None,
        "windows": _windows(lake, tables, granularity, shown, policy),
        "verdicts": _verdicts(use_case),
        "monitor_asset": keys.monitor_key(use_case).to_user_string(),
        "actions": [{"seq": r.seq, "time": r.time, "action": r.subject.get("action"), "reason": r.reason,
                     "verdict_id": r.inputs.get("verdict_id")}
                    for r in Ledger.for_home(home, env).records(kind=ACTION_KIND, subject_filter={"endpoint": endpoint})],
    }


def _windows(lake: Lake, tables: MonitorTables, granularity: str, shown: int, policy: MonitoringPolicy) -> list[dict]:
    if not lake.exists(tables.profile_metrics):
        return []
    profile = lake.read_arrow(tables.profile_metrics)
    whole = pc.and_(pc.equal(profile["granularity"], granularity), pc.is_null(profile["slice_key"]))
    rows = [r for r in profile.filter(whole).to_pylist() if r["column_name"] == TABLE_COLUMN]
    rows.sort(key=lambda r: (r["window"]["start"], r["model_id"] or ""))
    drifted = _drifted(lake, tables, granularity, policy)
    return [{"start": r["window"]["start"].isoformat(), "model_id": r["model_id"], "rows": r["count"],
             "label_coverage": r.get("label_coverage"), "precision": r.get("precision"), "recall": r.get("recall"),
             "latency_p99_ms": r.get("latency_p99_ms"), "error_rate": r.get("error_rate"),
             "drifted": drifted.get((r["window"]["start"], r["model_id"]), [])} for r in rows[-shown:]]


def _drifted(lake: Lake, tables: MonitorTables, granularity: str, policy: MonitoringPolicy) -> dict:
    """(window start, model_id) → the features the policy calls drifted from the reference there."""
    if not lake.exists(tables.drift_metrics):
        return {}
    drift = lake.read_arrow(tables.drift_metrics)
    mask = pc.and_(pc.and_(pc.equal(drift["granularity"], granularity), pc.equal(drift["drift_type"], BASELINE)),
                   pc.is_null(drift["slice_key"]))
    tested: dict = {}
    for r in drift.filter(mask).to_pylist():
        if r["column_name"] not in NOT_FEATURES and judged(r):
            tested.setdefault((r["window"]["start"], r["model_id"]), []).append(feature_drift(r))
    return {window: sorted(f.column for f in features if drifted(f, policy, len(features)))
            for window, features in tested.items()}


def _verdicts(use_case) -> list[dict]:
    return [v.to_dict() for _, v in stored_verdicts(persistent_instance(), use_case, FAMILIES) if v is not None]
