"""The lakehouse layer's definitions: bronze, silver (+ quarantine), gold, checks and the sensor."""

import dagster as dg

from lakehouse_assets.bronze.assets import bronze, bronze_checks
from lakehouse_assets.sensors import landing_files_sensor
from lakehouse_assets.silver.assets import silver_assets

defs = dg.Definitions(
    assets=[bronze, *silver_assets],
    asset_checks=bronze_checks,
    sensors=[landing_files_sensor],
)
