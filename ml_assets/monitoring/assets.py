"""A use case's monitor, made from its spec: `<use case>_monitor` refreshes the endpoint's metric
tables (`<catalog>.monitoring.<endpoint>_profile_metrics` and `_drift_metrics`, Lakehouse
Monitoring's columns) from what the inference table appended and the labels that arrived, then
judges the champion's latest full window with the monitoring policy.

Its four checks (drift, quality, SLA, model age) are not blocking: nothing downstream waits on
them. They fail with WARN severity at advisory limits and ERROR at acting limits; the alert sensor
tells people about every failure, and the remediation sensor acts on ERROR drift and quality
verdicts of the prod champion (rollback, retraining request).
"""


import datetime as dt
import time

import dagster as dg

from gates.checks import SEVERITY
from gates.monitoring import DRIFT, FAMILIES, MODEL_AGE, QUALITY, SLA, MonitorVerdict, judge_drift, judge_model_age, \
    judge_quality, judge_sla
from gates.monitoring_policy import GRANULARITIES, load_monitoring_policy
from gates.monitoring_records import record_verdicts
from gates.policy import policies_dir
from lakegate.lake_resource import LakeResource
from lakegate.monitoring import MonitorTables, refresh
from lakegate.platform import Platform
from lakegate.registry_resource import MlflowRegistry
from lakegate.serving.endpoints import EndpointNotFound
from ml_assets import keys
from ml_assets.deployment.endpoints import read_endpoints
from ml_assets.monitoring.figures import judged_window
from ml_assets.monitoring.inputs import arrived_labels, full_share_version, model_age_start, reference_profiles, \
    served_versions, slice_columns, slice_lookup
from ml_assets.spec import UseCase

VERDICT_KEY = "verdict"  # check metadata holding the whole verdict, for remediation and the dashboard
DESCRIPTIONS = {
    DRIFT: "share of the champion's input features drifted from its reference profile (PSI, JS, corrected KS/chi-squared)",
    QUALITY: "the champion's live precision and recall once enough labels have arrived",
    SLA: "the champion's p99 latency and server-error rate from the inference table",
    MODEL_AGE: "the champion's age against the model-risk policy's retraining cadence and maximum age",
}
_SEVERITY = {"warn": dg.AssetCheckSeverity.WARN, "error": dg.AssetCheckSeverity.ERROR}


def stored_verdicts(instance: dg.DagsterInstance, use_case: UseCase, families: tuple[str, ...] = FAMILIES,
                    after: int = 0) -> list[tuple[int, MonitorVerdict | None]]:
    """(storage id, verdict) of the latest evaluation of each of the monitor's checks in `families`
    stored after `after`. An evaluation only planned (its run under way, or dead) is left out; one
    without a stored verdict comes with None."""
    found = []
    for family in families:
        record = instance.get_latest_asset_check_evaluation_record(dg.AssetCheckKey(keys.monitor_key(use_case), family))
        event = record.event.dagster_event if record and record.event else None
        if event is None or record.id <= after or not isinstance(event.event_specific_data, dg.AssetCheckEvaluation):
            continue
        stored = event.event_specific_data.metadata.get(VERDICT_KEY)
        found.append((record.id, None if stored is None else MonitorVerdict.from_dict(dict(stored.value))))
    return found


def check_result(verdict: MonitorVerdict) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=verdict.family, passed=verdict.passed, description=verdict.reason,
        severity=_SEVERITY.get(verdict.outcome, dg.AssetCheckSeverity.WARN),
        metadata={"outcome": verdict.outcome, "reason": dg.MetadataValue.text(verdict.reason),
                  "model_version": verdict.model_version or "", VERDICT_KEY: dg.MetadataValue.json(verdict.to_dict()),
                  "policy_version": verdict.policy_version})


def build_monitor(use_case: UseCase) -> dg.AssetsDefinition:
    key, endpoint = keys.monitor_key(use_case), keys.endpoint_name(use_case)
    model = use_case.registered_model_name("prod")

    @dg.asset(
        key=key, deps=[keys.deployment_key(use_case), keys.label_table_key(use_case)], group_name=keys.group(use_case),
        kinds={"delta"}, owners=[use_case.owner], tags=keys.tags(use_case, keys.MONITORING),
        description=f"Drift, live quality and SLA of every version served on `{endpoint}`, per "
                    f"{' and '.join(GRANULARITIES)} window and slice, in the endpoint's profile and drift metric tables.",
        check_specs=[dg.AssetCheckSpec(family, asset=key, blocking=False, description=text,
                                       metadata={SEVERITY: "WARN or ERROR"})
                     for family, text in DESCRIPTIONS.items()],
    )
    def monitor(context: dg.AssetExecutionContext, lake: LakeResource, platform: Platform, mlflow: MlflowRegistry):
        started = time.perf_counter()
        policy = load_monitoring_policy(platform.policy_set("monitoring"), policies_dir(use_case.name), platform.governance())
        registry, store = mlflow.registry(), lake.lake()
        try:
            served = read_endpoints(platform).get(endpoint)  # Model Serving on a Databricks environment
        except EndpointNotFound:
            served = None
        references = reference_profiles(registry, model, served_versions(served))
        result = refresh(store, lake.catalog, endpoint, references, arrived_labels(store, lake.catalog, use_case),
                         slice_columns(use_case), GRANULARITIES, policy.min_window_rows,
                         slice_lookup(store, lake.catalog, use_case))
        tables = MonitorTables.for_endpoint(lake.catalog, endpoint)
        # The version the endpoint serves with all its traffic is the one judged: after a rolled-back
        # canary the registry's champion may not be serving yet.
        champion = full_share_version(served) or registry.alias_version(model, "champion")
        champion = None if champion is None else str(champion)
        figures = None
        if champion is not None and store.exists(tables.profile_metrics):
            drift = store.read_arrow(tables.drift_metrics) if store.exists(tables.drift_metrics) else None
            figures = judged_window(store.read_arrow(tables.profile_metrics), drift, champion,
                                    policy.judged_granularity, policy.min_window_rows)
        verdicts = [judge_drift(figures, policy), judge_quality(figures, policy), judge_sla(figures, policy),
                    judge_model_age(champion, model_age_start(registry, model, champion),
                                    dt.datetime.now(dt.timezone.utc), policy)]
        record_verdicts(platform.ledger(), endpoint, model, verdicts)
        context.log.info("; ".join(f"{v.family}: {v.outcome} ({v.reason})" for v in verdicts))
        yield dg.MaterializeResult(metadata={
            "endpoint": endpoint, "champion": champion or "none",
            "windows_touched": dg.MetadataValue.int(len(result.windows_touched)),
            "inference_rows_read": dg.MetadataValue.int(result.rows_read),
            "records_read": dg.MetadataValue.int(result.records_read),
            "inference_version_read": dg.MetadataValue.int(-1 if result.inference_version is None else result.inference_version),
            "models_without_reference": dg.MetadataValue.json(list(result.models_without_reference)),
            "policy_version": policy.version,
            "seconds": dg.MetadataValue.float(round(time.perf_counter() - started, 3)),
            **{f"delta_version/{name}": dg.MetadataValue.int(-1 if v is None else v)
               for name, v in result.table_versions.items()},
        })
        for verdict in verdicts:
            yield check_result(verdict)

    return monitor
