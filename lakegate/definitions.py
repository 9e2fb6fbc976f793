"""The composition root: the asset packages merged with the environment's resources (the gates come
with each use case's pipeline, wired by ml_assets/pipeline.py) and the alert sensors that watch them all.

Only Dagster (workspace.yaml) and the CLI import this module.
"""

import dagster as dg

import lakehouse_assets.definitions
import ml_assets.definitions
from lakegate.alerting.sensors import alert_sensors
from lakegate.environment import current_environment
from lakegate.resources import resources_for

defs = dg.Definitions.merge(
    lakehouse_assets.definitions.defs,
    ml_assets.definitions.defs,
    dg.Definitions(sensors=alert_sensors(current_environment()), resources=resources_for(current_environment())),
)
