"""The composition root: the three asset packages merged with the environment's resources.

Only Dagster (workspace.yaml) and the CLI import this module.
"""

import dagster as dg

import gates.definitions
import lakehouse_assets.definitions
import ml_assets.definitions
from lakegate.environment import current_environment
from lakegate.resources import resources_for

defs = dg.Definitions.merge(
    lakehouse_assets.definitions.defs,
    ml_assets.definitions.defs,
    gates.definitions.defs,
    dg.Definitions(resources=resources_for(current_environment())),
)
