"""What `lakegate dashboard` tells the core about each use case: endpoint, models, policy limits,
the pipeline's tables (the training set's lineage) and sources, the latest check results on them
and the monitor's stored verdicts. The CLI joins the layers; lakegate/dashboard knows no use case."""

from __future__ import annotations

import dagster as dg

from gates.monitoring import FAMILIES
from gates.monitoring_policy import MonitoringPolicy, load_monitoring_policy
from gates.policy import PolicyError, policies_dir
from lakegate.dashboard import CheckResult, Limits, ModelFacts, QuarantineSource
from lakegate.environment import CATALOGS, Environment
from lakegate.lake import Lake
from lakegate.lineage import LineageNode, trace
from lakegate.monitoring import MonitorTables
from lakehouse_assets.silver.tables import SILVER_TABLES
from ml_assets import keys
from ml_assets.monitoring.assets import stored_verdicts
from ml_assets.spec import UseCase
from ml_assets.training.reference import SCORE
from ml_assets.usecases import USE_CASES


def limits(policy: MonitoringPolicy) -> Limits:
    return Limits(policy.version, policy.judged_granularity, policy.min_window_rows,
                  policy.sla.warn_p99_latency_ms, policy.sla.error_p99_latency_ms, policy.sla.warn_error_rate,
                  policy.sla.error_error_rate, policy.quality.warn_min_precision, policy.quality.error_min_precision,
                  policy.quality.warn_min_recall, policy.quality.error_min_recall, tuple(policy.drift.psi_bands),
                  policy.drift.max_js_distance, policy.drift.alpha)


def _policy_limits(env: Environment, use_case: UseCase) -> Limits | None:
    try:
        return limits(load_monitoring_policy(env.policy_set("monitoring"), policies_dir(use_case.name)))
    except PolicyError:  # no monitoring policy for this environment: the charts draw no limit
        return None


def _lineage_tables(node: LineageNode) -> set[str]:
    found = {node.table}
    for child in node.inputs:
        found |= _lineage_tables(child)
    return found


def pipeline_tables(lake: Lake, env: Environment, use_case: UseCase) -> set[str]:
    """The training set and everything upstream of it, the label table, and the serving and monitor tables."""
    training = use_case.training_set_table(env.catalog)
    upstream = _lineage_tables(trace(lake, training, lake.version(training))) if lake.exists(training) else {training}
    monitor = MonitorTables.for_endpoint(env.catalog, keys.endpoint_name(use_case))
    return upstream | {f"{env.catalog}.{use_case.label.table}", monitor.inference, monitor.profile_metrics,
                       monitor.drift_metrics}


def quarantine_sources(tables: set[str], catalog: str) -> tuple[QuarantineSource, ...]:
    return tuple(QuarantineSource(name, f"{catalog}.silver.{name}", f"{catalog}.quarantine.{name}")
                 for name in sorted(SILVER_TABLES) if f"{catalog}.silver.{name}" in tables)


def check_results(instance: dg.DagsterInstance, check_keys: list[dg.AssetCheckKey], tables: set[str]) -> tuple:
    """The latest completed evaluation of every check on an asset that is one of these tables."""
    schema_tables = {".".join(t.split(".")[1:]) for t in tables}
    results = []
    for key in check_keys:
        if ".".join(key.asset_key.path) not in schema_tables:
            continue
        record = instance.get_latest_asset_check_evaluation_record(key)
        event = record.event.dagster_event if record and record.event else None
        evaluation = event.event_specific_data if event else None
        if not isinstance(evaluation, dg.AssetCheckEvaluation):
            continue
        results.append(CheckResult(key.asset_key.to_user_string(), key.name, evaluation.passed,
                                   evaluation.severity.value, record.event.timestamp, evaluation.description or ""))
    return tuple(results)


def model_facts(env: Environment, lake: Lake, instance: dg.DagsterInstance, check_keys: list[dg.AssetCheckKey],
                use_case: UseCase) -> ModelFacts:
    tables = pipeline_tables(lake, env, use_case)
    verdicts = tuple(v.to_dict() for _, v in stored_verdicts(instance, use_case, FAMILIES) if v is not None)
    return ModelFacts(
        use_case=use_case.name, description=use_case.description, endpoint=keys.endpoint_name(use_case),
        models={c: use_case.registered_model_name(c) for c in CATALOGS}, catalog=env.catalog,
        tables=tuple(sorted(tables)), quarantine=quarantine_sources(tables, env.catalog),
        limits=_policy_limits(env, use_case), checks=check_results(instance, check_keys, tables),
        monitor_verdicts=verdicts, outputs=(SCORE,))


def facts_source(env: Environment, lake: Lake, instance: dg.DagsterInstance, check_keys: list[dg.AssetCheckKey]):
    """Called per page request: the verdicts and check results as the instance holds them now."""
    return lambda: [model_facts(env, lake, instance, check_keys, u) for u in USE_CASES.values()]
