"""The lakehouse layer's definitions: bronze, silver (+ quarantine), gold (dbt and derived), checks and
the sensor."""

import dagster as dg

from lakehouse_assets.bronze.assets import bronze, bronze_checks
from lakehouse_assets.derived.assets import derived_assets
from lakehouse_assets.gold.assets import gold_dbt_assets
from lakehouse_assets.gold.resources import make_dbt_resource
from lakehouse_assets.sensors import landing_files_sensor
from lakehouse_assets.silver.assets import silver_assets

defs = dg.Definitions(
    assets=[bronze, *silver_assets, gold_dbt_assets, *derived_assets],
    asset_checks=bronze_checks,
    sensors=[landing_files_sensor],
    # The lakehouse's own resource; the engine, lake and platform come from the composition root.
    resources={"dbt": make_dbt_resource()},
)
