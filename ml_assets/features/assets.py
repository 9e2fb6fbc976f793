"""Feature assets: offline feature tables, the online store (with its parity check), and the
point-in-time training set of each use case."""

import time

import dagster as dg

from lakegate.cost.estimate import declared_estimate
from lakegate.engine import SparkEngine
from lakegate.lake import lineage_metadata
from lakegate.lake_resource import LakeResource
from lakegate.platform import Platform
from ml_assets.features.definitions import FEATURE_VIEWS
from ml_assets.features.online import OnlineStore, materialize_online, online_store_path
from ml_assets.features.parity import check_parity
from ml_assets.features.views import FeatureView
from ml_assets.keys import TRAINING, group, tags, training_set_key
from ml_assets.spec import UseCase
from ml_assets.steps import FEATURE_VIEW, FEATURE_VIEW_SECONDS, TRAINING_SET, TRAINING_SET_SECONDS
from ml_assets.usecases import USE_CASES

ONLINE_STORE_KEY = dg.AssetKey(["features", "online_store"])
ONLINE_OFFLINE_PARITY = "online_offline_parity"
# Shared by every use case: each of their owning teams owns it.
OWNERS = sorted({use_case.owner for use_case in USE_CASES.values()})


def feature_key(view: FeatureView) -> dg.AssetKey:
    return dg.AssetKey(["features", view.name])


def build_feature_asset(view: FeatureView) -> dg.AssetsDefinition:
    @dg.asset(
        key=feature_key(view),
        deps=[dg.AssetKey(source.split(".")) for source in view.sources],
        description=f"{view.description} Entity: {view.entity}. TTL: {view.ttl or 'none'}. "
        f"Features: {', '.join(view.feature_names)}.",
        group_name="features",
        kinds={"delta", "spark"},
        owners=[view.owner],
        tags={"entity": view.entity},
        metadata=declared_estimate(FEATURE_VIEW_SECONDS),
        automation_condition=dg.AutomationCondition.eager(),
    )
    def _asset(context: dg.AssetExecutionContext, lake: LakeResource, spark: SparkEngine):
        yield from spark.run_step(context, lake, FEATURE_VIEW, {"view": view.name})

    return _asset


@dg.asset(
    key=ONLINE_STORE_KEY,
    deps=[feature_key(v) for v in FEATURE_VIEWS.values()],
    description="Latest feature values per entity key in an embedded SQLite file, for serving lookups.",
    group_name="features",
    kinds={"sqlite"},
    owners=OWNERS,
    automation_condition=dg.AutomationCondition.eager(),
    check_specs=[dg.AssetCheckSpec(ONLINE_OFFLINE_PARITY, asset=ONLINE_STORE_KEY, blocking=True,
                                   description="a sample of keys returns online exactly what the offline tables hold")],
)
def online_store(lake: LakeResource, platform: Platform):
    started = time.perf_counter()
    views = list(FEATURE_VIEWS.values())
    path = online_store_path(platform.home_path)
    result = materialize_online(lake.lake(), lake.catalog, views, path)
    yield dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "as_of": result.as_of.isoformat(),
            "rows_per_view": dg.MetadataValue.json(result.rows),
            "views_not_built": dg.MetadataValue.json(list(result.not_built)),
            "seconds": dg.MetadataValue.float(round(time.perf_counter() - started, 3)),
            **lineage_metadata({}, result.offline_versions),
        }
    )
    built = [view for view in views if view.name not in result.not_built]
    parity = check_parity(lake.lake(), lake.catalog, OnlineStore(path, built), built)
    yield dg.AssetCheckResult(
        check_name=ONLINE_OFFLINE_PARITY,
        passed=parity.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"keys_compared": parity.keys_compared, "mismatches": dg.MetadataValue.json(parity.mismatches[:20])},
    )


def build_training_set_asset(usecase: UseCase) -> dg.AssetsDefinition:
    views = [FEATURE_VIEWS[name] for name in usecase.feature_views]

    @dg.asset(
        key=training_set_key(usecase),
        deps=[feature_key(v) for v in views] + [dg.AssetKey(usecase.entity_rows.table.split(".")), dg.AssetKey(usecase.label.table.split("."))],
        description=f"Point-in-time training set for {usecase.name}: {usecase.description} One row per labelled "
        "event, features as known at its time (event and created timestamps both earlier).",
        group_name=group(usecase),
        kinds={"delta", "spark"},
        owners=[usecase.owner],
        tags=tags(usecase, TRAINING),
        metadata=declared_estimate(TRAINING_SET_SECONDS),
        automation_condition=dg.AutomationCondition.eager(),
    )
    def _asset(context: dg.AssetExecutionContext, lake: LakeResource, spark: SparkEngine):
        yield from spark.run_step(context, lake, TRAINING_SET, {"use_case": usecase.name})

    return _asset


feature_assets = [build_feature_asset(v) for v in FEATURE_VIEWS.values()]
training_set_assets = [build_training_set_asset(u) for u in USE_CASES.values()]
