"""The lakehouse's domains: each declares its landing sources and silver tables.

Adding a domain is a new package here and one line below; bronze, silver and the landing sensor
pick its declarations up from the registries (`lakehouse_assets.sources`,
`lakehouse_assets.silver.tables`). Nothing outside a domain's own package names its sources or
tables.
"""

from __future__ import annotations

from lakehouse_assets.domains import claims
from lakehouse_assets.domains.domain import Domain

DOMAINS: tuple[Domain, ...] = (claims.DOMAIN,)
