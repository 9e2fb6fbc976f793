"""The manufacturer (machine failure): the fleet, its sensor readings, maintenance and failures,
and the prediction points and labels derived from them."""

from lakehouse_assets.domains.domain import Domain
from lakehouse_assets.domains.machines import gold, silver, sources

DOMAIN = Domain(name="machines", sources=tuple(sources.SOURCES.values()), silver_tables=silver.SILVER_TABLES,
                derived_tables=gold.DERIVED_TABLES)
