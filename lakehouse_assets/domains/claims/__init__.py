"""The health insurer (claims triage): members, providers, claims and their review outcomes.
Gold for this domain is the dbt project (lakehouse_assets/dbt_project/)."""

from lakehouse_assets.domains.claims import silver, sources
from lakehouse_assets.domains.domain import Domain

DOMAIN = Domain(name="claims", sources=tuple(sources.SOURCES.values()), silver_tables=silver.SILVER_TABLES)
