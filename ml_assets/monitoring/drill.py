"""A use case's scheduled rollback and recovery drill: `ml/<use case>_rollback_drill` runs the same
drill as `lakegate drill NAME` (lakegate/serving/drill.py) on the use case's endpoint, and its check
fails with ERROR when the rollback failed a request or recovery missed the target, so the alert
sensor tells people. The schedule runs it at the model-risk policy's drill cadence: it looks daily,
and asks for a drill when the endpoint's last drill record (scheduled or by hand) is that old."""

import datetime as dt
from dataclasses import asdict
from pathlib import Path

import dagster as dg

from gates.checks import SEVERITY
from gates.monitoring_policy import load_monitoring_policy
from gates.policy import policies_dir
from lakegate.ledger import Ledger
from lakegate.platform import Platform
from lakegate.registry_resource import MlflowRegistry
from lakegate.serving.control import LocalEndpoints
from lakegate.serving.drill import RECOVERY_TARGET_SECONDS, drill_and_record, last_drill
from lakegate.serving.endpoints import EndpointNotFound
from ml_assets import keys
from ml_assets.deployment.endpoints import gated_local_endpoints
from ml_assets.features.request_samples import REQUEST_SAMPLES
from ml_assets.spec import UseCase

DRILL_CHECK = "drill_passed"
DRILL_CHECK_CRON = "45 4 * * *"  # daily, in the quiet hours: is the endpoint's last drill older than the cadence?


def build_drill(use_case: UseCase) -> dg.AssetsDefinition:
    key, endpoint = keys.drill_key(use_case), keys.endpoint_name(use_case)

    @dg.asset(
        key=key, deps=[keys.deployment_key(use_case)], group_name=keys.group(use_case), kinds={"serving"},
        owners=[use_case.owner], tags=keys.tags(use_case, keys.MONITORING),
        description=f"The latest rollback and recovery rehearsal of `{endpoint}` under synthetic load: back to the "
                    "previous champion and forward, then serving restarted from the registry and control file "
                    "alone; recovery time and failed requests, recorded in the audit ledger.",
        check_specs=[dg.AssetCheckSpec(DRILL_CHECK, asset=key, blocking=False, metadata={SEVERITY: "ERROR"},
                                       description=f"0 failed requests while rolling back and forward, and recovery "
                                                   f"within {RECOVERY_TARGET_SECONDS} s")],
    )
    def rollback_drill(platform: Platform, mlflow: MlflowRegistry):
        bodies = REQUEST_SAMPLES[use_case.name](platform.landing_root())
        if not bodies:
            raise dg.Failure(f"no landed records to make {endpoint}'s drill traffic from")
        result, record = drill_and_record(platform.home_path, platform.env(),
                                          gated_local_endpoints(platform, mlflow.registry()),
                                          endpoint, bodies, platform.ledger())
        figures = {k: v for k, v in asdict(result).items() if v is not None}
        yield dg.MaterializeResult(metadata={**figures, "ledger_seq": dg.MetadataValue.int(record.seq),
                                             "requests": dg.MetadataValue.json(result.requests)})
        yield dg.AssetCheckResult(
            check_name=DRILL_CHECK, passed=result.passed, severity=dg.AssetCheckSeverity.ERROR,
            description=f"{result.rollback_failed_requests} failed requests rolling back and forward; recovery in "
                        f"{result.recovery_seconds:.1f} s (target {RECOVERY_TARGET_SECONDS} s); ledger record {record.seq}",
            metadata={"ledger_seq": dg.MetadataValue.int(record.seq)})

    return rollback_drill


def drill_due(last: dt.datetime | None, now: dt.datetime, cadence_days: int) -> bool:
    """Whether the endpoint is due a drill: never drilled, or last drilled `cadence_days` ago or more."""
    return last is None or (now - last).total_seconds() >= cadence_days * 86_400


def drill_request(home: Path, ledger: Ledger, use_case: UseCase, cadence_days: int,
                  now: dt.datetime) -> dg.RunRequest | dg.SkipReason:
    """A run of the drill when the use case's endpoint exists and its last drill is `cadence_days` old."""
    endpoint = keys.endpoint_name(use_case)
    try:
        LocalEndpoints(home).get(endpoint)
    except EndpointNotFound:
        return dg.SkipReason(f"{endpoint} does not exist yet: nothing to drill")
    record = last_drill(ledger, endpoint)
    last = None if record is None else dt.datetime.fromisoformat(record.time)
    if not drill_due(last, now, cadence_days):
        return dg.SkipReason(f"{endpoint} was drilled {last:%Y-%m-%d}; the cadence is {cadence_days} days")
    return dg.RunRequest(run_key=f"{use_case.name}-drill-{now:%Y-%m-%d}",
                         tags={"lakegate/cause": f"drill cadence {cadence_days} days, last drill {last or 'never'}"})


def drill_schedule(use_case: UseCase) -> dg.ScheduleDefinition:
    @dg.schedule(name=f"{use_case.name}_rollback_drill", cron_schedule=DRILL_CHECK_CRON, execution_timezone="UTC",
                 target=[keys.drill_key(use_case)], default_status=dg.DefaultScheduleStatus.RUNNING,
                 description=f"Drills rollback and recovery on {keys.endpoint_name(use_case)} at the monitoring "
                             "policy's model-risk drill cadence (the playbook's quarterly rehearsal).")
    def rollback_drill(context: dg.ScheduleEvaluationContext, platform: Platform):
        policy = load_monitoring_policy(platform.policy_set("monitoring"), policies_dir(use_case.name), platform.governance())
        return drill_request(platform.home_path, platform.ledger(), use_case, policy.model_risk.drill_cadence_days,
                             context.scheduled_execution_time or dt.datetime.now(dt.timezone.utc))

    return rollback_drill
