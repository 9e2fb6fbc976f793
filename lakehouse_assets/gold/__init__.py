"""Gold layer: dbt models over silver, run by dagster-dbt on the same Spark engine.

Wiring (resource keys `GOLD_RESOURCE_KEYS` in resources.py): `dbt` = resources.make_dbt_resource(),
`spark` = lakegate.engine.SparkEngine, `lake` = lakegate.lake_resource.LakeResource.

    dg.Definitions(
        assets=[assets.gold_dbt_assets],
        resources={"dbt": make_dbt_resource(), "spark": SparkEngine(...), "lake": LakeResource(platform=...)},
    )

The package itself imports nothing: importing `assets` or `project` parses the dbt project when its
manifest is stale, which a Databricks task running gold's step (step.py) must not pay for.
"""
