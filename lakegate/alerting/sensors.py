"""The two alert sensors; the composition root adds them. Each tick is a plain function in ticks.py.

They request no runs (their work is the alert side effect), so each tick ends as a skip whose
reason says what it did. They run by default: alerts are on wherever the daemon runs.
"""

from __future__ import annotations

import time

import dagster as dg

from lakegate.alerting.ticks import check_alert_tick, liveness_tick
from lakegate.environment import Environment
from lakegate.platform import Platform

CHECK_ALERT_SENSOR = "asset_check_alerts"
LIVENESS_SENSOR = "sensor_and_schedule_liveness"


def alert_sensors(env: Environment) -> list[dg.SensorDefinition]:
    @dg.sensor(name=CHECK_ALERT_SENSOR, minimum_interval_seconds=env.alerts.check_sensor_interval_seconds,
               default_status=dg.DefaultSensorStatus.RUNNING,
               description="Alerts when any asset check fails (WARN or ERROR, whatever its run did) and when it passes again.")
    def asset_check_alerts(context: dg.SensorEvaluationContext, platform: Platform):
        check_keys = _repository(context).asset_graph.asset_check_keys
        result = check_alert_tick(context.instance, check_keys, context.cursor, platform.env(), platform.home_path, time.time())
        context.update_cursor(result.cursor)
        return dg.SkipReason(result.summary())

    @dg.sensor(name=LIVENESS_SENSOR, minimum_interval_seconds=env.alerts.liveness_sensor_interval_seconds,
               default_status=dg.DefaultSensorStatus.RUNNING,
               description="Alerts when a sensor or schedule of this code location has stopped ticking.")
    def sensor_and_schedule_liveness(context: dg.SensorEvaluationContext, platform: Platform):
        repository = _repository(context)
        names = [s.name for s in repository.sensor_defs] + [s.name for s in repository.schedule_defs]
        result = liveness_tick(context.instance, names, context.cursor, platform.env(), platform.home_path, time.time())
        context.update_cursor(result.cursor)
        return dg.SkipReason(result.summary())

    return [asset_check_alerts, sensor_and_schedule_liveness]


def _repository(context: dg.SensorEvaluationContext):
    if context.repository_def is None:
        raise dg.DagsterInvariantViolationError("the alert sensors read the code location's definitions; "
                                                "evaluate them with definitions (build_sensor_context(definitions=...))")
    return context.repository_def
