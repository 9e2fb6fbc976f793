"""The ML layer's definitions: features and the online store, per use case its training set and
model pipeline (training, gates, promotion, deployment), and the cost table with its refresh."""

import dagster as dg

from ml_assets.cost.assets import cost_refresh, cost_table
from ml_assets.features.assets import feature_assets, online_store, training_set_assets
from ml_assets.pipeline import use_case_definitions
from ml_assets.usecases import USE_CASES

defs = dg.Definitions.merge(
    dg.Definitions(assets=[*feature_assets, online_store, *training_set_assets]),
    *(use_case_definitions(u) for u in USE_CASES.values()),
    dg.Definitions(assets=[cost_table], schedules=[cost_refresh]),
)
