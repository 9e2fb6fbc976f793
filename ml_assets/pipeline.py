"""A use case's model pipeline, made from its spec alone: the candidate model, its automated gates,
the promotion chain (test → release candidate → prod) with the approvals gate, the deployment
with its approval and canary checks, and the monitor with its drift, quality, SLA and model-age
checks and the sensor that acts on them, the scheduled rollback drill, and the daily batch scoring
with the champion. A second use case is a second call, not new plumbing."""

from __future__ import annotations

import dagster as dg

from ml_assets.deployment.assets import build_deployment
from ml_assets.monitoring.assets import build_monitor
from ml_assets.monitoring.drill import build_drill, drill_schedule
from ml_assets.monitoring.remediation import build_remediation_sensor
from ml_assets.monitoring.schedules import monitor_refresh_schedule, retraining_schedule
from ml_assets.promotion.assets import build_promotion
from ml_assets.scoring.assets import build_batch_scoring
from ml_assets.scoring.schedules import batch_scoring_schedule
from ml_assets.spec import UseCase
from ml_assets.training.assets import build_model_asset


def use_case_definitions(use_case: UseCase) -> dg.Definitions:
    promotion, promotion_checks = build_promotion(use_case)
    deployment, deployment_checks = build_deployment(use_case)
    return dg.Definitions(assets=[build_model_asset(use_case), *promotion, *deployment, build_monitor(use_case),
                                  build_drill(use_case), build_batch_scoring(use_case)],
                          asset_checks=[*promotion_checks, *deployment_checks],
                          sensors=[build_remediation_sensor(use_case)],
                          schedules=[monitor_refresh_schedule(use_case), retraining_schedule(use_case),
                                     batch_scoring_schedule(use_case), drill_schedule(use_case)])
