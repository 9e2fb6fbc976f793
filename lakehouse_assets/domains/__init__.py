"""The lakehouse's domains: each declares its landing sources, silver tables and derived gold
tables (gold built in PySpark; dbt models live in lakehouse_assets/dbt_project/).

Adding a domain is a new package here and one line below; bronze, silver, derived gold and the
landing sensor pick its declarations up from the registries (`lakehouse_assets.sources`,
`lakehouse_assets.silver.tables`, `lakehouse_assets.derived.tables`). Nothing outside a domain's
own package names its sources or tables.
"""

from __future__ import annotations

from lakehouse_assets.domains import claims, machines
from lakehouse_assets.domains.domain import Domain

DOMAINS: tuple[Domain, ...] = (claims.DOMAIN, machines.DOMAIN)
