"""The ML layer's definitions: features, training sets, training, promotion and deployment
(monitoring comes with a later issue)."""

import dagster as dg

from ml_assets.deployment.assets import deployment_assets
from ml_assets.features.assets import feature_assets, online_store, training_set_assets
from ml_assets.promotion.assets import promotion_assets
from ml_assets.training.assets import training_assets

defs = dg.Definitions(assets=[*feature_assets, online_store, *training_set_assets, *training_assets, *promotion_assets,
                                *deployment_assets])
