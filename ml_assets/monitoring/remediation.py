"""Carrying out what gates/remediation.py decided for a use case's endpoint, and the sensor that does
it when the monitor's drift or quality check fails with ERROR.

Each action is written to the audit ledger, with the verdict that caused it, before it is taken.
The rollback goes through the endpoint manager and its deployment gate like any other traffic
change; the retraining is a run request of the use case's training set and candidate model, whose
blocking gates and the approvals after them decide, as always, whether it ever serves.
"""


import datetime as dt
from dataclasses import dataclass

import dagster as dg

from gates.monitoring import DRIFT, QUALITY, MonitorVerdict
from gates.monitoring_policy import MonitoringPolicy, load_monitoring_policy
from gates.monitoring_records import acted_on_version, past_actions, record_action
from gates.policy import policies_dir
from gates.remediation import ALERT_ONLY, RETRAIN, ROLLBACK, PlannedAction, plan_remediation, verdict_id
from lakegate.alerts import raise_alert
from lakegate.ledger import Ledger
from lakegate.platform import Platform
from lakegate.registry_resource import MlflowRegistry
from lakegate.serving.endpoints import EndpointManager, EndpointNotFound
from ml_assets import keys
from ml_assets.deployment.endpoints import gated_endpoints
from ml_assets.monitoring.assets import stored_verdicts
from ml_assets.spec import UseCase

ACTOR = "lakegate/remediation"
CAUSE_TAG = "lakegate/cause"  # on a retraining run: the verdict that asked for it


@dataclass(frozen=True)
class Remediation:
    planned: list[PlannedAction]
    ledger_seqs: list[int]

    def retraining(self) -> PlannedAction | None:
        return next((p for p in self.planned if p.kind == RETRAIN), None)


def remediate(verdicts: list[MonitorVerdict], endpoint_name: str, model: str, champion: str | None,
              endpoints: EndpointManager, ledger: Ledger, policy: MonitoringPolicy, home, now: dt.datetime) -> Remediation:
    """Plan and take the actions these verdicts allow on the endpoint while it serves `champion` (the
    registry's champion version) with all its traffic."""
    try:
        endpoint = endpoints.get(endpoint_name)
    except EndpointNotFound:
        return Remediation([], [])
    serving = endpoint.config.full_share_entity()
    served_version = endpoint.config.entity(serving).entity_version if serving else None
    champion = None if champion is None else str(champion)
    if served_version != champion:  # mid-rollout, or registry and endpoint drifted apart: a person decides
        champion = None
    target = endpoint.rollback_target()
    target_version = endpoint.config.entity(target).entity_version if target else None
    healthy = target_version is not None and not acted_on_version(ledger, endpoint_name, target_version)
    planned = plan_remediation(verdicts, champion, target_version, healthy, past_actions(ledger, endpoint_name),
                               policy, now)
    seqs = []
    for action in planned:
        record = record_action(ledger, endpoint_name, model, action, ACTOR)
        seqs.append(record.seq)
        reason = f"monitor verdict {verdict_id(action.cause)} (ledger record {record.seq}): {action.reason}"
        if action.kind == ROLLBACK:
            endpoints.rollback(endpoint_name, actor=ACTOR, reason=reason)
        if action.kind in (ROLLBACK, ALERT_ONLY):
            raise_alert(home, "ERROR", f"{endpoint_name}: {action.kind.replace('_', ' ')}", reason,
                        source=f"ledger record {record.seq}")
    return Remediation(planned, seqs)


def latest_acting_verdicts(instance: dg.DagsterInstance, use_case: UseCase, after: int) -> tuple[list[MonitorVerdict], int]:
    """The monitor's drift and quality verdicts evaluated after storage id `after`, and the new cursor."""
    found = stored_verdicts(instance, use_case, (DRIFT, QUALITY), after)
    return [v for _, v in found if v is not None], max([after, *(seq for seq, _ in found)])


def build_remediation_sensor(use_case: UseCase) -> dg.SensorDefinition:
    endpoint, model = keys.endpoint_name(use_case), use_case.registered_model_name("prod")

    @dg.sensor(name=f"{use_case.name}_remediation", minimum_interval_seconds=60,
               asset_selection=[keys.training_set_key(use_case), keys.model_key(use_case)],
               default_status=dg.DefaultSensorStatus.RUNNING,
               description=f"Acts on ERROR drift or quality verdicts of the champion on {endpoint}: rolls back to a "
                           "healthy previous champion and requests a retraining through every gate.")
    def remediation(context: dg.SensorEvaluationContext, platform: Platform, mlflow: MlflowRegistry):
        verdicts, cursor = latest_acting_verdicts(context.instance, use_case, int(context.cursor or 0))
        if not verdicts:
            return dg.SkipReason("no new drift or quality verdict")
        registry, governance = mlflow.registry(), platform.governance()
        policy = load_monitoring_policy(platform.policy_set("monitoring"), policies_dir(use_case.name), governance)
        endpoints = gated_endpoints(platform, registry)
        done = remediate(verdicts, endpoint, model, registry.alias_version(model, "champion"), endpoints,
                         platform.ledger(), policy, platform.home_path, dt.datetime.now(dt.timezone.utc))
        context.update_cursor(str(cursor))
        retrain = done.retraining()
        if retrain is None:
            return dg.SkipReason(f"acted: {[p.kind for p in done.planned] or 'nothing'}")
        return dg.RunRequest(run_key=verdict_id(retrain.cause), tags={CAUSE_TAG: verdict_id(retrain.cause)})

    return remediation
