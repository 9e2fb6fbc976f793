"""Gold layer: dbt models over silver, run by dagster-dbt on the same Spark engine.

Wiring (resource keys): `dbt` = make_dbt_resource(), `spark` = lakegate.engine.SparkEngine,
`lake` = lakegate.lake.LakeResource.

    dg.Definitions(
        assets=[gold_dbt_assets],
        resources={"dbt": make_dbt_resource(), "spark": SparkEngine(...), "lake": LakeResource(platform=...)},
    )
"""

from lakehouse_assets.gold.assets import GOLD_MANIFEST, GOLD_TRANSLATOR, gold_dbt_assets
from lakehouse_assets.gold.project import DBT_PROJECT_DIR, GOLD_DBT_PROJECT, prepare_gold_project
from lakehouse_assets.gold.resources import make_dbt_resource
from lakehouse_assets.gold.translator import GOLD_GROUP, GOLD_KINDS, LakegateDbtTranslator

GOLD_RESOURCE_KEYS = ("dbt", "spark", "lake")

__all__ = [
    "DBT_PROJECT_DIR",
    "GOLD_DBT_PROJECT",
    "GOLD_GROUP",
    "GOLD_KINDS",
    "GOLD_MANIFEST",
    "GOLD_RESOURCE_KEYS",
    "GOLD_TRANSLATOR",
    "LakegateDbtTranslator",
    "gold_dbt_assets",
    "make_dbt_resource",
    "prepare_gold_project",
]
