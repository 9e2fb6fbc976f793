"""The composition root: the asset packages merged with the environment's resources (the gates come
with each use case's pipeline, wired by ml_assets/pipeline.py) and the alert sensors that watch them all.

Only Dagster (workspace.yaml) and the CLI import this module.
"""

import dagster as dg

import lakehouse_assets.definitions
import ml_assets.definitions
from lakegate.alerting.sensors import alert_sensors
from lakegate.environment import Environment, current_environment
from lakegate.resources import resources_for


def definitions_for(env: Environment) -> dg.Definitions:
    """The graph with `env`'s resources and alert sensors. A run binds the environment it resolved
    (`lakegate materialize`), not the one this module was first imported in."""
    return dg.Definitions.merge(
        lakehouse_assets.definitions.defs,
        ml_assets.definitions.defs,
        dg.Definitions(sensors=alert_sensors(env), resources=resources_for(env)),
    )


defs = definitions_for(current_environment())  # what Dagster loads: the process's environment
